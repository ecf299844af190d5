/** Text helpers shared by the JUnit and Markdown exports: cleaning, cutting, budgets. */
import { UsageError } from '@gator/protocol';

/** Terminal colour and cursor sequences a job may have printed. */
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]|\u001B[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Cut to `max` characters, saying so and where the rest is. */
export function cut(text: string, max: number, pointer: string): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max))}… [cut; ${pointer}]`;
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** How much detail an export keeps; exports try levels from the first until one fits the byte budget. */
export interface DetailLevel {
  /** Error lines per failed job. */
  errorLines: number;
  /** Characters per error line. */
  lineChars: number;
  /** Characters of a reason. */
  reasonChars: number;
  /** Include passed (and for Markdown: every) job rows. */
  passed: boolean;
  /** Include skipped / not-run jobs one by one. */
  skipped: boolean;
  /** Job metrics as properties / columns. */
  metrics: boolean;
}

export const DETAIL_LEVELS: DetailLevel[] = [
  { errorLines: 20, lineChars: 1000, reasonChars: 2000, passed: true, skipped: true, metrics: true },
  { errorLines: 5, lineChars: 300, reasonChars: 500, passed: true, skipped: true, metrics: false },
  { errorLines: 2, lineChars: 200, reasonChars: 300, passed: true, skipped: true, metrics: false },
  { errorLines: 2, lineChars: 200, reasonChars: 300, passed: false, skipped: true, metrics: false },
  { errorLines: 1, lineChars: 160, reasonChars: 200, passed: false, skipped: false, metrics: false },
  { errorLines: 0, lineChars: 0, reasonChars: 120, passed: false, skipped: false, metrics: false },
];

export const DEFAULT_MAX_BYTES = 65_535;

/**
 * The richest rendering that fits: each detail level with every failure, then
 * the leanest level with as many failures as fit (binary search). Throws a
 * UsageError when even the skeleton does not fit.
 */
export function fitToBudget(render: (level: DetailLevel, maxFailures: number) => string, failures: number, maxBytes: number, what: string): string {
  for (const level of DETAIL_LEVELS) {
    const text = render(level, failures);
    if (byteLength(text) <= maxBytes) return text;
  }
  const lean = DETAIL_LEVELS[DETAIL_LEVELS.length - 1]!;
  let lo = 0;
  let hi = failures - 1;
  let best: string | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const text = render(lean, mid);
    if (byteLength(text) <= maxBytes) {
      best = text;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best !== undefined) return best;
  const smallest = byteLength(render(lean, 0));
  throw new UsageError(`--max-bytes ${maxBytes} is too small for the ${what} export: the smallest one is ${smallest} bytes.`, {
    hint: `Give at least --max-bytes ${smallest}.`,
  });
}

/** Small formatting helpers shared by the renderers and inspect commands. */
import pc from 'picocolors';
import { severityName, type Summary, type TrialOutcome } from '@gator/protocol';

export type Colors = ReturnType<typeof pc.createColors>;

/** Colours only on a terminal, never with NO_COLOR (picocolors' own detection), FORCE_COLOR honoured. */
export function colorsFor(stream: NodeJS.WriteStream): Colors {
  const forced = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0';
  const enabled = !('NO_COLOR' in process.env) && (forced || Boolean(stream.isTTY));
  return pc.createColors(enabled);
}

/** The mark of a job's outcome in every text view (`show`, `history`). */
export const OUTCOME_MARK: Record<TrialOutcome, (c: Colors) => string> = {
  passed: (c) => c.green('✔'),
  flaky: (c) => c.yellow('↻'),
  failed: (c) => c.red('✖'),
  lost: (c) => c.red('✖'),
  skipped: (c) => c.yellow('○'),
  stopped: (c) => c.yellow('■'),
  running: (c) => c.blue('▶'),
  pending: (c) => c.dim('·'),
};

export function clock(ts: number): string {
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function severityTag(level: number, c: Colors): string {
  const name = severityName(level);
  const tag = `[${name.padEnd(7)}]`;
  switch (name) {
    case 'DEBUG':
      return c.cyan(tag);
    case 'INFO':
      return c.bold(tag);
    case 'WARNING':
      return c.bold(c.yellow(tag));
    case 'ERROR':
      return c.bold(c.red(tag));
    default:
      return c.bold(c.white(c.bgRed(tag)));
  }
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

export function dotted(path: readonly string[]): string {
  return path.join('.');
}

/**
 * Job-level totals of a root summary. `sub_*` count tiers too (Python's rule);
 * wrappers also report `jobs_passed`/`jobs_failed`, and `expected` is the
 * spec's job count, so these count jobs only.
 */
export function jobTotals(
  summary: Summary,
  expected?: number,
): { total: number; passed: number; failed: number; running: number; skipped: number; lost: number; unselected: number } {
  const m = summary.metrics;
  const lost = summary.sub_lost ?? 0;
  const byJobs = m.jobs_passed !== undefined || m.jobs_failed !== undefined;
  const unselected = summary.sub_unselected ?? 0;
  return {
    total: (expected ?? m.sub_total ?? 0) - unselected,
    unselected,
    passed: byJobs ? (m.jobs_passed ?? 0) : (m.sub_passed ?? 0),
    failed: byJobs ? (m.jobs_failed ?? 0) : Math.max(0, (m.sub_failed ?? 0) - lost),
    running: summary.running_ids.length,
    skipped: summary.sub_skipped ?? 0,
    lost,
  };
}

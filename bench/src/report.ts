/**
 * What a case produces (one or more rows) and how rows become the printed
 * table and the JSON results file.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Quantity {
  value: number;
  /** `ms/job`, `lines/s`, `MiB`, `KiB/job`, `s`. */
  unit: string;
}

export interface Target {
  /** `max`: the ratio (or the figure, when there is no baseline) must be at most `value`; `min`: at least. */
  kind: 'max' | 'min';
  value: number;
  /** Compared with the `ratio` (figure against baseline) or with the `figure` itself. */
  of: 'ratio' | 'figure';
  text: string;
}

export interface Row {
  /** Case name as in the issue: `job overhead`, `stdout capture`, … */
  case: string;
  /** What varies within the case (`concurrency 1`, `wrappers=inprocess`). */
  variant?: string;
  figure: Quantity;
  baseline?: Quantity;
  /** figure / baseline, oriented like the target (see `Target.of`). */
  ratio?: number;
  target: Target;
  /** Whether the target is met (undefined when it could not be judged). */
  met?: boolean;
  /** Rows lost (messages, lines) — must be 0. */
  lost?: number;
  /** Everything else worth keeping (sizes, raw timings, RSS samples). */
  details?: Record<string, unknown>;
}

export interface CaseFailure {
  case: string;
  error: string;
  detail?: string;
}

export interface Results {
  started: string;
  finished: string;
  mode: 'full' | 'quick';
  scale: number;
  node: string;
  platform: string;
  /** The CLI measured, and how each mode was selected. */
  cli: string;
  modes: { name: string; args: string[]; note: string }[];
  machine: { cores: number; load1Start: number; load1End: number; memoryMb: number };
  rows: Row[];
  failures: CaseFailure[];
  /** Cases that could not run here, and why. */
  skipped: { case: string; reason: string }[];
}

/** Judge a row against its target. */
export function judge(row: Omit<Row, 'met'>): Row {
  const subject = row.target.of === 'ratio' ? row.ratio : row.figure.value;
  if (subject === undefined || !Number.isFinite(subject)) return { ...row };
  const met = row.target.kind === 'max' ? subject <= row.target.value : subject >= row.target.value;
  return { ...row, met: met && (row.lost ?? 0) === 0 };
}

function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatQuantity(q: Quantity | undefined): string {
  return q ? `${formatNumber(q.value)} ${q.unit}` : '—';
}

/** The table printed at the end: case, figure, baseline, ratio, target (and whether it is met). */
export function formatTable(rows: Row[]): string {
  const header = ['case', 'figure', 'baseline', 'ratio', 'target', ''];
  const body = rows.map((r) => [
    r.variant ? `${r.case} (${r.variant})` : r.case,
    formatQuantity(r.figure) + (r.lost ? `, ${r.lost} lost` : ''),
    formatQuantity(r.baseline),
    r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target.text,
    r.met === undefined ? '?' : r.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Writes `latest.json` (moving the last one to `previous.json`, so two runs can be compared). */
export function writeResults(dir: string, results: Results): string {
  fs.mkdirSync(dir, { recursive: true });
  const latest = path.join(dir, 'latest.json');
  if (fs.existsSync(latest)) fs.renameSync(latest, path.join(dir, 'previous.json'));
  fs.writeFileSync(latest, `${JSON.stringify(results, null, 2)}\n`);
  return latest;
}

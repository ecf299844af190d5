/**
 * Where a run's time went, in the terminal: its slowest jobs (`gator show
 * --slowest N`) and a compact timeline (`gator show --timeline`), one bar per
 * job over the run's wall time, marked by outcome.
 */
import { terminalSafe } from './terminal-text.js';
import { trialOutcome, type TrialOutcome } from '@gator/protocol';
import { eachNode, type NodeReport, type RunReport } from '../inspect/run-report.js';
import { duration, type Colors } from './format.js';

/** The bar's fill and colour per outcome (one table for the bars and the legend). */
const BAR: Record<TrialOutcome, { char: string; color: (c: Colors, s: string) => string }> = {
  passed: { char: '█', color: (c, s) => c.green(s) },
  flaky: { char: '▓', color: (c, s) => c.yellow(s) },
  failed: { char: '█', color: (c, s) => c.red(s) },
  lost: { char: '▒', color: (c, s) => c.red(s) },
  stopped: { char: '▒', color: (c, s) => c.yellow(s) },
  skipped: { char: '·', color: (c, s) => c.dim(s) },
  running: { char: '▶', color: (c, s) => c.blue(s) },
  pending: { char: '·', color: (c, s) => c.dim(s) },
};

function outcomeOf(job: NodeReport): TrialOutcome {
  return trialOutcome(job.outcome, job.attempts[job.attempts.length - 1]?.attempt);
}

function nameOf(job: NodeReport): string {
  return terminalSafe(job.path.slice(1).join('.') || job.ident);
}

function ranJobs(report: RunReport): NodeReport[] {
  return [...eachNode(report.root)].filter((n) => n.kind === 'job' && n.started !== null && n.duration !== null);
}

/** The `n` slowest jobs, slowest first: duration, outcome, path. */
export function renderSlowest(report: RunReport, n: number, c: Colors): string {
  const jobs = ranJobs(report).sort((a, b) => (b.duration ?? 0) - (a.duration ?? 0)).slice(0, n);
  const lines = [c.bold(`Slowest ${jobs.length} job${jobs.length === 1 ? '' : 's'}:`)];
  const total = report.duration ?? 0;
  for (const job of jobs) {
    const share = total > 0 ? ` ${String(Math.round(((job.duration ?? 0) / total) * 100)).padStart(3)}%` : '';
    const outcome = outcomeOf(job);
    lines.push(`  ${duration(job.duration ?? 0).padStart(7)}${c.dim(share)}  ${BAR[outcome].color(c, outcome.padEnd(7))}  ${nameOf(job)}`);
  }
  return lines.join('\n');
}

/**
 * One line per job (in start order, at most `maxRows`): its name, then a bar
 * `width` characters wide spanning the run's wall time, filled where it ran.
 */
export function renderTimeline(report: RunReport, c: Colors, options: { width?: number; maxRows?: number } = {}): string {
  const width = options.width ?? 50;
  const maxRows = options.maxRows ?? 60;
  const jobs = ranJobs(report).sort((a, b) => (a.started ?? 0) - (b.started ?? 0));
  const start = Math.min(report.started ?? Infinity, ...jobs.map((j) => j.started ?? Infinity));
  const end = Math.max(...jobs.map((j) => (j.started ?? 0) + (j.duration ?? 0)), start);
  const span = Math.max(end - start, 1e-6);
  const shown = jobs.slice(0, maxRows);
  const nameWidth = Math.min(32, Math.max(4, ...shown.map((j) => nameOf(j).length)));
  const lines = [c.bold(`Timeline (${jobs.length} job${jobs.length === 1 ? '' : 's'} over ${duration(span)}):`)];
  for (const job of shown) {
    const from = Math.min(width - 1, Math.floor((((job.started ?? start) - start) / span) * width));
    const to = Math.max(from + 1, Math.min(width, Math.ceil((((job.started ?? start) + (job.duration ?? 0) - start) / span) * width)));
    const outcome = outcomeOf(job);
    const bar = `${' '.repeat(from)}${BAR[outcome].color(c, BAR[outcome].char.repeat(to - from))}${' '.repeat(width - to)}`;
    const name = nameOf(job);
    lines.push(`  ${(name.length > nameWidth ? `${name.slice(0, nameWidth - 1)}…` : name).padEnd(nameWidth)} │${bar}│ ${duration(job.duration ?? 0)}`);
  }
  if (jobs.length > shown.length) lines.push(c.dim(`  … ${jobs.length - shown.length} more (gator show --slowest N lists the slowest)`));
  const legend = (['passed', 'flaky', 'failed', 'lost', 'stopped'] as const).map((o) => `${BAR[o].color(c, BAR[o].char)} ${o}`).join('  ');
  lines.push(`  ${' '.repeat(nameWidth)} 0${' '.repeat(Math.max(1, width - duration(span).length))}${duration(span)}`, `  ${c.dim(legend)}`);
  return lines.join('\n');
}

/** `gator show [RUN]`: the run as a tree, its totals, failure buckets and metric statistics. */
import path from 'node:path';
import { trialOutcome } from '@gator/protocol';
import { OUTCOME_MARK, colorsFor, duration, type Colors } from '../render/format.js';
import { renderJson } from '../render/export-json.js';
import { terminalSafe as safe } from '../render/terminal-text.js';
import { renderSlowest, renderTimeline } from '../render/timeline.js';
import type { MessageCounts, NodeReport, RunReport, Totals } from './run-report.js';

export interface ShowOptions {
  /** Only branches with failed, lost or running jobs. */
  failedOnly?: boolean;
  cwd: string;
  /** The tracking directory of the run this one reran (its root's `rerun_of` attribute). */
  rerunOf?: string;
  /** Instead of the tree: the N slowest jobs. */
  slowest?: number;
  /** Instead of the tree: a bar per job over the run's wall time. */
  timeline?: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function countsText(m: MessageCounts, c: Colors): string {
  const parts: string[] = [];
  if (m.critical > 0) parts.push(c.bold(c.red(plural(m.critical, 'critical'))));
  if (m.error > 0) parts.push(c.red(plural(m.error, 'error')));
  if (m.warning > 0) parts.push(c.yellow(plural(m.warning, 'warning')));
  return parts.join(' ');
}

function metricsText(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .slice(0, 8)
    .map(([k, v]) => `${safe(k)}=${Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join(' ');
}

export function totalsText(t: Totals, c: Colors): string {
  const parts = [
    c.green(`${t.passed} passed`),
    (t.failed > 0 ? c.red : c.dim)(`${t.failed} failed`),
    (t.lost > 0 ? c.red : c.dim)(`${t.lost} lost`),
    (t.skipped > 0 ? c.yellow : c.dim)(`${t.skipped} skipped`),
  ];
  if (t.stopped > 0) parts.push(c.yellow(`${t.stopped} stopped`));
  if (t.running > 0) parts.push(c.blue(`${t.running} running`));
  if (t.pending > 0) parts.push(c.dim(`${t.pending} pending`));
  return `${parts.join(', ')} of ${plural(t.total, 'job')}`;
}

/** What the whole run came to (the verdict), said the same way in the header and the footer. */
const VERDICT: Record<RunReport['outcome'], { mark: (c: Colors) => string; state: (c: Colors) => string; footer: (c: Colors) => string }> = {
  passed: { mark: (c) => c.green('✔'), state: (c) => c.green('SUCCESS'), footer: (c) => c.green('Passed') },
  failed: { mark: (c) => c.red('✖'), state: (c) => c.red('FAILURE'), footer: (c) => c.red('Failed') },
  stopped: { mark: (c) => c.yellow('■'), state: (c) => c.yellow('STOPPED'), footer: (c) => c.yellow('Stopped') },
  interrupted: { mark: (c) => c.red('✖'), state: (c) => c.red('INTERRUPTED'), footer: (c) => c.red('Interrupted') },
  running: { mark: (c) => c.blue('▶'), state: (c) => c.blue('RUNNING'), footer: (c) => c.blue('Running') },
};

/** A job that passed only on a retry (docs/run-model.md: flaky counts as passed, but is told apart). */
function isFlaky(n: NodeReport): boolean {
  return n.kind === 'job' && trialOutcome(n.outcome, n.attempts[n.attempts.length - 1]?.attempt) === 'flaky';
}

function stateText(n: NodeReport, c: Colors): string {
  if (isFlaky(n)) return c.yellow('FLAKY');
  if (n.outcome === 'stopped') return c.yellow('STOPPED');
  switch (n.state) {
    case 'complete':
      return n.result === 'SUCCESS' ? c.green(n.result) : c.red(n.result ?? 'UNKNOWN');
    case 'running':
      return c.blue('RUNNING');
    case 'lost':
      return c.red('LOST');
    case 'skipped':
      return c.yellow('SKIPPED');
    default:
      return c.dim('PENDING');
  }
}

function* eachJob(n: NodeReport): Generator<NodeReport> {
  if (n.kind === 'job') yield n;
  for (const child of n.children ?? []) yield* eachJob(child);
}

function interesting(n: NodeReport): boolean {
  if (n.outcome === 'failed' || n.outcome === 'lost' || n.outcome === 'running') return true;
  return (n.children ?? []).some(interesting);
}

function fmtNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
}

/** The tree as text lines (no trailing newline). */
export function renderShow(report: RunReport, options: ShowOptions, c: Colors): string {
  const lines: string[] = [];
  const rel = (p: string) => {
    const r = path.relative(options.cwd, p);
    return r.startsWith('..') ? p : r || '.';
  };
  if (options.rerunOf) lines.push(c.dim(`Rerun of ${rel(options.rerunOf)}`));
  const rows: { label: string; width: number; node: NodeReport; detailPrefix: string }[] = [];
  const visit = (n: NodeReport, prefix: string, childPrefix: string) => {
    const mark = n === report.root ? VERDICT[report.outcome].mark : OUTCOME_MARK[isFlaky(n) ? 'flaky' : n.outcome];
    const ident = safe(n.ident);
    const label = `${prefix}${mark(c)} ${c.bold(ident)}`;
    rows.push({ label, width: prefix.length + 2 + ident.length, node: n, detailPrefix: childPrefix });
    let kids = n.children ?? [];
    if (options.failedOnly) kids = kids.filter(interesting);
    kids.forEach((child, i) => {
      const last = i === kids.length - 1;
      visit(child, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`);
    });
  };
  visit(report.root, '', '');
  // A reduce, not Math.max(...): a tree of 100,000 jobs has more rows than a call takes arguments.
  const width = Math.min(48, rows.reduce((w, r) => Math.max(w, r.width), 0));
  for (const { label, width: w, node, detailPrefix } of rows) {
    const cols: string[] = [node === report.root ? VERDICT[report.outcome].state(c) : stateText(node, c)];
    if (node.duration !== null) cols.push(duration(node.duration));
    const counts = countsText(node.messages, c);
    if (counts) cols.push(counts);
    if (node.totals && node !== report.root) cols.push(c.dim(`${node.totals.passed}/${node.totals.total} passed`));
    if (node.kind === 'job' && node.exit !== null && node.exit !== 0) cols.push(c.red(`exit ${node.exit}`));
    if (isFlaky(node)) cols.push(c.yellow(`passed on attempt ${node.attempts[node.attempts.length - 1]!.attempt}`));
    else if (node.attempts.length > 1) cols.push(c.dim(`${node.attempts.length} attempts`));
    const metrics = metricsText(node.kind === 'job' ? node.metrics : {});
    if (metrics) cols.push(c.cyan(metrics));
    lines.push(`${label}${' '.repeat(Math.max(1, width - w + 2))}${cols.join('  ')}`);
    const bad = node.outcome === 'failed' || node.outcome === 'lost' || node.outcome === 'skipped';
    if (bad && node.reason && (node.kind === 'job' || node === report.root || !node.children?.length)) {
      const pad = `${detailPrefix}${node.children?.length ? '│  ' : '   '}`;
      lines.push(`${pad}${c.dim('reason:')} ${node.outcome === 'skipped' ? c.yellow(safe(node.reason)) : c.red(safe(node.reason))}`);
      for (const e of node.errors.slice(0, 3)) lines.push(`${pad}${c.dim('│')} ${safe(e.length > 160 ? `${e.slice(0, 159)}…` : e)}`);
    }
  }
  lines.push('');
  const t = report.totals;
  const m = report.messages;
  lines.push(
    `${c.bold(VERDICT[report.outcome].footer(c))}  ` +
      `${totalsText(t, c)}  ` +
      c.dim(`(${plural(m.warning, 'warning')}, ${plural(m.error + m.critical, 'error')}${report.duration !== null ? `, ${duration(report.duration)}` : ''})`),
  );
  const flaky = [...eachJob(report.root)].filter(isFlaky);
  if (flaky.length > 0) {
    const names = flaky.slice(0, 10).map((j) => j.path.slice(1).join('.') || j.ident);
    lines.push(c.yellow(`${plural(flaky.length, 'flaky job')} (passed only on a retry; counted as passed): ${names.join(', ')}${flaky.length > 10 ? ', …' : ''}`));
  }
  if (report.outcome === 'interrupted' || (report.outcome === 'failed' && t.failed + t.lost === 0 && report.verdict.reason)) {
    lines.push(`${c.dim('reason:')} ${c.red(safe(report.verdict.reason))}`);
  }
  if (report.buckets.length > 0) {
    lines.push(c.bold('Failure buckets:'));
    for (const b of report.buckets.slice(0, 20)) {
      const ex = safe(b.examples.map((e) => e.join('.')).join(', '));
      lines.push(`  ${String(b.count).padStart(5)} × ${c.yellow(safe(b.signature))}${ex ? c.dim(`  (${ex})`) : ''}`);
    }
  }
  const stats = Object.entries(report.stats);
  if (stats.length > 0) {
    lines.push(c.bold('Metrics:'));
    const table = [['name', 'count', 'sum', 'min', 'max', 'mean'], ...stats.map(([name, s]) => [safe(name), String(s.count), fmtNumber(s.sum), fmtNumber(s.min), fmtNumber(s.max), fmtNumber(s.mean)])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    table.forEach((r, i) => {
      const text = r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  ');
      lines.push(`  ${i === 0 ? c.dim(text) : text}`);
    });
  }
  lines.push(c.dim(`Run recorded in ${rel(report.tracking)}`));
  return lines.join('\n');
}

export function showCommand(report: RunReport, options: ShowOptions & { json?: boolean }, out: NodeJS.WriteStream): void {
  if (options.json) {
    // rerunOf rides along with the report's fields (absent when the run was not a rerun).
    out.write(renderJson(options.rerunOf ? ({ ...report, rerunOf: options.rerunOf } as RunReport) : report));
    return;
  }
  if (options.slowest !== undefined || options.timeline) {
    const c = colorsFor(out);
    const parts: string[] = [];
    if (options.timeline) parts.push(renderTimeline(report, c));
    if (options.slowest !== undefined) parts.push(renderSlowest(report, options.slowest, c));
    out.write(`${parts.join('\n\n')}\n`);
    return;
  }
  out.write(`${renderShow(report, options, colorsFor(out))}\n`);
}

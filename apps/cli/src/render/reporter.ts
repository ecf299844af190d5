/**
 * What the CLI shows while a run goes on and when it ends. The libraries emit
 * events; a Reporter turns them into lines. `PlainReporter` writes one event a
 * line and never redraws (pipes, CI, --quiet); the live terminal view builds
 * on the same events.
 */
import path from 'node:path';
import { JobResult, Severity, runVerdict, type Failure, type JobTally, type Summary } from '@gator/protocol';
import { clock, colorsFor, dotted, duration, jobTotals, severityTag, type Colors } from './format.js';

export interface RunEnd {
  result: number;
  summary: Summary;
  reason?: string;
  tracking: string;
  wallSeconds: number;
  interrupted: boolean;
  exitCode: number;
  /** For a root !Job: its exit code. */
  code?: number;
  /** Number of jobs the spec holds (the summary's sub_* count tiers too). */
  expectedJobs?: number;
  /** The run's own messages (the run model: never Gator's notices); else the summary's msg_* metrics. */
  messages?: { warning: number; error: number; critical: number };
}

/** A job changed state; a failure carries its bucket once others failed the same way. */
export interface JobEvent {
  path: string[];
  state: 'started' | 'passed' | 'failed' | 'lost' | 'skipped';
  reason?: string;
  /** The failure bucket of a failed job, when it holds more than this job: `count` jobs failed with `signature` so far. */
  bucket?: { signature: string; count: number };
}

export interface Reporter {
  /** A message of a layer (the root's own, a root job's output, or forwarded with --all-msg). */
  message(level: number, text: string, timestamp: number, path?: string[]): void;
  /** A job somewhere in the tree changed state. */
  job(event: JobEvent): void;
  /** The root's roll-up changed. */
  summary(summary: Summary): void;
  /** A line of the CLI itself (warnings such as an unreachable hub). */
  note(level: number, text: string): void;
  end(end: RunEnd): void;
  close(): void;
}

export interface ReporterOptions {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  verbose: boolean;
  quiet: boolean;
  /** Root ident, stripped from displayed paths. */
  rootIdent?: string;
  cwd: string;
}

/** Tracks jobs seen running/failed across roll-ups, to tell start/pass/fail apart. */
export class JobTracker {
  private running = new Map<string, { path: string[]; since: number }>();
  private failed = new Set<string>();
  private skipped = new Set<string>();
  /** Jobs already announced as "passed on attempt N". */
  private passedAfterRetry = new Set<string>();
  constructor(private readonly emit: Reporter['job']) {}

  update(summary: Summary): void {
    const now = Date.now() / 1000;
    const failures = new Map<string, Failure>();
    for (const f of summary.failures ?? []) failures.set(dotted(f.path), f);
    const runningNow = new Map<string, { path: string[]; since: number }>();
    summary.running_ids.forEach((p, i) => runningNow.set(dotted(p), { path: p, since: summary.running_since?.[i] ?? now }));
    for (const [key, info] of runningNow) {
      if (!this.running.has(key)) this.emit({ path: info.path, state: 'started' });
    }
    const failedNow = new Set(summary.failed_ids.map((p) => dotted(p)));
    const retriedPasses = new Map<string, string[]>();
    for (const r of summary.retried ?? []) {
      if (r.result === JobResult.SUCCESS) retriedPasses.set(dotted(r.path), r.path);
    }
    for (const [key, info] of this.running) {
      if (runningNow.has(key)) continue;
      if (failedNow.has(key) || retriedPasses.has(key)) continue; // reported below
      this.emit({ path: info.path, state: 'passed' });
    }
    for (const r of summary.retried ?? []) {
      const key = dotted(r.path);
      if (r.result !== JobResult.SUCCESS || this.passedAfterRetry.has(key)) continue;
      this.passedAfterRetry.add(key);
      this.emit({ path: r.path, state: 'passed', reason: `passed on attempt ${r.attempt}` });
    }
    const bucketCounts = new Map((summary.buckets ?? []).map((b) => [b.signature, b.count]));
    for (const p of summary.failed_ids) {
      const key = dotted(p);
      if (this.failed.has(key)) continue;
      this.failed.add(key);
      const f = failures.get(key);
      const count = f?.signature !== undefined ? (bucketCounts.get(f.signature) ?? 0) : 0;
      this.emit({
        path: p,
        state: 'failed',
        ...(f?.reason ? { reason: f.reason } : {}),
        ...(count > 1 ? { bucket: { signature: f!.signature!, count } } : {}),
      });
    }
    for (const sk of summary.skipped ?? []) {
      const key = dotted(sk.path);
      if (this.skipped.has(key)) continue;
      this.skipped.add(key);
      this.emit({ path: sk.path, state: 'skipped', reason: sk.reason });
    }
    this.running = runningNow;
  }

  runningJobs(): { path: string[]; since: number }[] {
    return [...this.running.values()];
  }
}

export class PlainReporter implements Reporter {
  protected readonly c: Colors;
  protected readonly tracker: JobTracker;
  constructor(protected readonly options: ReporterOptions) {
    this.c = colorsFor(options.out);
    this.tracker = new JobTracker((e) => this.job(e));
  }

  protected show(p: string[] | undefined): string {
    if (!p) return '';
    const trimmed = this.options.rootIdent && p[0] === this.options.rootIdent && p.length > 1 ? p.slice(1) : p;
    return dotted(trimmed);
  }

  message(level: number, text: string, timestamp: number, p?: string[]): void {
    if (level < (this.options.verbose ? Severity.DEBUG : Severity.INFO)) return;
    if (this.options.quiet && level < Severity.WARNING) return;
    const who = p && p.length ? `${this.c.dim(this.show(p))} ` : '';
    this.options.out.write(`${this.c.dim(`[${clock(timestamp)}]`)} ${severityTag(level, this.c)} ${who}${text}\n`);
  }

  job(e: JobEvent): void {
    const c = this.c;
    const mark = {
      started: c.blue('▶ started'),
      passed: c.green('✔ passed '),
      failed: c.red('✖ failed '),
      lost: c.red('✖ lost   '),
      skipped: c.yellow('○ skipped'),
    }[e.state];
    if (this.options.quiet && (e.state === 'started' || e.state === 'passed')) return;
    const bucket = e.bucket ? c.yellow(` [${e.bucket.count} jobs failed with: ${e.bucket.signature}]`) : '';
    this.options.out.write(`${c.dim(`[${clock(Date.now() / 1000)}]`)} ${mark} ${this.show(e.path)}${e.reason ? c.dim(`: ${e.reason}`) : ''}${bucket}\n`);
  }

  summary(summary: Summary): void {
    this.tracker.update(summary);
  }

  note(level: number, text: string): void {
    this.options.err.write(`${severityTag(level, colorsFor(this.options.err))} ${text}\n`);
  }

  end(end: RunEnd): void {
    this.tracker.update(end.summary);
    this.options.out.write(renderSummary(end, this.c, this.options));
  }

  close(): void {}
}

/**
 * The jobs of the run's final summary by outcome: the root's `jobs` tally
 * (the run model, docs/run-model.md), else (older or Python roots) what the
 * `sub_*`/`jobs_*` metrics tell.
 */
export function finalTally(summary: Summary, expectedJobs?: number): JobTally & { unselected: number } {
  const unselected = summary.sub_unselected ?? 0;
  if (summary.jobs) return { ...summary.jobs, unselected };
  const t = jobTotals(summary, expectedJobs);
  return { total: t.total, passed: t.passed, failed: t.failed, lost: t.lost, skipped: t.skipped, stopped: 0, running: t.running, pending: 0, unselected };
}

/** The final summary: totals, wall time, each failed job with its reason, first errors and log. */
export function renderSummary(end: RunEnd, c: Colors, options: Pick<ReporterOptions, 'cwd' | 'rootIdent'>): string {
  const t = finalTally(end.summary, end.expectedJobs);
  // One verdict rule for every view; a failure of the run's own (a budget) is known from its exit status.
  const ownProblem = end.exitCode === 1 && t.failed + t.lost === 0 ? [end.reason ?? 'the run failed'] : [];
  const verdict = runVerdict({ tally: { ...t, running: 0, pending: 0 }, stopped: end.interrupted, problems: ownProblem });
  const lines: string[] = [''];
  const rel = (p: string) => {
    const r = path.relative(options.cwd, p);
    return r.startsWith('..') ? p : r || '.';
  };
  const failures = end.summary.failures ?? [];
  if (failures.length > 0) {
    const shown = failures.slice(0, 20);
    // failed_ids holds groups that failed for their own reasons (a budget) too: say so.
    const jobs = Math.min(t.failed + t.lost, end.summary.failed_ids.length);
    const groups = end.summary.failed_ids.length - jobs;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    lines.push(c.bold(c.red(`${[jobs > 0 || groups === 0 ? plural(jobs, 'job') : '', groups > 0 ? plural(groups, 'group') : ''].filter(Boolean).join(' and ')} failed:`)));
    for (const f of shown) {
      const p = options.rootIdent && f.path[0] === options.rootIdent && f.path.length > 1 ? f.path.slice(1) : f.path;
      lines.push(`  ${c.red('✖')} ${c.bold(dotted(p))}: ${f.reason}${f.attempt && f.attempt > 1 ? c.dim(` (attempt ${f.attempt})`) : ''}`);
      for (const e of (f.errors ?? []).slice(0, 3)) lines.push(`      ${c.dim('│')} ${e.length > 200 ? `${e.slice(0, 200)}…` : e}`);
      if (f.log) lines.push(`      ${c.dim(`log: ${rel(f.log)}`)}`);
    }
    if (failures.length > shown.length) lines.push(c.dim(`  … and ${failures.length - shown.length} more (gator show ${rel(end.tracking)})`));
  } else if (end.summary.failed_ids.length > 0) {
    lines.push(c.bold(c.red(`${end.summary.failed_ids.length} failed:`)));
    for (const p of end.summary.failed_ids.slice(0, 20)) lines.push(`  ${c.red('✖')} ${dotted(p)}`);
  }
  const buckets = [...(end.summary.buckets ?? [])].sort((a, b) => b.count - a.count);
  // One failure is its own bucket: worth a section only when failures can be grouped.
  if (buckets.reduce((n, b) => n + b.count, 0) > 1) {
    lines.push(c.bold('Failure buckets:'));
    for (const b of buckets.slice(0, 10)) lines.push(`  ${String(b.count).padStart(4)} job${b.count === 1 ? ' ' : 's'} failed with: ${c.yellow(b.signature)}`);
    if (buckets.length > 10) lines.push(c.dim(`  … and ${buckets.length - 10} more kinds (gator show ${rel(end.tracking)})`));
  }
  const retriedPasses = (end.summary.retried ?? []).filter((r) => r.result === JobResult.SUCCESS);
  if (retriedPasses.length > 0) {
    lines.push(c.bold(c.yellow(`${retriedPasses.length} job${retriedPasses.length === 1 ? '' : 's'} passed after retrying:`)));
    for (const r of retriedPasses.slice(0, 20)) {
      const p = options.rootIdent && r.path[0] === options.rootIdent && r.path.length > 1 ? r.path.slice(1) : r.path;
      lines.push(`  ${c.yellow('↻')} ${c.bold(dotted(p))}: passed on attempt ${r.attempt}`);
    }
    if (retriedPasses.length > 20) lines.push(c.dim(`  … and ${retriedPasses.length - 20} more (gator show ${rel(end.tracking)})`));
  }
  if (end.reason && end.result !== JobResult.SUCCESS && failures.length === 0) lines.push(`${c.red('Reason:')} ${end.reason}`);
  const m = end.summary.metrics;
  const warnings = end.messages ? end.messages.warning : (m.msg_warning ?? 0);
  const errors = end.messages ? end.messages.error + end.messages.critical : (m.msg_error ?? 0) + (m.msg_critical ?? 0);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = [
    c.green(`${t.passed} passed`),
    (t.failed > 0 ? c.red : c.dim)(`${t.failed} failed`),
    (t.lost > 0 ? c.red : c.dim)(`${t.lost} lost`),
    (t.skipped > 0 ? c.yellow : c.dim)(`${t.skipped} skipped`),
  ];
  if (t.stopped > 0) parts.push(c.yellow(`${t.stopped} stopped`));
  if (t.running > 0) parts.push(c.yellow(`${t.running} still running`));
  // A stopped run keeps its word of today here ("Interrupted"): the Ctrl-C path is changed apart.
  const label = { passed: c.green('Passed'), failed: c.red('Failed'), stopped: c.yellow('Interrupted'), interrupted: c.yellow('Interrupted'), running: c.blue('Running') }[verdict.outcome];
  lines.push(
    `${c.bold(label)}  ` +
      `${parts.join(', ')} of ${t.total} job${t.total === 1 ? '' : 's'}${t.unselected > 0 ? c.dim(` (${t.unselected} not rerun)`) : ''}  ` +
      c.dim(`(${plural(warnings, 'warning')}, ${plural(errors, 'error')}, ${duration(end.wallSeconds)})`),
  );
  lines.push(c.dim(`Run recorded in ${rel(end.tracking)}`));
  return `${lines.join('\n')}\n`;
}

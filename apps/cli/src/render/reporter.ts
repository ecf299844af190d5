/**
 * What the CLI shows while a run goes on and when it ends. The libraries emit
 * events; a Reporter turns them into lines. `PlainReporter` writes one event a
 * line and never redraws (pipes, CI, --quiet); the live terminal view builds
 * on the same events.
 */
import path from 'node:path';
import { JobResult, Severity, emptyTally, runVerdict, type JobEnd, type JobTally, type Summary } from '@gator/protocol';
import { clock, colorsFor, dotted, duration, jobTotals, severityTag, type Colors } from './format.js';
import { terminalSafe as safe } from './terminal-text.js';

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
  /** The jobs by outcome, as their ends told (when the summary has no `jobs` tally). */
  jobs?: (JobTally & { unselected: number }) | undefined;
  /** The run's own messages (the run model: never Gator's notices); else the summary's msg_* metrics. */
  messages?: { warning: number; error: number; critical: number };
}

/** A job changed state; a failure carries its bucket once others failed the same way. */
export interface JobEvent {
  path: string[];
  state: 'started' | 'passed' | 'failed' | 'lost' | 'skipped' | 'stopped';
  reason?: string;
  /** The failure bucket of a failed job, when it holds more than this job: `count` jobs failed with `signature` so far. */
  bucket?: { signature: string; count: number };
  /** Jobs this line stands for (the run's stop: "N jobs not started"), when more than the one at `path`. */
  count?: number;
}

export interface Reporter {
  /** A message of a layer (the root's own, a root job's output, or forwarded with --all-msg). */
  message(level: number, text: string, timestamp: number, path?: string[]): void;
  /** One of Gator's notices (a stop, a problem of a layer): told apart from messages, never counted. */
  notice(text: string, timestamp: number, path?: string[]): void;
  /** A job somewhere in the tree changed state. */
  job(event: JobEvent): void;
  /** A job somewhere in the tree ended (each job once: the layers' `end` events). */
  jobEnd(end: JobEnd): void;
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

/**
 * What the live stream says about each job: a start line when a roll-up first
 * shows it running, and exactly one final line, from the job's end as its
 * layers reported it (never guessed from two summaries, so never "passed"
 * then "failed", and no job too short to be seen). Jobs the run's stop kept
 * from starting are told in one line at the end.
 */
export class JobTracker {
  private running = new Map<string, { path: string[]; since: number }>();
  /** Jobs whose final line was printed (the renderer's memory: one key per job of the run). */
  private ended = new Set<string>();
  private readonly bucketCounts = new Map<string, number>();
  private readonly counts: JobTally = emptyTally();
  private unselected = 0;
  private notStarted = 0;
  constructor(private readonly emit: Reporter['job']) {}

  update(summary: Summary): void {
    const now = Date.now() / 1000;
    const runningNow = new Map<string, { path: string[]; since: number }>();
    summary.running_ids.forEach((p, i) => {
      const key = dotted(p);
      if (!this.ended.has(key)) runningNow.set(key, { path: p, since: summary.running_since?.[i] ?? now });
    });
    for (const [key, info] of runningNow) {
      if (!this.running.has(key)) this.emit({ path: info.path, state: 'started' });
    }
    this.running = runningNow;
  }

  /** A job's end: its one final line. */
  end(end: JobEnd): void {
    const key = dotted(end.path);
    if (this.ended.has(key)) return;
    this.ended.add(key);
    this.running.delete(key);
    if (end.outcome === 'skipped' && end.kind === 'not_selected') {
      // Not part of this rerun: neither a line nor a count.
      this.unselected++;
      return;
    }
    this.counts[end.outcome]++;
    this.counts.total++;
    const reason = end.reason ? { reason: end.reason } : {};
    switch (end.outcome) {
      case 'failed': {
        const count = end.signature !== undefined ? (this.bucketCounts.get(end.signature) ?? 0) + 1 : 0;
        if (end.signature !== undefined) this.bucketCounts.set(end.signature, count);
        const attempt = end.attempt && end.attempt > 1 && !/attempt/.test(end.reason ?? '') ? { reason: `${end.reason ?? 'failed'} (attempt ${end.attempt})` } : reason;
        this.emit({ path: end.path, state: 'failed', ...attempt, ...(count > 1 ? { bucket: { signature: end.signature!, count } } : {}) });
        return;
      }
      case 'passed':
        this.emit({ path: end.path, state: 'passed', ...(end.attempt && end.attempt > 1 ? { reason: `passed on attempt ${end.attempt}` } : {}) });
        return;
      case 'skipped':
        // Not started because the run was stopped: one line for all of them, at the end.
        if (end.kind === 'stopped') this.notStarted++;
        else this.emit({ path: end.path, state: 'skipped', ...reason });
        return;
      default:
        this.emit({ path: end.path, state: end.outcome, ...reason });
    }
  }

  /**
   * The run is over: jobs seen running whose end never came (below a Python
   * Gator tier, which reports none) get their line from the final roll-up, and
   * the jobs the stop kept from starting get theirs.
   */
  finish(summary: Summary): void {
    const failed = new Set(summary.failed_ids.map((p) => dotted(p)));
    for (const [key, info] of [...this.running]) {
      if (summary.running_ids.some((p) => dotted(p) === key)) continue;
      this.end({ path: info.path, outcome: failed.has(key) ? 'failed' : 'passed', at: Date.now() / 1000 });
    }
    if (this.notStarted > 0) {
      this.emit({ path: [], state: 'skipped', count: this.notStarted, reason: 'run stopped' });
      this.notStarted = 0;
    }
  }

  /**
   * The jobs by outcome as their ends told, when every job of the run (`expected`) ended;
   * else undefined (some ends never came: a Python Gator subtree).
   */
  tally(expected: number | undefined): (JobTally & { unselected: number }) | undefined {
    if (expected === undefined || this.counts.total + this.unselected !== expected) return undefined;
    return { ...this.counts, unselected: this.unselected };
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
    return safe(dotted(trimmed));
  }

  message(level: number, text: string, timestamp: number, p?: string[]): void {
    if (level < (this.options.verbose ? Severity.DEBUG : Severity.INFO)) return;
    if (this.options.quiet && level < Severity.WARNING) return;
    const who = p && p.length ? `${this.c.dim(this.show(p))} ` : '';
    this.options.out.write(`${this.c.dim(`[${clock(timestamp)}]`)} ${severityTag(level, this.c)} ${who}${safe(text)}\n`);
  }

  notice(text: string, timestamp: number, p?: string[]): void {
    const who = p && p.length ? `${this.c.dim(this.show(p))} ` : '';
    this.options.out.write(`${this.c.dim(`[${clock(timestamp)}]`)} ${this.c.dim('[gator  ]')} ${who}${safe(text)}\n`);
  }

  job(e: JobEvent): void {
    const c = this.c;
    const mark = {
      started: c.blue('▶ started'),
      passed: c.green('✔ passed '),
      failed: c.red('✖ failed '),
      lost: c.red('✖ lost   '),
      skipped: c.yellow('○ skipped'),
      stopped: c.yellow('■ stopped'),
    }[e.state];
    if (this.options.quiet && (e.state === 'started' || e.state === 'passed')) return;
    const bucket = e.bucket ? c.yellow(` [${e.bucket.count} jobs failed with: ${safe(e.bucket.signature)}]`) : '';
    if (e.count !== undefined) {
      // One line for many jobs: "12 jobs not started: run stopped".
      this.options.out.write(`${c.dim(`[${clock(Date.now() / 1000)}]`)} ${c.yellow('○')} ${e.count} job${e.count === 1 ? '' : 's'} not started${e.reason ? c.dim(`: ${safe(e.reason)}`) : ''}\n`);
      return;
    }
    this.options.out.write(`${c.dim(`[${clock(Date.now() / 1000)}]`)} ${mark} ${this.show(e.path)}${e.reason ? c.dim(`: ${safe(e.reason)}`) : ''}${bucket}\n`);
  }

  summary(summary: Summary): void {
    this.tracker.update(summary);
  }

  jobEnd(end: JobEnd): void {
    this.tracker.end(end);
  }

  note(level: number, text: string): void {
    this.options.err.write(`${severityTag(level, colorsFor(this.options.err))} ${safe(text)}\n`);
  }

  end(end: RunEnd): void {
    this.tracker.update(end.summary);
    this.tracker.finish(end.summary);
    this.options.out.write(renderSummary({ ...end, jobs: end.jobs ?? this.tracker.tally(end.expectedJobs) }, this.c, this.options));
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
  // The root's tally; else (a Python child below, say) the jobs by outcome as their ends told.
  const t = !end.summary.jobs && end.jobs ? end.jobs : finalTally(end.summary, end.expectedJobs);
  // One verdict rule for every view; a failure of the run's own (a budget) is known from its exit status.
  const ownProblem = end.exitCode === 1 && t.failed + t.lost + t.stopped === 0 ? [end.reason ?? 'the run failed'] : [];
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
      lines.push(`  ${c.red('✖')} ${c.bold(safe(dotted(p)))}: ${safe(f.reason)}${f.attempt && f.attempt > 1 ? c.dim(` (attempt ${f.attempt})`) : ''}`);
      for (const e of (f.errors ?? []).slice(0, 3)) lines.push(`      ${c.dim('│')} ${safe(e.length > 200 ? `${e.slice(0, 200)}…` : e)}`);
      if (f.log) lines.push(`      ${c.dim(`log: ${rel(f.log)}`)}`);
    }
    if (failures.length > shown.length) lines.push(c.dim(`  … and ${failures.length - shown.length} more (gator show ${rel(end.tracking)})`));
  } else if (end.summary.failed_ids.length > 0) {
    lines.push(c.bold(c.red(`${end.summary.failed_ids.length} failed:`)));
    for (const p of end.summary.failed_ids.slice(0, 20)) lines.push(`  ${c.red('✖')} ${safe(dotted(p))}`);
  }
  const buckets = [...(end.summary.buckets ?? [])].sort((a, b) => b.count - a.count);
  // One failure is its own bucket: worth a section only when failures can be grouped.
  if (buckets.reduce((n, b) => n + b.count, 0) > 1) {
    lines.push(c.bold('Failure buckets:'));
    for (const b of buckets.slice(0, 10)) lines.push(`  ${String(b.count).padStart(4)} job${b.count === 1 ? ' ' : 's'} failed with: ${c.yellow(safe(b.signature))}`);
    if (buckets.length > 10) lines.push(c.dim(`  … and ${buckets.length - 10} more kinds (gator show ${rel(end.tracking)})`));
  }
  const retriedPasses = (end.summary.retried ?? []).filter((r) => r.result === JobResult.SUCCESS);
  if (retriedPasses.length > 0) {
    // Flaky (docs/run-model.md): passed, but only on a retry; counted as passed, said apart.
    lines.push(c.bold(c.yellow(`${retriedPasses.length} flaky job${retriedPasses.length === 1 ? '' : 's'} (passed only on a retry):`)));
    for (const r of retriedPasses.slice(0, 20)) {
      const p = options.rootIdent && r.path[0] === options.rootIdent && r.path.length > 1 ? r.path.slice(1) : r.path;
      lines.push(`  ${c.yellow('↻')} ${c.bold(safe(dotted(p)))}: passed on attempt ${r.attempt}`);
    }
    if (retriedPasses.length > 20) lines.push(c.dim(`  … and ${retriedPasses.length - 20} more (gator show ${rel(end.tracking)})`));
  }
  if (end.reason && end.result !== JobResult.SUCCESS && failures.length === 0) lines.push(`${c.red('Reason:')} ${safe(end.reason)}`);
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
  const label = { passed: c.green('Passed'), failed: c.red('Failed'), stopped: c.yellow('Stopped'), interrupted: c.yellow('Interrupted'), running: c.blue('Running') }[verdict.outcome];
  lines.push(
    `${c.bold(label)}  ` +
      `${parts.join(', ')} of ${t.total} job${t.total === 1 ? '' : 's'}${t.unselected > 0 ? c.dim(` (${t.unselected} not rerun)`) : ''}  ` +
      c.dim(`(${plural(warnings, 'warning')}, ${plural(errors, 'error')}, ${duration(end.wallSeconds)})`),
  );
  lines.push(c.dim(`Run recorded in ${rel(end.tracking)}`));
  return `${lines.join('\n')}\n`;
}


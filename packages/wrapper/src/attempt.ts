/**
 * One attempt at the job: launch, capture its output, watch its resources,
 * wait for its main process, end what it left behind, judge it; and the
 * retries (`retries: N`): a failing attempt that may be retried is followed
 * by another, each a `GatorAttempt` row.
 */
import type { ChildProcess } from 'node:child_process';
import { type FailureKind, type Job, JobResult, type LayerLimits, Severity, shellQuote } from '@gator/protocol';
import type { RawLog } from '@gator/db';
import { OutputCapture } from './capture.js';
import { CappedRawLog } from './output-cap.js';
import { contain } from './containment.js';
import type { JobStore } from './job-store.js';
import { launchJob } from './launch.js';
import { setLongTimeout } from './long-timer.js';
import { type MessageLog, type MessageTally, nowSeconds } from './message-log.js';
import { type PidMark, hasProcFs, pidMark, signalGroup, uptimeTicks } from './processes.js';
import { reapLeftovers, terminate } from './reap.js';
import type { CompiledRule } from './rules.js';
import { ResourceWatch } from './sampling.js';
import { type AttemptVerdict, judgeAttempt, limitViolations } from './verdict.js';
import type { WrapperEvent } from './events.js';

/** Longest wait for the job's pipes to close once its processes are gone. */
const PIPE_CLOSE_MS = 2_000;

/** What every attempt of a job runs with. */
export interface AttemptContext {
  spec: Job;
  ident: string;
  /** The expanded command line, environment and working directory. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  rules: readonly CompiledRule[];
  limits: LayerLimits;
  maxLineBytes: number;
  stopGraceMs: number;
  sampleMs: number;
  /** `GATOR_PARENT` the job was given (marks its processes for reaping). */
  parentAddress: string;
  log: MessageLog;
  db: JobStore;
  emit: (event: WrapperEvent) => void;
  /** The attempt started or ended: worth an update to the parent now. */
  changed: () => void;
  /**
   * The job's processes are gone (`at`, seconds): the attempt's stop time. Called once per
   * attempt, before its verdict: at once when its cgroup shows nothing left, else once what
   * it left is ended.
   */
  gone?: (at: number) => void;
}

export class Attempt {
  /** The job's main process; 0 until launched (or when it could not be). */
  pid = 0;
  startedAt: number | undefined;
  /** When its processes were gone (see `AttemptContext.gone`). */
  stoppedAt: number | undefined;
  running = false;
  private stopReason: string | undefined;
  /** The job's own fault behind the stop (its timeout, a hang); none for a stop on purpose. */
  private stopFailure: FailureKind | undefined;
  private retryable = false;
  private ctx: AttemptContext | undefined;
  private watch: ResourceWatch | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  /** Clock ticks since boot just before the launch (/proc's unit of process start times). */
  private startTicks = 0;
  private pidMark: PidMark | undefined;

  constructor(
    readonly number: number,
    /** Its messages (counted by the message log). */
    readonly tally: MessageTally,
  ) {}

  /** Stop this attempt (first reason wins); before the launch it prevents it. */
  stop(reason: string, retryable: boolean, failure?: FailureKind): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.stopFailure = failure;
    this.retryable = retryable;
    if (this.running) this.terminate();
  }

  /** The wrapper itself failed: stop at once, no grace. */
  kill(reason: string): void {
    if (!this.running) return;
    this.stop(reason, false);
    signalGroup(this.pid, 'SIGKILL');
  }

  /** A sign of life from the job's API calls (hang detection). */
  activity(): void {
    this.watch?.activity();
  }

  /** Run the attempt to its verdict, recorded in its `GatorAttempt` row. */
  async run(ctx: AttemptContext): Promise<AttemptVerdict> {
    this.ctx = ctx;
    const row = ctx.db.write((s) => s.addAttempt({ attempt: this.number, started: nowSeconds() }));
    const verdict = await this.execute(ctx);
    if (row !== undefined) {
      ctx.db.write((s) =>
        s.updateAttempt(row, {
          stopped: this.stoppedAt ?? nowSeconds(),
          exit: verdict.code,
          result: verdict.passed ? JobResult.SUCCESS : JobResult.FAILURE,
          reason: verdict.reason ?? null,
        }),
      );
    }
    return verdict;
  }

  private async execute(ctx: AttemptContext): Promise<AttemptVerdict> {
    if (this.stopReason) return judgeAttempt({ kind: 'stopped', reason: this.stopReason, retryable: false });
    const [command, ...args] = ctx.argv;
    if (hasProcFs) {
      this.startTicks = uptimeTicks();
      this.pidMark = pidMark();
    }
    const containment = contain(command, args, ctx.stopGraceMs);
    const launched = await launchJob(command, args, ctx.env, ctx.cwd, containment);
    if ('error' in launched) {
      await containment?.release();
      ctx.log.log(Severity.CRITICAL, `Caught exception launching ${ctx.ident}: ${launched.error}`);
      ctx.db.attr('pid', 0);
      return judgeAttempt({ kind: 'not-started', reason: `could not start ${command}: ${launched.error}` });
    }
    const child = launched.child;
    const pid = child.pid!;
    this.pid = pid;
    this.startedAt = nowSeconds();
    this.running = true;
    const watch = new ResourceWatch({ pid, pidMark: this.pidMark, spec: ctx.spec, sampleMs: ctx.sampleMs, db: ctx.db, log: ctx.log, onHang: (reason) => this.stop(reason, true, 'hang') });
    this.watch = watch;
    if (containment) containment.onWatchdog = (watchdog) => watch.sampler.ignore.add(watchdog);
    ctx.db.attr('pid', pid);

    let rawLog: RawLog | undefined;
    try {
      rawLog = ctx.db.store?.openRawLog(pid);
      // The raw bytes have the same byte limit as the stored lines (head and tail).
      if (rawLog && ctx.log.cap) rawLog = new CappedRawLog(rawLog, ctx.log.cap.limit.bytes);
    } catch (error) {
      ctx.db.onError(error);
    }
    const capture = new OutputCapture(child, { spec: ctx.spec, rules: ctx.rules, maxLineBytes: ctx.maxLineBytes, log: ctx.log, rawLog, activity: () => watch.activity() });
    const exited = exitOf(child);

    ctx.emit({ type: 'started', pid, command: shellQuote(ctx.argv), attempt: this.number });
    ctx.changed();
    watch.start();
    const timeout = ctx.spec.timeout;
    let timeoutTimer: NodeJS.Timeout | undefined;
    if (timeout !== undefined && timeout > 0) {
      timeoutTimer = setLongTimeout(() => this.stop(`timed out after ${timeout}s`, true, 'timeout'), timeout * 1000);
      timeoutTimer.unref();
    }
    // A stop that arrived while launching.
    if (this.stopReason) this.terminate();

    const exit = await exited;
    this.running = false;
    watch.stop();
    clearTimeout(timeoutTimer);
    // Its cgroup holds every process of the job (setsid and `env -i` do not leave it): when it
    // holds none but the watchdog, the job is over now, and its slot need not wait for the
    // watchdog's exit and the scans below (they still run: what they find is still ended and told).
    if (containment?.jobGone()) this.gone(ctx);
    // The watchdog goes first (it is not the job's); then whatever the job left, its cgroup included.
    await containment?.dismiss();
    const ended = await reapLeftovers(
      { ...this.processes(), startTicks: this.startTicks, pidMark: this.pidMark, parentAddress: ctx.parentAddress, cgroup: containment?.cgroup },
      ctx.stopGraceMs,
    );
    this.gone(ctx);
    await containment?.release();
    const escaped = ended.filter((p) => p.escaped);
    if (escaped.length > 0) {
      ctx.log.log(
        Severity.WARNING,
        `Ended ${escaped.length} process${escaped.length === 1 ? '' : 'es'} the job left running outside its process group: ` +
          escaped.map((p) => `${p.pid} (${p.command.length > 80 ? `${p.command.slice(0, 77)}...` : p.command})`).join(', '),
      );
    }
    clearTimeout(this.killTimer);
    await capture.drain(PIPE_CLOSE_MS);
    capture.end();
    watch.dispose();
    ctx.emit({ type: 'exited', code: exit.code, signal: exit.signal, attempt: this.number });
    ctx.changed();
    if (this.stopReason) return judgeAttempt({ kind: 'stopped', reason: this.stopReason, retryable: this.retryable, failure: this.stopFailure });
    return judgeAttempt({ kind: 'exited', code: exit.code, signal: exit.signal, violations: limitViolations(this.tally, ctx.limits) });
  }

  private gone(ctx: AttemptContext): void {
    if (this.stoppedAt !== undefined) return;
    this.stoppedAt = nowSeconds();
    ctx.gone?.(this.stoppedAt);
  }

  private processes() {
    return { pid: this.pid, seen: () => this.watch?.sampler.seen.values() ?? [] };
  }

  private terminate(): void {
    this.killTimer = terminate(this.processes(), this.ctx!.stopGraceMs, this.killTimer);
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** How retries go on: whether another attempt may start, and making it. */
export interface Retries {
  maxAttempts: number;
  /** Neither stopped nor failed outside the job. */
  mayRetry: () => boolean;
  /** The next attempt (the wrapper's current one from now on). */
  next: (number: number) => Attempt;
}

/** Run attempts until one passes or none may follow; the verdict of the last. */
export async function runAttempts(first: Attempt, ctx: AttemptContext, retries: Retries): Promise<AttemptVerdict> {
  for (let a = first; ; ) {
    const verdict = await a.run(ctx);
    const canRetry = verdict.retryable && retries.mayRetry() && a.number < retries.maxAttempts;
    if (verdict.passed || !canRetry) return verdict;
    ctx.log.log(Severity.WARNING, `Attempt ${a.number} failed (${verdict.reason}); retrying (attempt ${a.number + 1} of ${retries.maxAttempts})`);
    a = retries.next(a.number + 1);
  }
}

/**
 * The wrapper: runs one `!Job` (see the README). The parts are the design's
 * ("Structure of a wrapper"): the job launcher (`attempt`, `launch`, `reap`),
 * the text parsers (`capture`, `lines`, `rules`), the job's websocket server
 * (`job-api`), the logger (`message-log`), the SQLite database (`job-store`)
 * and the client to the parent tier (`Uplink` of @gator/protocol), with the
 * verdict, the summary and resource sampling beside them. This file is the
 * life of the layer, composing them:
 *
 * open the store → write spec.yaml → start the job API server → register with
 * the parent → attributes → heartbeats → attempts (retried while failing) →
 * final attributes and summary → `update` + `complete` to the parent → close.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type ApiJob,
  type Connection,
  DEFAULT_OUTPUT_LIMIT,
  type GatorServer,
  type GoSignal,
  type Job,
  JobResult,
  JobState,
  type LayerLimits,
  type LayerOptions,
  type LayerPlace,
  type NoticeKind,
  ROOT_PLACE,
  type RunningLayer,
  Severity,
  type Summary,
  Uplink,
  describeLayer,
  dumpSpec,
  emitTo,
  expandVariables,
  layerSettings,
  listenLayerServer,
  METRIC_SCOPES,
  type RefusalCounter,
  readOnlyHandlers,
  sameSecret,
} from '@gator/protocol';
import { Attempt, type AttemptContext, runAttempts } from './attempt.js';
import type { WrapperEvent } from './events.js';
import { finalAttributes, startAttributes } from './attributes.js';
import { jobEnvironment, writeJobBin } from './environment.js';
import { JobStore } from './job-store.js';
import { type WrapperQueries, jobApiHandlers, parentApiHandlers, wrapperQueries } from './job-api.js';
import { DEFAULT_MAX_LINE_BYTES } from './lines.js';
import { MessageLog, nowSeconds, plural } from './message-log.js';
import { type OutputCap, describeAmount, formatBytes } from './output-cap.js';
import { type CompiledRule, compileLogRules } from './rules.js';
import { sampleInterval } from './sampling.js';
import { jobEnd } from './job-end.js';
import { jobSummary } from './summary.js';
import { type AttemptVerdict, type JobVerdict, NOT_RUN, judgeJob, limitViolations, standing } from './verdict.js';

export type { MessageSource, WrapperEvent } from './events.js';

/** Message limits (the layer's: a count greater than the limit fails the job). */
export type WrapperLimits = Partial<LayerLimits>;

export interface WrapperOptions extends LayerOptions {
  spec: Job;
  /** SIGTERM → SIGKILL grace when stopping the job, ms (default 5000). */
  stopGraceMs?: number;
  /** Longest stored line in UTF-8 bytes (default 64 KiB); longer lines are cut. */
  maxLineBytes?: number;
  /** What happens, for the CLI to render (the library never prints). */
  onEvent?: (event: WrapperEvent) => void;
  /**
   * The argv prefix that runs the Gator CLI hosting this wrapper (`[node,
   * cli.js]`): the job gets a `gator` command first on its PATH that runs it, so
   * `gator log` / `gator metric` work in the job. Absent: PATH as inherited.
   */
  jobCli?: readonly string[];
  /**
   * The local scheduler started this wrapper before its slot was free
   * (`takeGoChannel` of @gator/protocol): it starts up (store, job API server)
   * and waits for the go before it registers with its parent and runs the job;
   * it says when the job has ended. A wrapper stopped or cut off before its go
   * removes what it wrote and ends without a report, as a job stopped in the
   * queue never started.
   */
  go?: GoSignal;
}

export interface WrapperOutcome {
  result: JobResult;
  /** Exit code reported: the job's, `-signo` when killed by a signal, 255 when stopped or not started. */
  code: number;
  /** Why it failed (or `passed on attempt N` after retries). */
  reason?: string;
  summary: Summary;
  /** Attempts made (1 without retries). */
  attempts: number;
  dbFile: string;
}

/** `stop` ends the job (SIGTERM, then SIGKILL after the grace); `address` is the job API server's. */
export type Wrapper = RunningLayer<WrapperOutcome> & {
  /** `host:port/TOKEN` the job gets (`GATOR_PARENT`): its token reaches this wrapper's job API alone. */
  readonly jobAddress?: string;
};

const OWN = METRIC_SCOPES.own;
const GROUP = METRIC_SCOPES.group;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class JobWrapper implements Wrapper {
  private readonly o: WrapperOptions;
  private readonly spec: Job;
  private readonly ident: string;
  private readonly tracking: string;
  private readonly limits: LayerLimits;
  private readonly intervalMs: number;
  private readonly maxAttempts: number;

  private readonly db: JobStore;
  private readonly log: MessageLog;
  /** `get_messages` and `resolve`, answered to the job and to the parent alike. */
  private readonly queries: WrapperQueries;
  /** Metrics the job set through its API. */
  private readonly jobMetrics = new Map<string, number>();
  private server: GatorServer | undefined;
  private refusals: RefusalCounter | undefined;
  /** The job's credential for this wrapper's job API: accepted here and nowhere else. */
  private readonly jobToken = randomBytes(18).toString('base64url');
  private uplink: Uplink<'wrapperUplink'> | undefined;
  private attempt: Attempt;
  private runPromise: Promise<WrapperOutcome> | undefined;

  private place: LayerPlace = ROOT_PLACE;
  private startedAt = nowSeconds();
  private updatedAt: number | undefined;
  private stoppedAt: number | undefined;
  /** `ended` was said on the go channel (once). */
  private slotFreed = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  private stopRequested = false;
  /** Waiting for the go (`options.go`). */
  private waiting = false;
  /** Stopped or cut off while waiting (also when the go was already on its way). */
  private abandoned = false;
  /** Files of the tracking directory before the store opened (a wrapper that never gets its go removes the rest). */
  private filesBefore: Set<string> | undefined;
  private parentLost = false;
  /** The parent answered `register` (or there is none): updates may go (the first heartbeat follows). */
  private registered = false;
  /** Why the job fails for a reason outside the job itself (first reason wins). */
  private fatalReason: string | undefined;
  /** The current (last possible) attempt already violates a limit. */
  private failingEarly = false;
  private final: JobVerdict | undefined;
  private finished = false;

  constructor(options: WrapperOptions) {
    this.o = options;
    this.spec = options.spec;
    this.ident = options.ident;
    this.tracking = path.resolve(options.tracking);
    const settings = layerSettings({ interval: options.interval, limits: options.limits });
    this.limits = settings.limits;
    this.intervalMs = settings.interval * 1000;
    this.maxAttempts = 1 + Math.max(0, this.spec.retries ?? 0);
    this.db = new JobStore(this.tracking, (error) => this.onDatabaseError(error));
    this.log = new MessageLog({
      db: this.db,
      limits: this.limits,
      onEvent: options.onEvent,
      onLimitCrossed: () => this.onLimitCrossed(),
      outputLimit: { ...DEFAULT_OUTPUT_LIMIT, ...this.spec.output_limit },
      onOutputCapped: (cap) => this.onOutputCapped(cap),
    });
    this.attempt = new Attempt(1, this.log.tally);
    this.queries = wrapperQueries({ ident: this.ident, db: this.db, failure: () => this.fatalReason, describe: () => this.describe() });
  }

  get address(): string | undefined {
    return this.server?.address;
  }

  get jobAddress(): string | undefined {
    return this.server ? `${this.server.address}/${this.jobToken}` : undefined;
  }

  run(): Promise<WrapperOutcome> {
    this.runPromise ??= this.execute().catch((error: unknown) => this.crashed(error));
    return this.runPromise;
  }

  stop(reason = 'stopped'): void {
    if (this.waiting) {
      this.abandoned = true;
      this.o.go?.abandon();
      return;
    }
    if (this.finished || this.stopRequested) return;
    this.stopRequested = true;
    // Why the job ends here is Gator's notice, not one of the job's messages (Python logs a WARNING).
    this.notice('stopped', 'Stopping leaf job');
    this.attempt.stop(reason, false);
  }

  // ------------------------------------------------------------------ life

  private async execute(): Promise<WrapperOutcome> {
    this.startedAt = nowSeconds();
    if (this.o.parent) this.linkParent(this.o.parent);
    if (this.o.go) this.filesBefore = this.listTracking();
    this.openStore();
    await this.startServer();
    // What needs no place in the tree is made ready before the go (a wrapper that never gets it removes the files).
    const cwd = path.resolve(process.cwd(), this.spec.cwd ?? '.');
    const binDir = this.o.jobCli && this.o.jobCli.length > 0 ? writeJobBin(this.tracking, this.o.jobCli) : undefined;
    let rules: CompiledRule[] = [];
    let rulesError: string | undefined;
    try {
      rules = compileLogRules(this.spec.log_rules);
    } catch (error) {
      rulesError = errorText(error);
    }
    if (this.o.go) {
      this.waiting = true;
      const go = await this.o.go.go;
      this.waiting = false;
      if (!go || this.abandoned) return this.neverStarted();
      // Its start is the slot's, not the process's.
      this.startedAt = nowSeconds();
    }
    // Register even when failing already: the parent must hear why. With the job's path from the
    // go, the job is spawned at once and the registration's answer is awaited beside it (its slot
    // is already the job's): the answer only gives the attributes their place.
    const registering = this.uplink ? this.register(this.uplink) : Promise.resolve();
    const early = this.o.go?.path;
    if (!early) await registering;
    const jobAddress = this.jobAddress ?? '';

    const env = jobEnvironment({
      inherited: process.env,
      specEnv: this.spec.env,
      parentAddress: jobAddress,
      jobPath: (early ?? [...this.place.path, this.ident]).join('.'),
      tracking: this.tracking,
      binDir,
    });
    const argv = this.expandArgv(env);
    const registered = registering.then(() => {
      this.registered = true;
      // (A wrapper that crashed meanwhile has reported already.)
      if (this.finished) return;
      const rows = startAttributes({ spec: this.spec, ident: this.ident, place: this.place, started: this.startedAt, cwd, argv, env });
      for (const [name, value] of rows) this.db.attr(name, value);
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.intervalMs);
      this.heartbeatTimer.unref();
      this.heartbeat();
    });
    if (!early) await registered;

    if (argv && rulesError !== undefined && !this.fatalReason) {
      this.fail(`invalid log rules: ${rulesError}`);
      this.log.log(Severity.ERROR, `Invalid log rules of ${this.ident}: ${rulesError}`);
    }
    let last = NOT_RUN;
    if (argv && !this.fatalReason) last = await this.runAttempts({ argv, env, cwd, rules, parentAddress: jobAddress });
    // The job's end is reported after its registration (and its attributes).
    await registered;
    return this.finish(last);
  }

  /** The client to the parent tier: heartbeats, forwarded messages, the final report, and what the parent asks. */
  private linkParent(connection: Connection): void {
    this.uplink = new Uplink({
      connection,
      ident: this.ident,
      handlers: parentApiHandlers(() => this.stop(), this.queries),
      report: () => ({ summary: this.summary(), result: this.standing().result }),
      onUpdateFailed: (error) => this.log.log(Severity.WARNING, `The parent did not accept an update: ${error.message}`),
      onReportFailed: ({ stage, error }) =>
        this.log.log(Severity.WARNING, `The parent did not accept the ${stage === 'update' ? 'final update' : 'completion'}: ${error.message}`, false),
      onClosed: () => this.onParentClosed(),
    });
    if (this.o.allMsg) this.log.forwardTo(this.uplink);
  }

  private openStore(): void {
    try {
      const store = this.db.open();
      store.writeSpec(dumpSpec({ ...this.spec, ident: this.ident }));
      this.log.storeEarly();
    } catch (error) {
      this.db.onError(error);
    }
  }

  private async startServer(): Promise<void> {
    try {
      const handlers = jobApiHandlers(
        { log: this.log, db: this.db, metrics: this.jobMetrics, maxLineBytes: this.maxLineBytes, activity: () => this.attempt.activity() },
        this.queries,
      );
      const readers = readOnlyHandlers(handlers);
      const read = this.o.token;
      // The job holds the job token, readers the run's read token; nothing else gets in.
      ({ server: this.server, refusals: this.refusals } = await listenLayerServer({
        host: this.o.host,
        advertiseHost: this.o.advertiseHost,
        authorize: (asked) =>
          sameSecret(asked, this.jobToken)
            ? { role: 'job' }
            : (read && sameSecret(asked, read)) || (asked === '' && this.o.allowTokenless)
              ? { role: 'reader' }
              : undefined,
        handlers: (_connection, principal) => (principal?.role === 'job' ? handlers : readers),
        peer: 'the job',
        log: (severity, message) => this.log.log(severity, message),
        badFrame: { severity: Severity.WARNING, prefix: 'Rejected frame from job' },
      }));
    } catch (error) {
      this.fail(`could not start the job API server: ${errorText(error)}`);
      this.log.log(Severity.CRITICAL, `Could not start the job API server: ${errorText(error)}`);
    }
  }

  private async register(uplink: Uplink<'wrapperUplink'>): Promise<void> {
    if (!uplink.isOpen) {
      this.onParentClosed();
      return;
    }
    try {
      this.place = await uplink.register(this.server?.address ?? '', this.startedAt);
    } catch (error) {
      if (!uplink.isOpen) this.onParentClosed();
      else {
        const reason = `could not register with the parent: ${errorText(error)}`;
        this.fail(reason);
        this.log.log(Severity.CRITICAL, `Could not register with the parent: ${errorText(error)}`);
        // Spawned at its go before the answer came: a job its parent refused does not run on.
        this.attempt.stop(reason, false);
      }
    }
  }

  private expandArgv(env: Record<string, string>): string[] | undefined {
    try {
      return [this.spec.command, ...this.spec.args].map((part) => expandVariables(String(part), env));
    } catch (error) {
      this.fail(`could not expand the command: ${errorText(error)}`);
      this.log.log(Severity.ERROR, `Could not expand the command of ${this.ident}: ${errorText(error)}`);
      return undefined;
    }
  }

  private runAttempts(run: Pick<AttemptContext, 'argv' | 'env' | 'cwd' | 'rules' | 'parentAddress'>): Promise<AttemptVerdict> {
    const ctx: AttemptContext = {
      ...run,
      spec: this.spec,
      ident: this.ident,
      limits: this.limits,
      maxLineBytes: this.maxLineBytes,
      stopGraceMs: Math.max(0, this.o.stopGraceMs ?? 5000),
      sampleMs: sampleInterval(this.intervalMs, this.spec.hang_timeout),
      log: this.log,
      db: this.db,
      emit: (event) => this.emit(event),
      changed: () => this.requestUpdate(true),
      gone: (at) => this.jobGone(at),
    };
    return runAttempts(this.attempt, ctx, {
      maxAttempts: this.maxAttempts,
      mayRetry: () => !this.stopRequested && !this.fatalReason,
      next: (number) => (this.attempt = new Attempt(number, this.log.beginAttempt())),
    });
  }

  /**
   * An attempt's processes are gone. When no attempt can follow it, that is the job's stop
   * time and its slot is free now, while the attempt is judged and the wrapper writes and
   * reports (a retry keeps the slot: the next attempt runs in it).
   */
  private jobGone(at: number): void {
    if (this.attempt.number < this.maxAttempts) return;
    this.stoppedAt = at;
    this.freeSlot();
  }

  private freeSlot(): void {
    if (this.slotFreed) return;
    this.slotFreed = true;
    this.o.go?.ended();
  }

  private async finish(last: AttemptVerdict): Promise<WrapperOutcome> {
    const a = this.attempt;
    const judged = judgeJob(last, { attempt: a.number, started: a.pid !== 0, fatalReason: this.fatalReason, parentLost: this.parentLost });
    // Stopped by the user is its own outcome (docs/run-model.md), not a failure: ABORTED. Only when
    // the stop decided it (judgeJob): a job that had already timed out, or failed on its own, stays failed.
    const stopped = judged.outcome === 'stopped';
    const verdict: JobVerdict = stopped ? { ...judged, result: JobResult.ABORTED } : judged;
    const { result, code, reason } = verdict;
    // Its last attempt's stop (jobGone sets it unless a retry could have followed), or now for a job that never ran.
    this.stoppedAt ??= a.stoppedAt ?? nowSeconds();
    // The job's processes are gone: its slot may go to the next job now (if jobGone has not
    // freed it already), while this wrapper writes and reports (its tier records this stop
    // time, not when the report arrives).
    this.freeSlot();
    this.storeOutputTail();
    this.final = verdict;
    this.log.endJudging();
    // Why it did not pass: a notice, not one of the job's messages (Python logs an ERROR
    // here, which counted twice in the job's errors and against its limits).
    if (verdict.outcome !== 'passed') this.notice(verdict.outcome, `Job ${verdict.outcome}: ${reason}`);
    this.finished = true;
    clearInterval(this.heartbeatTimer);

    for (const [name, value] of finalAttributes(verdict, this.stoppedAt, a.number)) this.db.attr(name, value);
    this.refusals?.close();
    const summary = this.summary();
    this.storeMetrics(summary);
    this.emit({ type: 'summary', summary });
    const end = jobEnd({ ident: this.ident, verdict, stopped, started: a.pid !== 0 || a.number > 1, attempt: a.number, retries: this.maxAttempts > 1, summary, at: this.stoppedAt });
    this.emit({ type: 'end', end });
    // The job's end travels with the final update and `complete` (the parent takes it once).
    await this.uplink?.complete({ summary: { ...summary, ends: [end], ends_from: 0 }, result, code, reason, stopped: this.stoppedAt });
    this.emit({ type: 'complete', result, code, ...(reason !== undefined ? { reason } : {}) });

    await this.server?.close().catch(() => undefined);
    this.db.close();
    return { result, code, ...(reason !== undefined ? { reason } : {}), summary, attempts: a.number, dbFile: this.db.dbFile };
  }

  /**
   * Stopped (or cut off from its scheduler or parent) before its go: the job never
   * started, which its tier reports as for a job stopped in the queue. Nothing of
   * this wrapper stays behind in the tracking directory.
   */
  private async neverStarted(): Promise<WrapperOutcome> {
    this.finished = true;
    this.refusals?.close();
    await this.server?.close().catch(() => undefined);
    this.db.close();
    const before = this.filesBefore ?? new Set<string>();
    for (const name of this.listTracking()) {
      if (before.has(name)) continue;
      try {
        fs.rmSync(path.join(this.tracking, name), { force: true, recursive: true });
      } catch {
        /* what cannot be removed stays; the job still never started */
      }
    }
    const summary = this.summary();
    return { result: JobResult.ABORTED, code: 255, reason: 'stopped before it started', summary, attempts: 0, dbFile: this.db.dbFile };
  }

  private listTracking(): Set<string> {
    try {
      return new Set(fs.readdirSync(this.tracking));
    } catch {
      return new Set();
    }
  }

  /** A bug of the wrapper: fail the job with it and still report, rather than leave the tree waiting. */
  private async crashed(error: unknown): Promise<WrapperOutcome> {
    if (this.final) throw error;
    this.fail(`internal error: ${errorText(error)}`);
    this.log.log(Severity.CRITICAL, `Internal error of the wrapper: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    this.attempt.kill('internal error');
    return this.finish(NOT_RUN);
  }

  // ------------------------------------------------------------------ what goes wrong around the job

  private onParentClosed(): void {
    if (this.waiting) {
      // Not registered yet: there is no one to report to, and no job to stop.
      this.abandoned = true;
      this.o.go?.abandon();
      return;
    }
    if (this.finished || this.parentLost) return;
    this.parentLost = true;
    this.fail('parent connection lost');
    this.log.log(Severity.ERROR, 'The connection to the parent was lost: stopping the job');
    this.stopRequested = true;
    this.attempt.stop('parent connection lost', false);
  }

  private onDatabaseError(error: unknown): void {
    const message = `database error: ${errorText(error)}`;
    this.fail(message);
    // Told at once (the store that would keep it is what failed); the job's end follows as its own notice.
    this.notice('problem', `Job failing: ${message}`);
    this.attempt.stop(message, false);
  }

  /** The job's output reached its limit: told once, as it happens (a notice: not one of the job's messages). */
  private onOutputCapped(cap: OutputCap): void {
    const { lines, bytes } = cap.limit;
    this.notice(
      'problem',
      `Output limit reached (output_limit: ${lines.toLocaleString('en-US')} lines, ${formatBytes(bytes)}): the first lines are stored, and the last tenth of the limit is kept for the end; the lines between are dropped (and still counted)`,
    );
  }

  /** The job ended: store the tail of an output over its limit, and record how much was dropped. */
  private storeOutputTail(): void {
    const cap = this.log.cap;
    if (!cap?.capped) return;
    const dropped = this.log.storeTail();
    this.db.attr('output_dropped_lines', dropped.lines);
    this.db.attr('output_dropped_bytes', dropped.bytes);
    if (dropped.lines > 0) this.notice('problem', `Output over its limit: ${describeAmount(dropped.lines, dropped.bytes)} dropped between the first and the last lines stored`);
  }

  private onLimitCrossed(): void {
    if (this.attempt.number >= this.maxAttempts && !this.failingEarly) {
      this.failingEarly = true;
      this.requestUpdate(true);
    }
  }

  /** Fails the job for a reason outside the job itself (first reason wins). */
  private fail(reason: string): void {
    this.fatalReason ??= reason;
    this.requestUpdate(true);
  }

  // ------------------------------------------------------------------ reporting

  /** One of Gator's notices about this job: stored apart from its messages (GatorNotice), never counted. */
  private notice(kind: NoticeKind, message: string): void {
    const timestamp = nowSeconds();
    if (!this.db.failed) this.db.notice({ kind, message, timestamp });
    this.emit({ type: 'notice', kind, message, timestamp, path: [...this.place.path, this.ident] });
  }

  private heartbeat(): void {
    if (this.finished) return;
    this.updatedAt = nowSeconds();
    const skipped = this.uplink?.takeSkipped() ?? 0;
    if (skipped > 0) {
      this.log.log(Severity.INFO, `${plural(skipped, 'message')} not forwarded to the parent (connection busy); all are stored in ${this.tracking}`);
    }
    const summary = this.summary();
    this.storeMetrics(summary);
    this.emit({ type: 'summary', summary });
    this.requestUpdate(false);
  }

  /** An `update` to the parent (urgent: a state change); none before registering, once judged or with the parent gone. */
  private requestUpdate(urgent: boolean): void {
    if (!this.registered || this.final || this.parentLost) return;
    this.uplink?.update(urgent);
  }

  private storeMetrics(summary: Summary): void {
    this.db.write((s) => {
      s.setMetrics(OWN, summary.metrics);
      s.setMetrics(GROUP, summary.metrics);
    });
  }

  private standing() {
    return standing({
      final: this.final,
      fatalReason: this.fatalReason,
      failingEarly: this.failingEarly,
      violations: () => limitViolations(this.attempt.tally, this.limits),
    });
  }

  private summary(): Summary {
    const a = this.attempt;
    return jobSummary({
      ident: this.ident,
      tracking: this.tracking,
      totals: this.log.totals,
      metrics: this.jobMetrics,
      standing: this.standing(),
      done: this.final !== undefined,
      attempt: { number: a.number, running: a.running, startedAt: a.startedAt, errors: a.tally.errors },
      retries: this.maxAttempts > 1,
    });
  }

  /** `resolve` of this wrapper. */
  private describe(): ApiJob {
    return describeLayer({
      place: this.place,
      ident: this.ident,
      status: this.finished ? JobState.COMPLETE : JobState.STARTED,
      metrics: this.summary().metrics,
      serverUrl: this.server?.address ?? '',
      dbFile: this.db.dbFile,
      started: this.startedAt,
      updated: this.updatedAt ?? null,
      stopped: this.stoppedAt ?? null,
      result: this.standing().result,
      expectedChildren: 0,
    });
  }

  private get maxLineBytes(): number {
    return Math.max(256, this.o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  }

  private emit(event: WrapperEvent): void {
    emitTo(this.o.onEvent, event);
  }
}

/** A wrapper for one job; call `run()` to run it. */
export function createWrapper(options: WrapperOptions): Wrapper {
  return new JobWrapper(options);
}

/** Run one job to completion. */
export function runWrapper(options: WrapperOptions): Promise<WrapperOutcome> {
  return createWrapper(options).run();
}

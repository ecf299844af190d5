/**
 * One tier: the process logic of a `!JobGroup`/`!JobArray` (how-gator-works.md).
 * It records its children, launches them through a scheduler as their
 * dependencies allow, serves them (spec, register, update, complete, …),
 * rolls their summaries up, reports to its parent, and stops on request.
 *
 * Beyond Python Gator: a child whose process ends without `complete`, or that
 * goes silent, is marked lost (FAILURE) instead of hanging the run; a parent
 * that goes away stops the tier; skipped (pruned) children are reported as
 * such; finished children are folded into totals so memory stays bounded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openLayerStore, openLayerReader, type LayerReader, type LayerStore } from '@gator/db';
import {
  GatorServer,
  JOB_STATE_NAMES,
  JobResult,
  JobState,
  PROTOCOL_VERSION,
  PYTHON_DIALECT,
  PYTHON_HEARTBEAT_SECONDS,
  Severity,
  SpecError,
  UsageError,
  childEntries,
  dialectFromRegister,
  dumpSpec,
  expectedJobs,
  jobResources,
  payloadForParent,
  severityFromName,
  severityName,
  type ApiJob,
  type Connection,
  type Failure,
  type Handlers,
  type JobArray,
  type JobGroup,
  type LaunchRequest,
  type LaunchedChild,
  type ChildExit,
  type Metrics,
  type ParentDialect,
  type RequestPayload,
  type Scheduler,
  type Spec,
  type Summary,
} from '@gator/protocol';
import { buildChildCommand, type LayerLimits } from './command.js';
import { DependencyGraph, type SkipDecision } from './dependencies.js';
import { Rollup, orderMetrics, type LiveContribution } from './rollup.js';
import { notStartedError, resolveFromDb, unknownChildError, type ResolveQuery } from './resolve.js';

// ---------------------------------------------------------------- public types

export interface TierOptions {
  spec: JobGroup | JobArray;
  /** This layer's id (`--id`, else the spec's ident). */
  ident: string;
  /** This layer's tracking directory. */
  tracking: string;
  /** Connection to the parent tier (already used to fetch the spec); absent for the root. */
  parent?: Connection;
  scheduler: Scheduler;
  /** Name given to children as `--scheduler`. */
  schedulerName: string;
  /** Passed to children as `--sched-arg k=v` (with `scheduler.childOptions?.()`). */
  schedArgs?: Record<string, string>;
  /** argv prefix that starts a child Gator process, e.g. `[process.execPath, '/…/cli.js']`. */
  childCommand: string[];
  /** Per-layer message limits (this layer's own counts), passed to children on their command line. */
  limits?: LayerLimits;
  /** Heartbeat seconds (default 5), passed to children as `--interval`. */
  interval?: number;
  /** Forward every message up the tree (`--all-msg`); children get it too. */
  allMsg?: boolean;
  /** The run's secret: required by this tier's server, given to children as `GATOR_TOKEN`. */
  token?: string;
  /** Interface the server binds (default loopback, or all interfaces when `advertiseHost` is set). */
  host?: string;
  /** Address advertised to children (for schedulers that run them on other hosts). */
  advertiseHost?: string;
  /** Working directory of the child processes (default `process.cwd()`). */
  cwd?: string;
  /** A started child silent for this many intervals is lost (default 3). */
  lostAfterIntervals?: number;
  /**
   * Most children handed to the scheduler and not yet complete (default 512).
   * Ready children beyond it wait here as ids, not as queued launch requests, so
   * a 10,000-job array does not hold 10,000 requests in memory; the window refills
   * in batches (at half) so a scheduler can still group an array's copies.
   */
  launchWindow?: number;
  /** Which children to run (rerun-failed); `false` records the child as skipped, `'descend'` runs it. */
  only?: (childPath: string[]) => boolean | 'descend';
  /** Everything the CLI may render. The library never prints. */
  onEvent?: (event: TierEvent) => void;
}

export type ChildEventState = 'launched' | 'started' | 'passed' | 'failed' | 'lost' | 'skipped';

export type TierEvent =
  | { type: 'summary'; summary: Summary }
  | { type: 'child'; id: string; path: string[]; state: ChildEventState; reason?: string; kind: 'job' | 'tier' }
  | { type: 'message'; severity: number; message: string; timestamp: number; path?: string[] }
  | { type: 'complete'; result: JobResult; summary: Summary; reason?: string };

export interface TierOutcome {
  result: JobResult;
  summary: Summary;
  reason?: string;
  dbFile: string;
}

/** Sizes of the tier's internal state (diagnostics and memory tests). */
export interface TierInternals {
  /** Every child (small records, kept for `children`/`resolve`). */
  children: number;
  /** Children not yet complete (they hold a spec, a summary, a connection, a launch handle). */
  live: number;
  specs: number;
  summaries: number;
  connections: number;
  handles: number;
  /** Process exits still awaited. */
  exitWaits: number;
  /** Finished children folded into the totals. */
  folded: number;
  /** Failed ids and failure records kept by the roll-up. */
  failedIds: number;
  failures: number;
}

export interface Tier {
  /** Runs the tier to completion (once; later calls return the same promise). */
  run(): Promise<TierOutcome>;
  /** Stop everything (safe at any time, and more than once). */
  stop(reason?: string): void;
  /** `host:port` of this tier's server, once listening. */
  readonly address?: string;
  internals(): TierInternals;
}

// ---------------------------------------------------------------- internals

interface LiveChild {
  spec: Spec | undefined;
  connection: Connection | undefined;
  handle: LaunchedChild | undefined;
  summary: Summary | undefined;
  /** Metrics not yet written to the store. */
  dirty: boolean;
  /** ms: last register/update. */
  lastHeard: number;
  /** ms: when the scheduler started the process. */
  processStarted: number | undefined;
  /** Silence (ms) after which this started child is lost: longer for Python Gator children. */
  lostAfterMs?: number;
}

interface ChildRecord {
  id: string;
  baseId: string;
  index: number | undefined;
  arraySize: number | undefined;
  uidx: number;
  kind: 'job' | 'tier';
  specKind: Spec['kind'];
  /** Jobs under this child (0 for a job): ChildEntry.expected_children. */
  expected: number;
  subdir: string;
  state: JobState;
  result: JobResult;
  serverUrl: string;
  started: number | null;
  updated: number | null;
  stopped: number | null;
  reason: string | undefined;
  /** Last (then final) metrics, for `children` and shallow `resolve`. */
  metrics: Metrics | undefined;
  /** Present until the child completes, then dropped. */
  live: LiveChild | undefined;
}

const DEFAULT_INTERVAL = 5;
const PUBLISH_SPACING_MS = 250;
const REQUEST_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;
const EXIT_GRACE_MS = 250;
const EXIT_WAIT_MS = 5_000;
const REGISTER_FLOOR_MS = 60_000;

const now = () => Date.now() / 1000;
const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

const KIND_WORD: Record<Spec['kind'], string> = { job: 'job', group: 'group', array: 'array' };

function validate(options: TierOptions): void {
  const o = options as Partial<TierOptions>;
  if (!o || typeof o !== 'object') throw new UsageError('createTier needs an options object');
  if (!o.spec || (o.spec.kind !== 'group' && o.spec.kind !== 'array')) {
    throw new UsageError('A tier runs a !JobGroup or !JobArray spec (spec.kind must be "group" or "array")', {
      hint: 'Run a !Job with @gator/wrapper instead.',
    });
  }
  if (typeof o.ident !== 'string' || o.ident.length === 0) throw new UsageError('A tier needs a non-empty ident');
  if (typeof o.tracking !== 'string' || o.tracking.length === 0) throw new UsageError('A tier needs a tracking directory');
  if (!o.scheduler || typeof o.scheduler.launch !== 'function') throw new UsageError('A tier needs a scheduler (see @gator/scheduler-local)');
  if (typeof o.schedulerName !== 'string' || o.schedulerName.length === 0) throw new UsageError('A tier needs the scheduler name');
  if (!Array.isArray(o.childCommand) || o.childCommand.length === 0) {
    throw new UsageError('A tier needs childCommand, the argv prefix that starts a child Gator process');
  }
  if (o.interval !== undefined && !(Number.isFinite(o.interval) && o.interval > 0)) {
    throw new UsageError(`The heartbeat interval must be > 0 seconds, got ${o.interval}`);
  }
  if (o.lostAfterIntervals !== undefined && !(Number.isFinite(o.lostAfterIntervals) && o.lostAfterIntervals > 0)) {
    throw new UsageError(`lostAfterIntervals must be > 0, got ${o.lostAfterIntervals}`);
  }
}

class TierRunner implements Tier {
  private readonly o: TierOptions;
  private readonly interval: number;
  private readonly lostAfterMs: number;
  private readonly tracking: string;
  private readonly ident: string;
  private readonly children = new Map<string, ChildRecord>();
  private readonly live = new Set<ChildRecord>();
  private readonly byConnection = new Map<Connection, ChildRecord>();
  private readonly exitWaits = new Set<Promise<unknown>>();
  private graph!: DependencyGraph;
  private rollup!: Rollup;
  private store: LayerStore | undefined;
  private reader: LayerReader | undefined;
  private server: GatorServer | undefined;
  private ownPath: string[] = [];
  /** What the parent understands (learnt at register; Python Gator's subset until then). */
  private parentDialect: ParentDialect = PYTHON_DIALECT;
  private root = 0;
  private uidx = 0;
  private startedAt = 0;
  private counts = { critical: 0, error: 0, warning: 0, info: 0, debug: 0 };
  /** Errors this tier logged about failures already counted elsewhere (lost children, budget): not a limit reason. */
  private accountedErrors = 0;
  private readonly ownProblems: string[] = [];
  /** Budgets (`limits`) exceeded, by severity: the reason, kept up to date with the count. */
  /** The roll-up last stored as the `summary` attribute (rewritten only when it changed). */
  private storedSummaryText = '';
  private readonly budgetExceeded = new Map<'critical' | 'error' | 'warning', string>();
  private failedChildren: string[] = [];
  private failedChildCount = 0;
  private lostChildCount = 0;

  private runPromise: Promise<TierOutcome> | undefined;
  private running = false;
  private finishing = false;
  private finalResult: JobResult | undefined;
  private stopping = false;
  private stopReason: string | undefined;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((r) => (this.resolveDone = r));

  private heartbeat: NodeJS.Timeout | undefined;
  private stopTimers: NodeJS.Timeout[] = [];
  private publishTimer: NodeJS.Timeout | undefined;
  private lastPublish = 0;
  private lastSummaryText = '';
  private updateInFlight: Promise<void> | undefined;
  private updateAgain = false;
  private scheduling = false;
  private scheduleAgain = false;
  /** Ids ready to launch, waiting for room in the launch window (`readyHead` = next). */
  private ready: string[] = [];
  private readyHead = 0;
  private inFlight = 0;

  constructor(options: TierOptions) {
    validate(options);
    this.o = options;
    this.interval = options.interval ?? DEFAULT_INTERVAL;
    this.lostAfterMs = (options.lostAfterIntervals ?? 3) * this.interval * 1000;
    this.tracking = path.resolve(options.tracking);
    this.ident = options.ident;
  }

  get address(): string | undefined {
    return this.server?.address;
  }

  internals(): TierInternals {
    let specs = 0;
    let summaries = 0;
    let handles = 0;
    let connections = 0;
    for (const rec of this.live) {
      if (rec.live?.spec) specs++;
      if (rec.live?.summary) summaries++;
      if (rec.live?.handle) handles++;
      if (rec.live?.connection) connections++;
    }
    const sizes = this.rollup?.sizes();
    return {
      children: this.children.size,
      live: this.live.size,
      specs,
      summaries,
      connections: Math.max(connections, this.byConnection.size),
      handles,
      exitWaits: this.exitWaits.size,
      folded: this.rollup?.foldedCount ?? 0,
      failedIds: sizes?.failedIds ?? 0,
      failures: sizes?.failures ?? 0,
    };
  }

  run(): Promise<TierOutcome> {
    this.runPromise ??= this.execute();
    return this.runPromise;
  }

  stop(reason?: string): void {
    if (this.stopping || this.finishing) return;
    this.stopping = true;
    this.stopReason = reason ?? 'stop requested';
    if (this.running) this.applyStop();
  }

  // ------------------------------------------------------------ life cycle

  private async execute(): Promise<TierOutcome> {
    const spec = this.o.spec;
    const entries = childEntries(spec);
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.id)) {
        throw new SpecError([{ file: '<spec>', line: 0, column: 0, path: 'jobs', message: `two children have the id '${e.id}'; give sibling entries distinct idents` }]);
      }
      seen.add(e.id);
    }
    this.rollup = new Rollup({ ident: this.ident, expectedJobs: expectedJobs(spec) });
    this.graph = new DependencyGraph(entries);

    const store = openLayerStore({ dir: this.tracking, kind: 'tier' });
    this.store = store;
    store.on('error', (error) => {
      this.ownProblems.push(error.message);
      this.log(Severity.CRITICAL, error.message);
    });
    try {
      // As Python: the layer's own spec, renamed to its --id.
      store.writeSpec(dumpSpec({ ...spec, ident: this.ident }));
      this.server = await GatorServer.listen({
        host: this.o.host ?? (this.o.advertiseHost ? '0.0.0.0' : '127.0.0.1'),
        ...(this.o.advertiseHost ? { advertiseHost: this.o.advertiseHost } : {}),
        ...(this.o.token ? { token: this.o.token } : {}),
        handlers: (connection) => this.serverHandlers(connection),
        onBadFrame: (error) => this.log(Severity.DEBUG, `Bad frame from a peer: ${error.message}`),
        // Recorded, as by the wrapper: who tried to get in without the run's secret.
        onRejected: (info) => this.log(Severity.WARNING, `Refused a connection from ${info.remote}: ${info.reason}`),
        onHandlerError: (error, action) => this.log(Severity.DEBUG, `A '${action}' request from a peer failed: ${(error as Error)?.message ?? String(error)}`),
      });
    } catch (error) {
      store.close();
      throw error;
    }

    let registered = true;
    const parent = this.o.parent;
    if (parent) {
      parent.setHandlers(this.parentHandlers());
      parent.once('close', () => {
        if (this.finishing) return;
        this.log(Severity.WARNING, 'Lost the connection to the parent tier: stopping');
        this.stop('parent connection lost');
      });
      try {
        const reply = await parent.request(
          'register',
          { ident: this.ident, server: this.server.address, protocol: PROTOCOL_VERSION },
          { timeoutMs: REQUEST_TIMEOUT_MS },
        );
        this.ownPath = reply.path;
        this.root = reply.root;
        this.uidx = reply.uidx;
        this.parentDialect = dialectFromRegister(reply);
      } catch (error) {
        registered = false;
        const text = `Could not register with the parent tier: ${(error as Error).message}`;
        this.ownProblems.push(text);
        this.log(Severity.CRITICAL, text);
      }
    }
    this.startedAt = now();
    store.setAttribute('ident', this.ident);
    store.setAttribute('uidx', this.uidx);
    store.setAttribute('root', this.root);
    store.setAttribute('path', this.ownPath.join('.'));
    store.setAttribute('started', this.startedAt);

    // One ChildEntry row per child, in spec order, before any launch (uidx = row id).
    for (const e of entries) {
      const kind = e.spec.kind === 'job' ? 'job' : 'tier';
      const expected = kind === 'tier' ? expectedJobs(e.spec) : 0;
      const dir = path.join(this.tracking, e.trackingSubdir);
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      } catch (error) {
        this.log(Severity.ERROR, `Cannot create the tracking directory ${dir} of '${e.id}': ${(error as Error).message}`);
      }
      const uidx = store.addChild({ ident: e.id, dbFile: path.join(dir, 'db.sqlite'), expectedChildren: expected });
      const rec: ChildRecord = {
        id: e.id,
        baseId: e.baseId,
        index: e.index,
        arraySize: e.arraySize,
        uidx,
        kind,
        specKind: e.spec.kind,
        expected,
        subdir: e.trackingSubdir,
        state: JobState.PENDING,
        result: JobResult.UNKNOWN,
        serverUrl: '',
        started: null,
        updated: null,
        stopped: null,
        reason: undefined,
        metrics: undefined,
        live: { spec: e.spec, connection: undefined, handle: undefined, summary: undefined, dirty: false, lastHeard: 0, processStarted: undefined },
      };
      this.children.set(e.id, rec);
      this.live.add(rec);
    }
    entries.length = 0;

    this.running = true;
    this.log(Severity.INFO, `Layer '${this.ident}' launching sub-jobs`);
    this.heartbeat = setInterval(() => this.beat(), Math.max(50, this.interval * 1000));
    this.heartbeat.unref?.();
    if (parent && registered) void this.sendUpdate();
    if (!registered) this.stop('could not register with the parent tier');
    else if (this.stopping) this.applyStop();
    else this.schedule();
    this.checkDone();
    await this.done;
    return this.finish();
  }

  private checkDone(): void {
    if (!this.running || this.finishing) return;
    if (this.live.size > 0) return;
    if (this.graph.undecidedEntries > 0) {
      // Cannot happen with an acyclic graph; never hang on it.
      for (const skip of this.graph.abandon('its dependencies can never be met')) this.skipChild(skip);
      if (this.live.size > 0) return;
    }
    this.resolveDone();
  }

  private async finish(): Promise<TierOutcome> {
    this.finishing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const t of this.stopTimers) clearTimeout(t);
    if (this.publishTimer) clearTimeout(this.publishTimer);
    const store = this.store!;

    // Children exit right after `complete`; give the scheduler a moment to see it.
    if (this.exitWaits.size > 0) await Promise.race([Promise.allSettled([...this.exitWaits]), delay(EXIT_WAIT_MS)]);

    // The last summaries may have arrived after the last throttled check.
    this.checkBudget(this.compose());
    const reasons = this.failureReasons();
    const result = reasons.length === 0 ? JobResult.SUCCESS : JobResult.FAILURE;
    const reason = reasons.length > 0 ? reasons.join('; ') : undefined;
    if (reason) this.log(Severity.ERROR, `Tier '${this.ident}' failed: ${reason}`, true);
    this.finalResult = result;
    const summary = this.compose();
    const m = summary.metrics;
    this.log(
      Severity.INFO,
      `Complete - W: ${m.msg_warning}, E: ${m.msg_error}, C: ${m.msg_critical}, T: ${m.sub_total}, A: ${m.sub_active}, P: ${m.sub_passed}, F: ${m.sub_failed}`,
    );
    // Compose again so the summary includes the lines just logged.
    const final = this.compose();
    store.setMetrics('_OWN_', this.ownMetrics());
    store.setMetrics('_GROUP_', final.metrics);
    store.setAttribute('stopped', now());
    store.setAttribute('result', result);
    this.emit({ type: 'summary', summary: final });

    const parent = this.o.parent;
    if (parent?.isOpen) {
      try {
        await this.updateInFlight;
        await parent.request('update', payloadForParent(this.parentDialect, 'update', { ident: this.ident, summary: final, result }), {
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        await parent.request(
          'complete',
          payloadForParent(this.parentDialect, 'complete', { ident: this.ident, code: 0, result, summary: final, ...(reason ? { reason } : {}) }),
          { timeoutMs: REQUEST_TIMEOUT_MS },
        );
      } catch (error) {
        this.log(Severity.WARNING, `Could not report completion to the parent tier: ${(error as Error).message}`);
      }
    }
    const c = this.counts;
    this.log(
      Severity.INFO,
      `Recorded ${c.critical} critical, ${c.error} error, ${c.warning} warning, ${c.info} info and ${c.debug} debug messages`,
    );
    store.setAttribute('summary', JSON.stringify(final));
    if (reason) store.setAttribute('reason', reason);
    await this.server?.close().catch(() => {});
    this.reader?.close();
    this.reader = undefined;
    store.close();
    this.emit({ type: 'complete', result, summary: final, ...(reason ? { reason } : {}) });
    return { result, summary: final, ...(reason ? { reason } : {}), dbFile: store.dbFile };
  }

  // ------------------------------------------------------------ messages and events

  private emit(event: TierEvent): void {
    try {
      this.o.onEvent?.(event);
    } catch {
      // A renderer's bug must not break the run.
    }
  }

  private log(severity: number, message: string, accounted = false): void {
    const timestamp = now();
    const key = severityName(severity).toLowerCase() as keyof typeof this.counts;
    this.counts[key]++;
    if (accounted && severity >= Severity.ERROR && severity < Severity.CRITICAL) this.accountedErrors++;
    this.store?.addMessage({ severity, message, timestamp });
    const selfPath = [...this.ownPath, this.ident];
    this.emit({ type: 'message', severity, message, timestamp, path: selfPath });
    if (this.o.allMsg && severity >= Severity.INFO) {
      this.o.parent?.post(
        'log',
        payloadForParent(this.parentDialect, 'log', { timestamp: Math.floor(timestamp), severity: severityName(severity), message, path: selfPath }),
      );
    }
    if (this.running && !this.finishing && severity >= Severity.WARNING) this.changed();
  }

  private childPath(rec: ChildRecord): string[] {
    return [...this.ownPath, this.ident, rec.id];
  }

  private childEvent(rec: ChildRecord, state: ChildEventState, reason?: string): void {
    this.emit({ type: 'child', id: rec.id, path: this.childPath(rec), state, kind: rec.kind, ...(reason ? { reason } : {}) });
  }

  // ------------------------------------------------------------ roll-up and heartbeats

  private ownMetrics(): Metrics {
    const done = this.finalResult !== undefined;
    return orderMetrics({
      sub_total: 1,
      sub_active: done ? 0 : 1,
      sub_passed: done && this.finalResult === JobResult.SUCCESS ? 1 : 0,
      sub_failed: done && this.finalResult !== JobResult.SUCCESS ? 1 : 0,
      msg_critical: this.counts.critical,
      msg_error: this.counts.error,
      msg_warning: this.counts.warning,
      msg_info: this.counts.info,
      msg_debug: this.counts.debug,
    });
  }

  private liveContributions(): LiveContribution[] {
    const out: LiveContribution[] = [];
    for (const rec of this.live) {
      const summary = rec.live?.summary;
      if (summary) out.push({ summary, started: rec.started });
    }
    return out;
  }

  private compose(): Summary {
    const own = this.ownProblemReason();
    return this.rollup.compose(this.ownMetrics(), this.liveContributions(), own ? { reason: own, log: this.tracking } : undefined);
  }

  /** The tier's own (not its children's) reasons to fail. */
  private ownProblemReason(): string | undefined {
    const parts = [...this.ownProblems, ...this.budgetExceeded.values()];
    const limits = this.limitViolations();
    if (limits.length > 0) parts.push(...limits);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }

  private limitViolations(): string[] {
    const limits = this.o.limits ?? {};
    const out: string[] = [];
    const check = (name: 'warning' | 'error' | 'critical', count: number, limit: number | null | undefined) => {
      if (limit === null || limit === undefined || count <= limit) return;
      out.push(`${plural(count, `${name} message`)} > limit ${limit}`);
    };
    check('critical', this.counts.critical, this.o.limits?.critical ?? 0);
    check('error', this.counts.error - this.accountedErrors, limits.error ?? 0);
    check('warning', this.counts.warning, limits.warning);
    return out;
  }

  private failureReasons(): string[] {
    const reasons: string[] = [];
    // A stopped tier did not run what it was given: never recorded as passed.
    if (this.stopping) reasons.push(`stopped (${this.stopReason ?? 'stop requested'})`);
    const failed = this.failedChildCount;
    if (failed > 0) {
      const names = this.failedChildren.map((n) => `'${n}'`).join(', ');
      reasons.push(`${plural(failed, 'child', 'children')} failed (${names}${failed > this.failedChildren.length ? ', …' : ''})`);
    } else if (this.liveChildFailed()) {
      reasons.push('a child reported a failure');
    } else {
      // A child that passed while something below it failed (a peer with other rules).
      const below = this.compose().metrics.sub_failed - this.ownMetrics().sub_failed;
      if (below > 0) reasons.push(`${plural(below, 'job')} failed below this tier`);
    }
    const own = this.ownProblemReason();
    if (own) reasons.push(own);
    return reasons;
  }

  private liveChildFailed(): boolean {
    for (const rec of this.live) if (rec.result === JobResult.FAILURE) return true;
    return false;
  }

  /** Result while running: FAILURE as soon as one is known, else UNKNOWN. */
  private liveResult(): JobResult {
    if (this.finalResult !== undefined) return this.finalResult;
    if (this.failedChildCount > 0 || this.liveChildFailed() || this.ownProblemReason()) return JobResult.FAILURE;
    return JobResult.UNKNOWN;
  }

  /** The roll-up may have changed: publish it soon (at most every 250 ms). */
  private changed(): void {
    if (this.publishTimer || this.finishing) return;
    const wait = Math.max(0, this.lastPublish + PUBLISH_SPACING_MS - Date.now());
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publish(false);
    }, wait);
    this.publishTimer.unref?.();
  }

  /** Emit the summary event (at most every 250 ms) and heartbeat up when it changed, or always when `force`. */
  private publish(force: boolean): Summary | undefined {
    if (this.finishing) return undefined;
    let summary = this.compose();
    if (this.checkBudget(summary)) summary = this.compose();
    const text = JSON.stringify(summary);
    if (text !== this.lastSummaryText) {
      if (Date.now() - this.lastPublish >= PUBLISH_SPACING_MS) {
        this.lastPublish = Date.now();
        this.lastSummaryText = text;
        this.emit({ type: 'summary', summary });
        force = true;
      } else {
        this.changed();
      }
    }
    if (force) void this.sendUpdate();
    return summary;
  }

  /**
   * The spec's `limits`: a message budget for the whole subtree, checked as
   * counts roll up. Logged once when first exceeded; the reason then follows
   * the count, so the final one says how far over the subtree ended.
   * Returns true when newly exceeded.
   */
  private checkBudget(summary: Summary): boolean {
    const budget = this.o.spec.limits;
    if (!budget) return false;
    let fresh = false;
    for (const name of ['critical', 'error', 'warning'] as const) {
      const limit = budget[name];
      if (limit === undefined) continue;
      let count = summary.metrics[`msg_${name}`] ?? 0;
      if (name === 'error') count -= this.accountedErrors;
      if (count <= limit) continue;
      const text = `budget exceeded: ${plural(count, name === 'critical' ? 'critical message' : name)} > ${limit}`;
      const known = this.budgetExceeded.has(name);
      this.budgetExceeded.set(name, text);
      if (!known) {
        this.log(Severity.ERROR, text, true);
        fresh = true;
      }
    }
    return fresh;
  }

  /** Heartbeat up; never two in flight (a change during one sends another after it). */
  private sendUpdate(): Promise<void> {
    const parent = this.o.parent;
    if (!parent || !parent.isOpen || this.finishing) return Promise.resolve();
    if (this.updateInFlight) {
      this.updateAgain = true;
      return this.updateInFlight;
    }
    const summary = this.compose();
    const result = this.liveResult();
    this.updateInFlight = parent
      .request('update', payloadForParent(this.parentDialect, 'update', { ident: this.ident, summary, result }), { timeoutMs: REQUEST_TIMEOUT_MS })
      .then(
        () => {},
        (error: Error) => {
          if (!this.finishing && parent.isOpen) this.log(Severity.DEBUG, `Heartbeat to the parent failed: ${error.message}`);
        },
      )
      .finally(() => {
        this.updateInFlight = undefined;
        if (this.updateAgain) {
          this.updateAgain = false;
          void this.sendUpdate();
        }
      });
    return this.updateInFlight;
  }

  private beat(): void {
    if (this.finishing || !this.store) return;
    this.watchdog();
    const summary = this.publish(true);
    if (!summary) return;
    this.store.setMetrics('_OWN_', this.ownMetrics());
    this.store.setMetrics('_GROUP_', summary.metrics);
    // The roll-up so far (buckets, metric stats), for `gator show` while the run goes on.
    const text = JSON.stringify(summary);
    if (text !== this.storedSummaryText) {
      this.storedSummaryText = text;
      this.store.setAttribute('summary', text);
    }
    for (const rec of this.live) {
      if (rec.live?.dirty && rec.live.summary) {
        rec.live.dirty = false;
        this.store.setMetrics(rec.id, rec.live.summary.metrics);
      }
    }
  }

  /** Lose children that went silent (started) or never registered (process started long ago). */
  private watchdog(): void {
    const t = Date.now();
    for (const rec of [...this.live]) {
      const live = rec.live;
      if (!live) continue;
      if (rec.state === JobState.STARTED && t - live.lastHeard > (live.lostAfterMs ?? this.lostAfterMs)) {
        this.loseChild(rec, `no heartbeat for ${Math.round((t - live.lastHeard) / 1000)}s`, true);
      } else if (rec.state === JobState.LAUNCHED && live.processStarted !== undefined) {
        const limit = Math.max(this.lostAfterMs, REGISTER_FLOOR_MS);
        if (t - live.processStarted > limit) {
          this.loseChild(rec, `did not register within ${Math.round(limit / 1000)}s of starting`, true);
        }
      }
    }
  }

  // ------------------------------------------------------------ launching

  private schedule(): void {
    if (this.scheduling) {
      this.scheduleAgain = true;
      return;
    }
    this.scheduling = true;
    try {
      do {
        this.scheduleAgain = false;
        if (this.stopping || this.finishing) break;
        const decisions = this.graph.take();
        this.reportSkips(decisions.skip);
        for (const skip of decisions.skip) this.skipChild(skip);
        for (const id of decisions.launch) this.ready.push(id);
        this.launchReady();
      } while (this.scheduleAgain);
    } finally {
      this.scheduling = false;
    }
    this.checkDone();
  }

  /** Launch ready children while the window has room; refill only once it is half empty. */
  private launchReady(): void {
    const window = Math.max(1, this.o.launchWindow ?? 512);
    if (this.readyHead >= this.ready.length) return;
    if (this.inFlight > Math.floor(window / 2) && this.inFlight > 0) return;
    while (this.readyHead < this.ready.length && this.inFlight < window) {
      const id = this.ready[this.readyHead++]!;
      const rec = this.children.get(id)!;
      if (this.stopping) this.skipChild({ id, baseId: rec.baseId, reason: 'run stopped', specProblem: false });
      else this.launchChild(rec);
    }
    if (this.readyHead >= this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
    }
  }

  /** Ready children that never got into the launch window (the run stopped first). */
  private skipReady(reason: string): void {
    while (this.readyHead < this.ready.length) {
      const id = this.ready[this.readyHead++]!;
      const rec = this.children.get(id)!;
      this.skipChild({ id, baseId: rec.baseId, reason, specProblem: false });
    }
    this.ready = [];
    this.readyHead = 0;
  }

  /** One message per skipped entry (not per array copy). */
  private reportSkips(skips: SkipDecision[]): void {
    const byBase = new Map<string, { reason: string; specProblem: boolean; n: number; kind: Spec['kind'] }>();
    for (const s of skips) {
      const entry = byBase.get(s.baseId);
      if (entry) entry.n++;
      else byBase.set(s.baseId, { reason: s.reason, specProblem: s.specProblem, n: 1, kind: this.children.get(s.id)?.specKind ?? 'job' });
    }
    for (const [baseId, s] of byBase) {
      const what = `${KIND_WORD[s.kind]} '${baseId}'${s.n > 1 ? ` (${s.n} copies)` : ''}`;
      if (s.specProblem) this.log(Severity.ERROR, `Cannot launch ${what}: ${s.reason}`);
      else this.log(Severity.WARNING, `Skipping ${what}: ${s.reason}`);
    }
  }

  private launchChild(rec: ChildRecord): void {
    const live = rec.live!;
    const childPath = this.childPath(rec);
    if (this.o.only) {
      let selected: boolean | 'descend' = true;
      try {
        selected = this.o.only(childPath);
      } catch (error) {
        this.log(Severity.WARNING, `Selecting '${rec.id}' failed (${(error as Error).message}); running it`);
      }
      if (selected === false) {
        this.log(Severity.DEBUG, `Not running '${rec.id}': not selected for rerun`);
        // Its earlier result stands, so its dependants may run. It is neither
        // skipped nor failed in this run: counted apart as `sub_unselected`.
        const size = rec.kind === 'tier' ? rec.expected + 1 : 1;
        const jobs = rec.kind === 'tier' ? rec.expected : 1;
        const summary: Summary = { metrics: orderMetrics({ sub_total: size }), failed_ids: [], running_ids: [], sub_unselected: jobs };
        this.finishChild(rec, JobResult.ABORTED, summary, 'skipped', 'not selected for rerun', JobResult.SUCCESS);
        return;
      }
    }
    rec.state = JobState.LAUNCHED;
    this.inFlight++;
    this.childEvent(rec, 'launched');
    const dir = path.join(this.tracking, rec.subdir);
    let request: LaunchRequest;
    try {
      const schedArgs = { ...(this.o.schedArgs ?? {}), ...(this.o.scheduler.childOptions?.() ?? {}) };
      request = {
        id: rec.id,
        path: childPath,
        kind: rec.kind,
        command: buildChildCommand({
          childCommand: this.o.childCommand,
          limits: this.o.limits,
          parent: this.server!.address,
          interval: this.interval,
          scheduler: this.o.schedulerName,
          allMsg: this.o.allMsg === true,
          id: rec.id,
          tracking: dir,
          schedArgs,
        }),
        env: this.o.token ? { GATOR_TOKEN: this.o.token } : {},
        cwd: this.o.cwd ?? process.cwd(),
        parent: this.server!.address,
        tracking: dir,
        resources: rec.kind === 'job' && live.spec?.kind === 'job' ? jobResources(live.spec) : { cores: 0, memoryMb: 0, licenses: {} },
        ...(rec.index !== undefined && rec.arraySize !== undefined
          ? { array: { base: rec.baseId, index: rec.index, size: rec.arraySize } }
          : {}),
      };
    } catch (error) {
      this.loseChild(rec, `could not be launched: ${(error as Error).message}`);
      return;
    }
    let launching: Promise<LaunchedChild>;
    try {
      launching = Promise.resolve(this.o.scheduler.launch(request));
    } catch (error) {
      launching = Promise.reject(error);
    }
    const watch = launching.then(
      (handle) => {
        if (rec.live) {
          rec.live.handle = handle;
          handle.started.then(
            () => {
              if (rec.live) rec.live.processStarted = Date.now();
            },
            () => {},
          );
        }
        return handle.exited.then(
          (exit) => this.onExit(rec, exit),
          (error: Error) => this.onExit(rec, { code: null, signal: null, reason: `the scheduler lost track of it: ${error.message}` }),
        );
      },
      (error: Error) => {
        if (rec.state === JobState.COMPLETE) return;
        if (this.stopping) this.skipChild({ id: rec.id, baseId: rec.baseId, reason: 'run stopped', specProblem: false });
        else this.loseChild(rec, `could not be launched: ${error.message}`);
      },
    );
    this.exitWaits.add(watch);
    void watch.finally(() => this.exitWaits.delete(watch));
  }

  private onExit(rec: ChildRecord, exit: ChildExit): void {
    if (rec.state === JobState.COMPLETE) return;
    if (this.stopping && (exit.neverStarted || rec.state === JobState.LAUNCHED)) {
      this.skipChild({ id: rec.id, baseId: rec.baseId, reason: 'run stopped', specProblem: false });
      return;
    }
    // `complete` may still be in flight on the socket.
    const t = setTimeout(() => {
      if (rec.state === JobState.COMPLETE) return;
      this.loseChild(rec, this.describeExit(rec, exit));
    }, EXIT_GRACE_MS);
    t.unref?.();
  }

  private describeExit(rec: ChildRecord, exit: ChildExit): string {
    let text: string;
    if (exit.neverStarted) text = 'never started';
    else if (exit.signal) text = `killed by ${exit.signal}`;
    else if (exit.code !== null) text = `process exited with code ${exit.code} before completing`;
    else text = 'process ended before completing';
    if (exit.reason) text += ` (${exit.reason})`;
    return `${text}; see ${path.join(this.tracking, rec.subdir, 'scheduler.log')}`;
  }

  // ------------------------------------------------------------ child outcomes

  /** COMPLETE: fold the final summary, drop the live state, release dependants. */
  private finishChild(rec: ChildRecord, result: JobResult, summary: Summary, state: 'passed' | 'failed' | 'lost' | 'skipped', reason?: string, graphResult?: JobResult): void {
    if (rec.state === JobState.COMPLETE) return;
    const t = now();
    const wasLaunched = rec.state !== JobState.PENDING;
    if (wasLaunched) this.inFlight--;
    rec.state = JobState.COMPLETE;
    rec.result = result;
    rec.reason = reason;
    rec.metrics = summary.metrics;
    if (wasLaunched) {
      rec.updated = t;
      rec.stopped = t;
    }
    const live = rec.live;
    if (live?.connection) this.byConnection.delete(live.connection);
    rec.live = undefined;
    this.live.delete(rec);
    this.rollup.fold(summary);
    if (result === JobResult.FAILURE) {
      this.failedChildCount++;
      if (this.failedChildren.length < 3) this.failedChildren.push(rec.id);
    }
    if (state === 'lost') this.lostChildCount++;
    const store = this.store!;
    store.updateChild(rec.uidx, wasLaunched ? { updated: t, stopped: t, result } : { result });
    store.setMetrics(rec.id, summary.metrics);
    this.graph.complete(rec.id, graphResult ?? result);
    this.childEvent(rec, state, reason);
    this.changed();
    if (this.running) this.schedule();
  }

  private skipChild(skip: SkipDecision, graphResult?: JobResult): void {
    const rec = this.children.get(skip.id);
    if (!rec || rec.state === JobState.COMPLETE) return;
    const size = rec.kind === 'tier' ? rec.expected + 1 : 1;
    const summary: Summary = {
      metrics: orderMetrics({ sub_total: size }),
      failed_ids: [],
      running_ids: [],
      sub_skipped: size,
      skipped: [{ path: [rec.id], reason: skip.reason }],
    };
    this.finishChild(rec, JobResult.ABORTED, summary, 'skipped', skip.reason, graphResult);
  }

  private loseChild(rec: ChildRecord, reason: string, stopProcess = false): void {
    if (rec.state === JobState.COMPLETE) return;
    const last = rec.live?.summary;
    const dir = path.join(this.tracking, rec.subdir);
    const metrics: Metrics = last ? { ...last.metrics } : { sub_total: rec.kind === 'tier' ? rec.expected + 1 : 1 };
    const active = metrics.sub_active ?? 0;
    metrics.sub_failed = (metrics.sub_failed ?? 0) + Math.max(1, active);
    metrics.sub_active = 0;
    const failed_ids = [...(last?.failed_ids ?? []), ...(last?.running_ids ?? [])];
    if (!failed_ids.some((p) => p.length === 1 && p[0] === rec.id)) failed_ids.unshift([rec.id]);
    const failures: Failure[] = [{ path: [rec.id], reason: `lost: ${reason}`, log: dir }, ...(last?.failures ?? [])];
    const summary: Summary = {
      metrics: orderMetrics(metrics),
      failed_ids,
      running_ids: [],
      failures,
      sub_lost: (last?.sub_lost ?? 0) + 1,
      ...(last?.sub_skipped ? { sub_skipped: last.sub_skipped } : {}),
      ...(last?.stats ? { stats: last.stats } : {}),
      ...(last?.buckets ? { buckets: last.buckets } : {}),
    };
    this.log(Severity.ERROR, `Child '${rec.id}' lost: ${reason}`, true);
    if (stopProcess || rec.state === JobState.LAUNCHED || rec.state === JobState.STARTED) {
      void Promise.resolve()
        .then(() => this.o.scheduler.stop(rec.id))
        .catch(() => {});
    }
    this.finishChild(rec, JobResult.FAILURE, summary, 'lost', reason);
  }

  // ------------------------------------------------------------ stop

  private applyStop(): void {
    this.log(Severity.WARNING, 'Stopping all jobs');
    if (this.stopReason && this.stopReason !== 'stop requested') this.log(Severity.INFO, `Reason for stopping: ${this.stopReason}`);
    const skips = this.graph.abandon('run stopped');
    if (skips.length > 0) this.log(Severity.WARNING, `Skipping ${plural(skips.length, 'child', 'children')} that had not been launched: run stopped`);
    for (const skip of skips) this.skipChild(skip);
    this.skipReady('run stopped');
    for (const rec of [...this.live]) this.stopChild(rec);
    // Bounded wait: ask the scheduler, then give up on whoever is left.
    const grace = Math.max(10_000, 3 * this.interval * 1000);
    const escalate = setTimeout(() => {
      for (const rec of this.live) void Promise.resolve().then(() => this.o.scheduler.stop(rec.id)).catch(() => {});
      const giveUp = setTimeout(() => {
        for (const rec of [...this.live]) this.loseChild(rec, `did not finish within ${Math.round(grace / 1000) + 5}s of the stop`);
      }, 5_000);
      giveUp.unref?.();
      this.stopTimers.push(giveUp);
    }, grace);
    escalate.unref?.();
    this.stopTimers.push(escalate);
    this.checkDone();
  }

  private stopChild(rec: ChildRecord): void {
    const live = rec.live;
    if (!live) return;
    if (rec.state === JobState.STARTED && live.connection?.isOpen) {
      live.connection.post('stop', {});
    } else if (rec.state === JobState.LAUNCHED || rec.state === JobState.STARTED) {
      void Promise.resolve()
        .then(() => this.o.scheduler.stop(rec.id))
        .catch(() => {});
    }
  }

  // ------------------------------------------------------------ serving

  private lookup(ident: string): ChildRecord {
    const rec = this.children.get(ident);
    if (!rec) throw new Error(`Bad child ident ${ident}`);
    return rec;
  }

  private serverHandlers(connection: Connection): Handlers {
    return {
      spec: ({ ident }) => {
        const rec = this.children.get(ident);
        const spec = rec?.live?.spec;
        if (!rec || !spec || (rec.state !== JobState.LAUNCHED && rec.state !== JobState.STARTED)) {
          this.log(Severity.ERROR, `Bad child ident ${ident} asked for its spec`);
          throw new Error(`Bad child ident ${ident}`);
        }
        return { spec: dumpSpec(spec) };
      },
      register: ({ ident, server, protocol }) => {
        const rec = this.lookup(ident);
        if (rec.state === JobState.COMPLETE) {
          connection.post('stop', {});
          throw new Error(`Child '${ident}' has already been given up on (${rec.reason ?? 'complete'})`);
        }
        if (rec.state === JobState.PENDING) throw new Error(`Bad child ident ${ident}`);
        if (rec.state === JobState.STARTED) this.log(Severity.ERROR, `Child '${ident}' registered twice`);
        const live = rec.live!;
        if (live.connection && live.connection !== connection) this.byConnection.delete(live.connection);
        live.connection = connection;
        live.lastHeard = Date.now();
        // A child that sends no version is Python Gator: its tiers beat every 5 s, whatever --interval says.
        if (protocol === undefined) live.lostAfterMs = Math.max(this.lostAfterMs, 3 * PYTHON_HEARTBEAT_SECONDS * 1000);
        this.byConnection.set(connection, rec);
        connection.once('close', () => {
          if (this.byConnection.get(connection) === rec) this.byConnection.delete(connection);
          if (rec.live?.connection === connection) rec.live.connection = undefined;
        });
        const t = now();
        rec.state = JobState.STARTED;
        rec.serverUrl = server;
        rec.started = t;
        rec.updated = t;
        this.store!.updateChild(rec.uidx, { serverUrl: server, started: t, updated: t });
        this.childEvent(rec, 'started');
        this.changed();
        // A stop that came before this child could hear it.
        if (this.stopping) setImmediate(() => connection.post('stop', {}));
        // `protocol`: this parent's version, so the child may send Gator's extensions (a Python parent sends none).
        return { path: [...this.ownPath, this.ident], root: this.root, uidx: rec.uidx, protocol: PROTOCOL_VERSION };
      },
      update: ({ ident, summary, result }) => {
        const rec = this.lookup(ident);
        if (rec.state === JobState.COMPLETE) throw new Error('Child sent update after completion');
        if (rec.state !== JobState.STARTED) this.log(Severity.ERROR, `Child '${ident}' sent an update before registering`);
        const live = rec.live!;
        live.summary = summary;
        live.dirty = true;
        live.lastHeard = Date.now();
        rec.metrics = summary.metrics;
        rec.result = result as JobResult;
        rec.updated = now();
        this.store!.updateChild(rec.uidx, { updated: rec.updated, result });
        this.changed();
        return {};
      },
      complete: ({ ident, result, summary, reason }) => {
        const rec = this.lookup(ident);
        if (rec.state === JobState.COMPLETE) throw new Error('Child sent a second completion message');
        if ((summary.metrics.sub_active ?? 0) !== 0) {
          this.log(Severity.ERROR, `Child '${ident}' reported ${summary.metrics.sub_active} active jobs on completion`);
          if (rec.live) rec.live.summary = summary;
          this.loseChild(rec, 'reported active jobs on completion');
          throw new Error('Child reported active jobs on completion');
        }
        const r = result as JobResult;
        this.finishChild(rec, r, summary, r === JobResult.SUCCESS ? 'passed' : 'failed', reason);
        return {};
      },
      children: () => ({ children: this.childrenList(), status: JobState.STARTED }),
      log: (payload) => {
        this.forwardLog(payload, this.byConnection.get(connection));
        return {};
      },
      get_messages: ({ after, limit }) => this.getMessages(after ?? 0, limit ?? 10),
      resolve: (q) => this.resolve({ rootPath: q.root_path, nestPath: q.nest_path, depth: q.depth ?? 0 }),
    };
  }

  private parentHandlers(): Handlers {
    return {
      stop: () => {
        this.stop('stopped by the parent tier');
        return {};
      },
      resolve: (q) => this.resolve({ rootPath: q.root_path, nestPath: q.nest_path, depth: q.depth ?? 0 }),
      get_tree: () => this.getTree(),
      update_scheduler_opts: ({ options }) => {
        // The local scheduler shares one machine-wide pool: nothing to grant, so the answer is unchanged.
        const current = this.o.schedArgs?.concurrency;
        if (!('concurrency' in options)) return {};
        const n = Number(current);
        return Number.isFinite(n) && current !== undefined ? { concurrency: n } : {};
      },
    };
  }

  private forwardLog(payload: RequestPayload<'log'>, from: ChildRecord | undefined): void {
    const severity = severityFromName(payload.severity);
    const message = (payload.message ?? 'N/A').trim();
    const timestamp = payload.timestamp ?? now();
    const given = (payload as { path?: unknown }).path;
    const senderPath =
      Array.isArray(given) && given.every((p) => typeof p === 'string')
        ? (given as string[])
        : from
          ? this.childPath(from)
          : undefined;
    this.emit({ type: 'message', severity, message, timestamp, ...(senderPath ? { path: senderPath } : {}) });
    if (this.o.allMsg && severity >= Severity.INFO) {
      this.o.parent?.post(
        'log',
        payloadForParent(this.parentDialect, 'log', {
          timestamp,
          severity: severityName(severity),
          message,
          ...(senderPath ? { path: senderPath } : {}),
        }),
      );
    }
  }

  private getMessages(after: number, limit: number) {
    const store = this.store!;
    store.flush();
    try {
      this.reader ??= openLayerReader(store.dbFile);
      return {
        messages: this.reader.messages({ after, limit: Math.max(0, limit) }),
        total: this.reader.countMessages(),
        status: JobState.STARTED,
      };
    } catch (error) {
      throw new Error(`Cannot read this tier's messages: ${(error as Error).message}`);
    }
  }

  private shallowChild(rec: ChildRecord): ApiJob {
    return {
      uidx: rec.uidx,
      root: this.root,
      path: [...this.ownPath, this.ident],
      ident: rec.id,
      status: rec.state,
      metrics: rec.metrics ?? {},
      server_url: rec.serverUrl,
      db_file: path.join(this.tracking, rec.subdir, 'db.sqlite'),
      owner: null,
      started: rec.started,
      updated: rec.updated,
      stopped: rec.stopped,
      result: rec.result,
      children: [],
      expected_children: rec.expected,
    };
  }

  /** Direct children: pending first, then launched/started, then completed. */
  private childrenList(): ApiJob[] {
    const rank = (state: JobState) => (state === JobState.PENDING ? 0 : state === JobState.COMPLETE ? 2 : 1);
    const out: ApiJob[] = [];
    for (const group of [0, 1, 2]) {
      for (const rec of this.children.values()) if (rank(rec.state) === group) out.push(this.shallowChild(rec));
    }
    return out;
  }

  private async resolve(query: ResolveQuery): Promise<ApiJob> {
    const { rootPath, nestPath, depth } = query;
    if (rootPath.length > 0) {
      const rec = this.children.get(rootPath[0]);
      if (!rec) throw unknownChildError(rootPath[0]);
      return this.resolveChild(rec, { rootPath: rootPath.slice(1), nestPath, depth }, true);
    }
    const summary = this.compose();
    const self: ApiJob = {
      uidx: this.uidx,
      root: this.root,
      path: this.ownPath,
      ident: this.ident,
      status: JobState.STARTED,
      metrics: summary.metrics,
      server_url: this.server?.address ?? '',
      db_file: this.store?.dbFile ?? path.join(this.tracking, 'db.sqlite'),
      owner: null,
      started: this.startedAt || null,
      updated: now(),
      stopped: null,
      result: this.liveResult(),
      children: [],
      expected_children: this.children.size,
    };
    if (nestPath && nestPath.length > 0) {
      const rec = this.children.get(nestPath[0]);
      if (!rec) throw unknownChildError(nestPath[0]);
      self.children = [await this.resolveChild(rec, { rootPath: [], nestPath: nestPath.slice(1), depth }, false)];
    } else if (depth >= 2) {
      const list: ApiJob[] = [];
      for (const rec of this.children.values()) list.push(await this.resolveChild(rec, { rootPath: [], nestPath: null, depth: depth - 1 }, false));
      self.children = list;
    } else if (depth === 1) {
      self.children = [...this.children.values()].map((rec) => this.shallowChild(rec));
    }
    return self;
  }

  /** `strict`: an explicit path through this child (errors are the caller's answer); else fall back to the shallow record. */
  private async resolveChild(rec: ChildRecord, query: ResolveQuery, strict: boolean): Promise<ApiJob> {
    const connection = rec.live?.connection;
    try {
      if (rec.state === JobState.STARTED && connection?.isOpen) {
        return await connection.request(
          'resolve',
          { root_path: [...query.rootPath], nest_path: query.nestPath ? [...query.nestPath] : null, depth: query.depth },
          { timeoutMs: QUERY_TIMEOUT_MS },
        );
      }
      if (rec.state === JobState.COMPLETE) {
        const dbFile = path.join(this.tracking, rec.subdir, 'db.sqlite');
        if (fs.existsSync(dbFile)) return resolveFromDb(dbFile, query);
        if (query.rootPath.length === 0) return this.shallowChild(rec);
      }
      throw notStartedError(rec.id);
    } catch (error) {
      if (strict) throw error;
      return this.shallowChild(rec);
    }
  }

  private async getTree(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const rec of this.live) {
      if (rec.state !== JobState.LAUNCHED && rec.state !== JobState.STARTED) continue;
      const connection = rec.live?.connection;
      if (rec.kind === 'tier' && rec.state === JobState.STARTED && connection?.isOpen) {
        try {
          out[rec.id] = await connection.request('get_tree', {}, { timeoutMs: QUERY_TIMEOUT_MS });
          continue;
        } catch {
          // fall back to the state name
        }
      }
      out[rec.id] = JOB_STATE_NAMES[rec.state];
    }
    return out;
  }
}

export function createTier(options: TierOptions): Tier {
  return new TierRunner(options);
}

export function runTier(options: TierOptions): Promise<TierOutcome> {
  return new TierRunner(options).run();
}

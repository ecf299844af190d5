/**
 * One tier: the life of a `!JobGroup`/`!JobArray` layer (how-gator-works.md
 * "Structure of a tier"). It is assembled from the design's components:
 *
 * - a client to its parent: the shared `Uplink` (register, heartbeats, the
 *   final report) and the handlers of `serve.ts` for what the parent asks;
 * - a server for its children (`serve.ts`), which keeps their records
 *   (`children.ts`);
 * - an orchestrator (`orchestrator.ts`): dependencies, the launch window,
 *   how each child ended, and the roll-up (`rollup.ts`);
 * - a scheduler (the `Scheduler` it is given, driven by `launcher.ts`);
 * - its database (`@gator/db`) and its own messages (`tier-log.ts`).
 *
 * Whether it passed is `verdict.ts`, a pure function (`runVerdict` of the
 * run model on its tally of jobs, `tally.ts`). Beyond Python Gator: a
 * child whose process ends without `complete`, or that goes silent, is lost
 * (`watchdog.ts`) instead of hanging the run; a parent that goes away stops
 * the tier; finished children are folded into totals so memory stays bounded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessagePages, openLayerStore, type LayerStore } from '@gator/db';
import {
  JobResult,
  JobState,
  ROOT_PLACE,
  Severity,
  Uplink,
  UsageError,
  checkChildIds,
  childEntries,
  describeLayer,
  dumpSpec,
  emitTo,
  expectedJobs,
  layerFile,
  layerSettings,
  listenLayerServer,
  childCredential,
  newSecret,
  sameSecret,
  type RefusalCounter,
  type ChildCommand,
  type FrameSocket,
  type GatorServer,
  type JobArray,
  type JobGroup,
  type LayerEvent,
  type LayerOptions,
  type LayerPlace,
  type RunningLayer,
  type LayerSettings,
  type Limits,
  type Metrics,
  type Scheduler,
  type Spec,
  type Summary,
  METRIC_SCOPES,
} from '@gator/protocol';
import { ChildTable, type ChildEnd, type ChildRecord } from './children.js';
import { EndRelay } from './ends.js';
import { launchRequest } from './launcher.js';
import { Orchestrator } from './orchestrator.js';
import { orderMetrics } from './rollup.js';
import { childHandlers, parentHandlers, type ServeContext } from './serve.js';
import { TierLog } from './tier-log.js';
import { exceededBudgets, ownProblems, tierVerdict, type TierVerdict } from './verdict.js';
import { SLOW_WINDOWS, silentChildren } from './watchdog.js';
import { layersOfSpec } from './tally.js';
import { randomBytes } from 'node:crypto';

// ---------------------------------------------------------------- public types

export interface TierOptions extends LayerOptions {
  spec: JobGroup | JobArray;
  scheduler: Scheduler;
  /** Name given to children as `--scheduler`. */
  schedulerName: string;
  /** Passed to children as `--sched-arg k=v` (with `scheduler.childOptions?.()`). */
  schedArgs?: Record<string, string>;
  /**
   * How a child Gator process is started: an argv prefix (default `['gator']`,
   * the CLI on PATH, as Python Gator starts `python3 -m gator`), or a function
   * of the child's settings and place that writes its whole argv.
   */
  childCommand?: ChildCommand;
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
  /**
   * The first child tier starts alone, the others once it reports a job of its own
   * running or ended (or has ended, or after `tierStartWaitMs`, default 3 s). Default: true when the scheduler runs
   * children on this machine (`capabilities.remote` false), where tier start-ups share
   * its cores and the first jobs wait for their tier's; false otherwise.
   */
  tierHeadStart?: boolean;
  tierStartWaitMs?: number;
  /** Which children to run (rerun-failed); `false` records the child as skipped, `'descend'` runs it. */
  only?: (childPath: string[]) => boolean | 'descend';
  /**
   * Environment a child job is given over its spec's (a rerun's recorded env and
   * seed, so a rerun runs the job as it ran); undefined for none. Called once per child.
   */
  childEnv?: (childPath: string[]) => Record<string, string> | undefined;
  /** Extra `Attribute` rows this tier writes when it starts (e.g. a rerun's `rerun_of`). */
  attributes?: Record<string, string>;
  /** Everything the CLI may render. The library never prints. */
  onEvent?: (event: TierEvent) => void;
}

export type ChildEventState = 'launched' | 'started' | ChildEnd;

export type TierEvent =
  | Extract<LayerEvent, { type: 'summary' }>
  | (Extract<LayerEvent, { type: 'message' }> & { path?: string[] })
  | Extract<LayerEvent, { type: 'notice' }>
  | (Extract<LayerEvent, { type: 'complete' }> & { summary: Summary })
  | { type: 'child'; id: string; path: string[]; state: ChildEventState; reason?: string; kind: 'job' | 'tier' }
  /** A job of the subtree ended (each job once, however short): what the live stream prints. */
  | Extract<LayerEvent, { type: 'end' }>;

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
  /** Job ends not yet accepted by the parent. */
  unsentEnds: number;
}

export interface Tier extends RunningLayer<TierOutcome> {
  internals(): TierInternals;
  /**
   * Serve child `id`'s link to this tier on a socket its scheduler opened to it
   * (a pre-started wrapper's IPC channel: `uplink` of @gator/scheduler-local):
   * the handlers its websocket would get, as that child, with no credential to
   * show (only the two processes hold the channel). False when this tier's
   * server is not listening (the socket is then the caller's to close).
   */
  adoptChild(id: string, socket: FrameSocket): boolean;
}

// ---------------------------------------------------------------- the tier

const PUBLISH_SPACING_MS = 250;
const REQUEST_TIMEOUT_MS = 30_000;
/** Longest wait at the end for the scheduler to report exits of children that completed. */
const EXIT_WAIT_MS = 5_000;
const DEFAULT_LAUNCH_WINDOW = 512;
/** What a connection without a credential is told (the setting that would let it in). */
export const TOKENLESS_HINT =
  'a child that cannot present a credential (e.g. Python Gator) is accepted only when the run allows it: gator run --allow-tokenless';

const now = () => Date.now() / 1000;

const SPEC_KIND: Record<Spec['kind'], Spec['kind']> = { job: 'job', group: 'group', array: 'array' };

/** The options that are not layer settings (those are checked by `layerSettings`). */
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
  if (o.childCommand !== undefined && typeof o.childCommand !== 'function' && (!Array.isArray(o.childCommand) || o.childCommand.length === 0)) {
    throw new UsageError('A tier needs childCommand, the argv prefix that starts a child Gator process');
  }
  if (o.lostAfterIntervals !== undefined && !(Number.isFinite(o.lostAfterIntervals) && o.lostAfterIntervals > 0)) {
    throw new UsageError(`lostAfterIntervals must be > 0, got ${o.lostAfterIntervals}`);
  }
}

class TierRunner implements Tier {
  private readonly o: TierOptions;
  private readonly settings: LayerSettings;
  private readonly ident: string;
  private readonly tracking: string;
  private readonly lostAfterMs: number;
  private readonly children: ChildTable;
  private readonly log: TierLog;
  private readonly ends: EndRelay;
  private orchestrator!: Orchestrator;
  private store: LayerStore | undefined;
  private messages: MessagePages | undefined;
  private server: GatorServer | undefined;
  private refusals: RefusalCounter | undefined;
  /** This tier's own secret: each child's credential is made from it and the child's ident (`credentials.ts`). */
  private readonly childSecret = randomBytes(32);
  /** Credential → child ident, for every child of this tier. */
  private readonly credentials = new Map<string, string>();
  /** The run's read token (a tier created without one makes its own: only its readers need it). */
  private readonly readToken: string;
  private uplink: Uplink<'tierUplink'> | undefined;
  private place: LayerPlace = ROOT_PLACE;
  private startedAt = 0;
  /** Problems of the tier itself (a database error, a parent it could not register with). */
  private readonly problems: string[] = [];
  /** Subtree budgets (`limits`) exceeded, by severity: the reason, kept up to date with the count. */
  private readonly budgetExceeded = new Map<'critical' | 'error' | 'warning', string>();

  private runPromise: Promise<TierOutcome> | undefined;
  private running = false;
  private finishing = false;
  /** Children already warned about as slow (once each). */
  private readonly slowTold = new Set<string>();
  private finalResult: JobResult | undefined;
  private stopping = false;
  private stopReason: string | undefined;
  /** The stop came from the user (a signal, the parent tier, `stop()`), not from a problem of the tier. */
  private stoppedByUser = false;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((r) => (this.resolveDone = r));

  private heartbeat: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private lastPublish = 0;
  private lastSummaryText = '';
  /** The roll-up last stored as the `summary` attribute (rewritten only when it changed). */
  private storedSummaryText = '';

  constructor(options: TierOptions) {
    validate(options);
    this.o = options;
    this.settings = layerSettings({
      interval: options.interval,
      limits: options.limits,
      scheduler: options.schedulerName,
      allMsg: options.allMsg,
      schedArgs: options.schedArgs,
    });
    this.ident = options.ident;
    this.readToken = options.token ?? newSecret();
    this.tracking = path.resolve(options.tracking);
    this.lostAfterMs = (options.lostAfterIntervals ?? 3) * this.settings.interval * 1000;
    this.children = new ChildTable(this.tracking);
    this.ends = new EndRelay({
      ident: this.ident,
      emit: (end) => this.emit({ type: 'end', end }),
      forwarding: () => this.uplink?.parentDialect.extensions === true,
      pending: () => {
        if (!this.finishing) this.uplink?.update(true);
      },
    });
    this.log = new TierLog({
      store: () => this.store,
      path: () => [...this.place.path, this.ident],
      emit: (event) => this.emit(event),
      forwardTo: () => (this.settings.allMsg ? this.uplink : undefined),
      onWarning: () => {
        if (this.running && !this.finishing) this.changed();
      },
    });
  }

  get address(): string | undefined {
    return this.server?.address;
  }

  adoptChild(id: string, socket: FrameSocket): boolean {
    if (!this.server) return false;
    this.server.adopt(socket, { role: 'child', ident: id });
    return true;
  }

  internals(): TierInternals {
    const sizes = this.orchestrator?.rollup.sizes();
    return {
      ...this.children.sizes(),
      exitWaits: this.orchestrator?.exitWaits ?? 0,
      folded: this.orchestrator?.rollup.foldedCount ?? 0,
      failedIds: sizes?.failedIds ?? 0,
      failures: sizes?.failures ?? 0,
      unsentEnds: this.ends.unsent,
    };
  }

  run(): Promise<TierOutcome> {
    this.runPromise ??= this.execute();
    return this.runPromise;
  }

  stop(reason?: string): void {
    this.halt(reason, true);
  }

  /** Stop the tier: `byUser` when asked to (its own problems stop it too, and fail it). */
  private halt(reason: string | undefined, byUser: boolean): void {
    if (this.stopping || this.finishing) return;
    this.stopping = true;
    this.stoppedByUser = byUser;
    this.stopReason = reason ?? 'stop requested';
    if (this.running) this.applyStop();
  }

  // ------------------------------------------------------------ life

  private async execute(): Promise<TierOutcome> {
    const spec = this.o.spec;
    const entries = childEntries(spec);
    // The same check the spec's loader runs: a child id is a name, unique among its siblings.
    checkChildIds(entries);

    const store = openLayerStore({ dir: this.tracking, kind: 'tier' });
    this.store = store;
    this.messages = new MessagePages(store);
    this.orchestrator = new Orchestrator(this.orchestration(store), entries);
    store.on('error', (error) => {
      this.problems.push(error.message);
      this.log.log(Severity.CRITICAL, error.message);
    });
    try {
      // As Python: the layer's own spec, renamed to its --id.
      store.writeSpec(dumpSpec({ ...spec, ident: this.ident }));
      ({ server: this.server, refusals: this.refusals } = await listenLayerServer({
        host: this.o.host ?? (this.o.advertiseHost ? '0.0.0.0' : '127.0.0.1'),
        advertiseHost: this.o.advertiseHost,
        authorize: (asked) => {
          if (sameSecret(asked, this.readToken)) return { role: 'reader' };
          const ident = asked ? this.credentials.get(asked) : undefined;
          if (ident !== undefined) return { role: 'child', ident };
          return asked === '' && this.o.allowTokenless ? { role: 'tokenless' } : undefined;
        },
        refusalHint: this.o.allowTokenless ? undefined : TOKENLESS_HINT,
        handlers: (connection, principal) => childHandlers(this.serving(), connection, principal ?? { role: 'tokenless' }),
        peer: 'a peer',
        badFrame: { severity: Severity.DEBUG, prefix: 'Bad frame from a peer' },
        log: (severity, message) => this.log.log(severity, message),
      }));
    } catch (error) {
      store.close();
      throw error;
    }

    const registered = await this.register();
    this.startedAt = now();
    store.setAttribute('ident', this.ident);
    store.setAttribute('uidx', this.place.uidx);
    store.setAttribute('root', this.place.root);
    store.setAttribute('path', this.place.path.join('.'));
    store.setAttribute('started', this.startedAt);
    // Who to ask whether the layer is still alive (a dead root is shown as interrupted: docs/run-model.md).
    store.setAttribute('pid', process.pid);
    store.setAttribute('host', os.hostname());
    for (const [name, value] of Object.entries(this.o.attributes ?? {})) store.setAttribute(name, value);
    this.recordChildren(store, entries);
    entries.length = 0;

    this.running = true;
    this.log.log(Severity.INFO, `Layer '${this.ident}' launching sub-jobs`);
    this.heartbeat = setInterval(() => this.beat(), Math.max(50, this.settings.interval * 1000));
    this.heartbeat.unref?.();
    if (registered) this.uplink?.update();
    if (!registered) this.halt('could not register with the parent tier', false);
    else if (this.stopping) this.applyStop();
    else this.orchestrator.schedule();
    this.checkDone();
    await this.done;
    return this.finish();
  }

  /** Connect the uplink and register; false when the parent did not accept this tier. */
  private async register(): Promise<boolean> {
    const parent = this.o.parent;
    if (!parent) return true;
    this.uplink = new Uplink({
      connection: parent,
      ident: this.ident,
      handlers: parentHandlers(this.serving()),
      report: () => ({ summary: this.ends.attach(this.compose()), result: this.liveResult() }),
      onUpdateAccepted: ({ summary }) => this.ends.accepted(summary),
      updateTimeoutMs: REQUEST_TIMEOUT_MS,
      onUpdateFailed: (error) => {
        if (!this.finishing) this.log.log(Severity.DEBUG, `Heartbeat to the parent failed: ${error.message}`);
      },
      onClosed: () => {
        if (this.finishing) return;
        this.log.log(Severity.WARNING, 'Lost the connection to the parent tier: stopping');
        this.halt('parent connection lost', false);
      },
    });
    try {
      this.place = await this.uplink.register(this.server!.address);
      return true;
    } catch (error) {
      const text = `Could not register with the parent tier: ${(error as Error).message}`;
      this.problems.push(text);
      this.log.log(Severity.CRITICAL, text);
      return false;
    }
  }

  /** A job's spec with `childEnv`'s variables over its own (a tier child's jobs get theirs from its own tier). */
  private withChildEnv(e: ReturnType<typeof childEntries>[number]): Spec {
    // Called once registered: the place (this tier's path) is known.
    const env = e.spec.kind === 'job' ? this.o.childEnv?.([...this.place.path, this.ident, e.id]) : undefined;
    return env ? { ...e.spec, env: { ...(e.spec.env ?? {}), ...env } } : e.spec;
  }

  /** One ChildEntry row per child, in spec order, before any launch (uidx = row id). */
  private recordChildren(store: LayerStore, entries: ReturnType<typeof childEntries>): void {
    for (const e of entries) {
      const kind = e.spec.kind === 'job' ? 'job' : 'tier';
      const expected = kind === 'tier' ? expectedJobs(e.spec) : 0;
      const dir = path.join(this.tracking, e.trackingSubdir);
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      } catch (error) {
        this.log.log(Severity.ERROR, `Cannot create the tracking directory ${dir} of '${e.id}': ${(error as Error).message}`);
      }
      const uidx = store.addChild({ ident: e.id, dbFile: layerFile(dir, 'db'), expectedChildren: expected });
      this.credentials.set(childCredential(this.childSecret, e.id), e.id);
      const rec: ChildRecord = {
        id: e.id,
        baseId: e.baseId,
        index: e.index,
        arraySize: e.arraySize,
        uidx,
        kind,
        // The literal, not the spec's own string: the record outlives the spec (a string per child otherwise).
        specKind: SPEC_KIND[e.spec.kind],
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
        live: { spec: this.withChildEnv(e), connection: undefined, handle: undefined, summary: undefined, dirty: false, lastHeard: 0, processStarted: undefined },
      };
      this.children.add(rec);
    }
  }

  private checkDone(): void {
    if (!this.running || this.finishing) return;
    if (this.orchestrator.finished()) this.resolveDone();
  }

  private async finish(): Promise<TierOutcome> {
    this.finishing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.publishTimer) clearTimeout(this.publishTimer);
    const store = this.store!;
    // Ending children can take a stop's grace and more (a frozen one is killed only after it): this
    // tier is alive and must keep saying so, or its parent gives up on it as well.
    const closingBeat = setInterval(() => this.uplink?.update(), Math.max(50, this.settings.interval * 1000));
    closingBeat.unref?.();
    try {
      await this.orchestrator.close(EXIT_WAIT_MS);
    } finally {
      clearInterval(closingBeat);
    }
    this.refusals?.close();

    // The last summaries may have arrived after the last throttled check.
    this.checkBudget(this.compose());
    const verdict = this.verdict(this.compose());
    const { result, reason } = verdict;
    if (reason) this.log.notice(verdict.outcome === 'stopped' ? 'stopped' : 'failed', `Tier '${this.ident}' ${verdict.outcome}: ${reason}`);
    this.finalResult = result;
    this.log.log(Severity.INFO, this.completeLine(this.compose()));
    // Compose again so the summary includes the lines just logged.
    const final = this.compose();
    store.setMetrics(METRIC_SCOPES.own, this.ownMetrics());
    store.setMetrics(METRIC_SCOPES.group, final.metrics);
    store.setAttribute('stopped', now());
    // The verdict of the run model: what the root stores is what `gator run` exits with.
    store.setAttribute('result', result);
    store.setAttribute('outcome', verdict.outcome);
    this.emit({ type: 'summary', summary: final });

    // Every end not yet accepted goes with the final report (the parent takes each once).
    const failures = (await this.uplink?.complete({ summary: this.ends.attachAll(final), result, code: 0, reason })) ?? [];
    if (failures.length > 0) this.log.log(Severity.WARNING, `Could not report completion to the parent tier: ${failures[0]!.error.message}`);
    const c = this.log.counts;
    // The tier's own lines only (the run's totals are the Complete line's): bookkeeping, so DEBUG.
    this.log.log(Severity.DEBUG, `Recorded ${c.critical} critical, ${c.error} error, ${c.warning} warning, ${c.info} info and ${c.debug} debug messages of its own`);
    store.setAttribute('summary', JSON.stringify(final));
    if (reason) store.setAttribute('reason', reason);
    await this.server?.close().catch(() => {});
    this.messages?.close();
    store.close();
    this.emit({ type: 'complete', result, summary: final, ...(reason ? { reason } : {}) });
    return { result, summary: final, ...(reason ? { reason } : {}), dbFile: store.dbFile };
  }

  private applyStop(): void {
    // Gator's notice, not a message of the run: never counted, never against the limits.
    this.log.notice('stopped', this.stopReason && this.stopReason !== 'stop requested' ? `Stopping all jobs: ${this.stopReason}` : 'Stopping all jobs');
    // Bounded wait: ask the scheduler, then give up on whoever is left.
    this.orchestrator.stop(Math.max(10_000, 3 * this.settings.interval * 1000));
  }

  // ------------------------------------------------------------ components' contexts

  private orchestration(store: LayerStore): ConstructorParameters<typeof Orchestrator>[0] {
    return {
      children: this.children,
      store,
      scheduler: this.o.scheduler,
      ident: this.ident,
      expectedJobs: expectedJobs(this.o.spec),
      launchWindow: this.o.launchWindow ?? DEFAULT_LAUNCH_WINDOW,
      // Children of a local scheduler start on this machine's cores: the first child tier ahead of the rest.
      tierHeadStart: this.o.tierHeadStart ?? this.o.scheduler.capabilities?.remote === false,
      tierStartWaitMs: this.o.tierStartWaitMs,
      only: this.o.only,
      log: (severity, message) => this.log.log(severity, message),
      notice: (kind, message, child) => this.log.notice(kind, message, child),
      problem: (reason) => {
        if (!this.problems.includes(reason)) this.problems.push(reason);
      },
      pathOf: (rec) => this.childPath(rec),
      ends: this.ends,
      childEvent: (rec, state, reason) => this.childEvent(rec, state, reason),
      changed: () => this.changed(),
      checkDone: () => this.checkDone(),
      request: (rec) =>
        launchRequest(
          {
            scheduler: this.o.scheduler,
            childCommand: this.o.childCommand ?? ['gator'],
            // The scheduler may add options of its own for child tiers (e.g. a shared pool's address).
            settings: () => ({ ...this.settings, schedArgs: { ...this.settings.schedArgs, ...(this.o.scheduler.childOptions?.() ?? {}) } }),
            parent: () => this.server!.address,
            credential: (id) => ({
              credential: childCredential(this.childSecret, id),
              read: this.readToken,
              ...(this.o.allowTokenless ? { allowTokenless: true } : {}),
            }),
            cwd: this.o.cwd ?? process.cwd(),
          },
          rec,
          this.children.dirOf(rec),
          this.childPath(rec),
        ),
    };
  }

  private serving(): ServeContext {
    return {
      ident: this.ident,
      children: this.children,
      orchestrator: this.orchestrator,
      messages: this.messages!,
      lostAfterMs: this.lostAfterMs,
      store: () => this.store!,
      place: () => this.place,
      log: (severity, message) => this.log.log(severity, message),
      relay: (payload, senderPath) => this.log.relay(payload, senderPath),
      childStarted: (rec) => {
        this.childEvent(rec, 'started');
      },
      tierUnderway: (rec) => this.orchestrator.tierStarted(rec),
      changed: () => this.changed(),
      stopping: () => this.stopping,
      stop: (reason) => this.stop(reason),
      describe: () =>
        describeLayer({
          place: this.place,
          ident: this.ident,
          status: JobState.STARTED,
          metrics: this.compose().metrics,
          serverUrl: this.server?.address ?? '',
          dbFile: this.store?.dbFile ?? layerFile(this.tracking, 'db'),
          started: this.startedAt || null,
          updated: now(),
          stopped: null,
          result: this.liveResult(),
          expectedChildren: this.children.size,
        }),
      schedArgs: () => this.settings.schedArgs,
      layersOf: (rec) => (rec.live?.spec ? layersOfSpec(rec.live.spec) : rec.kind === 'job' ? 1 : Number.MAX_SAFE_INTEGER),
    };
  }

  // ------------------------------------------------------------ events

  private emit(event: TierEvent): void {
    emitTo(this.o.onEvent, event);
  }

  private childPath(rec: ChildRecord): string[] {
    return [...this.place.path, this.ident, rec.id];
  }

  private childEvent(rec: ChildRecord, state: ChildEventState, reason?: string): void {
    this.emit({ type: 'child', id: rec.id, path: this.childPath(rec), state, kind: rec.kind, ...(reason ? { reason } : {}) });
  }

  // ------------------------------------------------------------ roll-up, verdict, heartbeats

  private ownMetrics(): Metrics {
    const done = this.finalResult !== undefined;
    return orderMetrics({
      sub_total: 1,
      sub_active: done ? 0 : 1,
      sub_passed: done && this.finalResult === JobResult.SUCCESS ? 1 : 0,
      sub_failed: done && this.finalResult !== JobResult.SUCCESS ? 1 : 0,
      ...this.log.counts.metrics(),
    });
  }

  private ownProblemReason(): string | undefined {
    return ownProblems(this.problems, this.budgetExceeded.values(), this.log.counts, this.settings.limits);
  }

  private compose(): Summary {
    const own = this.ownProblemReason();
    return this.orchestrator.compose(this.ownMetrics(), own ? { reason: own, log: this.tracking } : undefined);
  }

  /** The run model's verdict on this subtree (docs/run-model.md): its jobs and its problems. */
  private verdict(summary: Summary): TierVerdict {
    const own = this.ownProblemReason();
    return tierVerdict({
      tally: summary.jobs!,
      stopped: this.stopping ? (this.stopReason ?? 'stop requested') : undefined,
      failedNames: this.orchestrator.failedNames,
      failedCount: this.orchestrator.failedCount,
      problems: [...(own ? [own] : []), ...this.orchestrator.childProblems],
      byUser: this.stoppedByUser,
    });
  }

  /**
   * Python's `Complete - …` line, in the numbers of the tally: jobs (never
   * tiers) by outcome, and the subtree's messages without this tier's own.
   */
  private completeLine(summary: Summary): string {
    const m = summary.metrics;
    const j = summary.jobs!;
    // Every message of the subtree (the jobs' and the layers' own; never Gator's notices): the
    // same totals as the run's summary line and `gator show`.
    const w = m.msg_warning ?? 0;
    const e = m.msg_error ?? 0;
    const c = m.msg_critical ?? 0;
    const active = j.running + j.pending;
    return `Complete - W: ${w}, E: ${e}, C: ${c}, T: ${j.total}, A: ${active}, P: ${j.passed}, F: ${j.failed}, lost: ${j.lost}, skipped: ${j.skipped}, stopped: ${j.stopped}`;
  }

  /** Result while running: FAILURE as soon as one is known, else UNKNOWN. */
  private liveResult(): JobResult {
    if (this.finalResult !== undefined) return this.finalResult;
    if (this.orchestrator.failedCount > 0 || this.children.anyLiveFailed() || this.ownProblemReason()) return JobResult.FAILURE;
    return JobResult.UNKNOWN;
  }

  /** Subtree budgets: logged once when first exceeded. Returns true when newly exceeded. */
  private checkBudget(summary: Summary): boolean {
    let fresh = false;
    for (const [name, text] of exceededBudgets(this.o.spec.limits as Limits | undefined, summary.metrics)) {
      const known = this.budgetExceeded.has(name);
      this.budgetExceeded.set(name, text);
      if (!known) {
        this.log.notice('problem', text);
        fresh = true;
      }
    }
    return fresh;
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
    if (force) this.uplink?.update();
    return summary;
  }

  private beat(): void {
    if (this.finishing || !this.store) return;
    const silent = silentChildren(this.children.live, this.lostAfterMs, Date.now(), (rec) => this.o.scheduler.inspect?.(rec.id));
    for (const { rec, reason } of silent) this.orchestrator.lose(rec, reason, true);
    for (const { rec, reason } of silent.slow ?? []) {
      if (this.slowTold.has(rec.id)) continue;
      this.slowTold.add(rec.id);
      // A notice, not a WARNING: Gator's own words never count against the subtree's budget.
      this.log.notice('problem', `Child '${rec.id}' is ${reason}: waiting up to ${(SLOW_WINDOWS * this.lostAfterMs) / 1000}s before giving up on it`, rec.id);
    }
    const summary = this.publish(true);
    if (!summary) return;
    this.store.setMetrics(METRIC_SCOPES.own, this.ownMetrics());
    this.store.setMetrics(METRIC_SCOPES.group, summary.metrics);
    // The roll-up so far (buckets, metric stats), for `gator show` while the run goes on.
    const text = JSON.stringify(summary);
    if (text !== this.storedSummaryText) {
      this.storedSummaryText = text;
      this.store.setAttribute('summary', text);
    }
    for (const rec of this.children.live) {
      if (rec.live?.dirty && rec.live.summary) {
        rec.live.dirty = false;
        this.store.setMetrics(rec.id, rec.live.summary.metrics);
      }
    }
  }
}

export function createTier(options: TierOptions): Tier {
  return new TierRunner(options);
}

export function runTier(options: TierOptions): Promise<TierOutcome> {
  return new TierRunner(options).run();
}

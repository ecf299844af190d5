/**
 * The tier's orchestrator (how-gator-works.md: it "coordinates launching
 * wrappers and nested tiers when any job dependencies are satisfied"): it
 * asks the dependency graph what may run, keeps a launch window towards the
 * scheduler, and settles each child's end (passed, failed, lost or skipped)
 * by folding its summary into the roll-up and releasing its dependants.
 *
 * It works through a narrow context: the tier's records, store, log and
 * events, so that the tier's life and the orchestration read apart.
 */
import type { LayerStore } from '@gator/db';
import {
  JobResult,
  JobState,
  Severity,
  addTally,
  emptyTally,
  tallyOf,
  type ChildExit,
  type Failure,
  type JobTally,
  type LaunchRequest,
  type LaunchedChild,
  type Metrics,
  type NoticeKind,
  type Scheduler,
  type SkipKind,
  type Spec,
  type Summary,
} from '@gator/protocol';
import type { ChildEnd, ChildRecord, ChildTable } from './children.js';
import type { EndRelay } from './ends.js';
import { DependencyGraph, type DependencyNode, type SkipDecision } from './dependencies.js';
import { Launcher, describeExit } from './launcher.js';
import { Rollup, orderMetrics, type LiveContribution } from './rollup.js';
import { childTally, jobsOf, lostTally } from './tally.js';

export interface OrchestratorContext {
  children: ChildTable;
  store: LayerStore;
  scheduler: Scheduler;
  log(severity: number, message: string): void;
  /** One of Gator's notices (GatorNotice): never a message, never counted; `path` is the child's id below this tier. */
  notice(kind: NoticeKind, message: string, path?: string): void;
  /** A problem of the tier itself (a spec it cannot run): it fails the tier. */
  problem(reason: string): void;
  /** The child's path in the tree (events, selection). */
  pathOf(rec: ChildRecord): string[];
  /** A child changed state (the renderer's `child` event). */
  childEvent(rec: ChildRecord, state: 'launched' | 'started' | ChildEnd, reason?: string): void;
  /** The roll-up changed: publish it soon. */
  changed(): void;
  /** Every child may have ended: the tier checks whether it is done. */
  checkDone(): void;
  /** The launch request of a child (throws when none can be made). */
  request(rec: ChildRecord): LaunchRequest;
  /** Which children to run (rerun-failed): `false` records the child as not selected. */
  only?: ((childPath: string[]) => boolean | 'descend') | undefined;
  /** Most children handed to the scheduler and not yet complete. */
  launchWindow: number;
  /** The first child tier starts alone; the rest once it has a job under way, has ended, or took `tierStartWaitMs`. */
  tierHeadStart?: boolean | undefined;
  tierStartWaitMs?: number | undefined;
  /** Ident of the tier and jobs under it, for the roll-up. */
  ident: string;
  expectedJobs: number;
  /** Where the ends of jobs go (the live stream): the ones this tier decides are added here. */
  ends: EndRelay;
}

/** A launched child's process ended; `complete` may still be in flight on its socket for this long. */
const EXIT_GRACE_MS = 250;
/** Names of failed children kept for the tier's reason (the count stays exact). */
const FAILED_NAMES = 3;
/** A first child tier still starting after this long no longer holds its siblings back (default of `tierStartWaitMs`). */
const TIER_START_WAIT_MS = 3_000;
/** Why children are skipped when the run stops. */
const RUN_STOPPED = 'run stopped';

const now = () => Date.now() / 1000;

const KIND_WORD: Record<Spec['kind'], string> = { job: 'job', group: 'group', array: 'array' };

export class Orchestrator {
  private readonly graph: DependencyGraph;
  readonly rollup: Rollup;
  private readonly launcher: Launcher;
  /** Ids ready to launch, waiting for room in the launch window (`readyHead` = next). */
  private ready: string[] = [];
  private readyHead = 0;
  private inFlight = 0;
  /** The first child tier, while it starts ahead of its siblings (`tierHeadStart`), and the timer that ends its head start. */
  private headStarter: { id: string; timer: NodeJS.Timeout } | undefined;
  private headStartDone = false;
  /** Child tiers ready, waiting for the first one's start (`tierHeadStart`). */
  private tiersHeld: ChildRecord[] = [];
  private scheduling = false;
  private scheduleAgain = false;
  private stopping = false;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Children that completed with FAILURE (exact) and the first few names. */
  failedCount = 0;
  readonly failedNames: string[] = [];
  /** Jobs of the children that ended (run-model.md); live children are added by `compose`. */
  private readonly endedJobs: JobTally = emptyTally();
  /** Children that failed with no failed or lost job of theirs (a sub-tier's own problem): the tier's problems. */
  readonly childProblems: string[] = [];

  constructor(
    private readonly ctx: OrchestratorContext,
    nodes: Iterable<DependencyNode>,
  ) {
    this.graph = new DependencyGraph(nodes);
    this.rollup = new Rollup({ ident: ctx.ident, expectedJobs: ctx.expectedJobs });
    this.launcher = new Launcher(ctx.scheduler, this);
  }

  /** The job ends of this tier's subtree, on their way up. */
  get ends(): EndRelay {
    return this.ctx.ends;
  }

  /** Exits still awaited from the scheduler. */
  get exitWaits(): number {
    return this.launcher.pending;
  }

  // ------------------------------------------------------------ deciding what runs

  /** Launch what the dependencies allow, skip what they never will. */
  schedule(): void {
    if (this.scheduling) {
      this.scheduleAgain = true;
      return;
    }
    this.scheduling = true;
    try {
      do {
        this.scheduleAgain = false;
        if (this.stopping || this.closed) break;
        const decisions = this.graph.take();
        this.reportSkips(decisions.skip);
        for (const skip of decisions.skip) this.skip(skip);
        for (const id of decisions.launch) this.ready.push(id);
        this.launchReady();
      } while (this.scheduleAgain);
    } finally {
      this.scheduling = false;
    }
    this.ctx.checkDone();
  }

  /** True when nothing is left to run (entries the graph can never decide are skipped: never hang on them). */
  finished(): boolean {
    if (this.ctx.children.live.size > 0) return false;
    if (this.graph.undecidedEntries > 0) {
      // Cannot happen with an acyclic graph.
      for (const skip of this.graph.abandon('its dependencies can never be met')) this.skip(skip);
      if (this.ctx.children.live.size > 0) return false;
    }
    return true;
  }

  /** Launch ready children while the window has room; refill only once it is half empty. */
  private launchReady(): void {
    const window = Math.max(1, this.ctx.launchWindow);
    if (this.readyHead >= this.ready.length) return;
    if (this.inFlight > Math.floor(window / 2) && this.inFlight > 0) return;
    while (this.readyHead < this.ready.length && this.inFlight < window) {
      const rec = this.ctx.children.get(this.ready[this.readyHead++]!)!;
      if (this.stopping) this.skip({ id: rec.id, baseId: rec.baseId, reason: RUN_STOPPED, specProblem: false }, undefined, 'stopped');
      else if (rec.kind === 'tier' && this.holdTier(rec)) continue;
      else this.launch(rec);
    }
    if (this.readyHead >= this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
    }
  }

  /**
   * The first child tier starts ahead of its siblings when they share this machine's
   * cores (`tierHeadStart`): a tier's start is a Node process start, CPU-bound, and the
   * first jobs wait for their tier's. Started all at once, a group's child tiers shared
   * the cores and were all ready late; the rest are launched, together, once the first
   * has a job of its own running or ended (or has ended, or after `tierStartWaitMs`).
   * Released at its registration instead, they started while its own child tiers and
   * wrappers did: the first job of a five-level regression tree ran 2.5 s into the run.
   * Started one at a time, the rest came up too slowly to keep short jobs coming. True
   * when `rec` waits.
   */
  private holdTier(rec: ChildRecord): boolean {
    if (!this.ctx.tierHeadStart || this.headStartDone) return false;
    if (this.headStarter) {
      this.tiersHeld.push(rec);
      return true;
    }
    const t = setTimeout(() => this.tierStarted(rec), this.ctx.tierStartWaitMs ?? TIER_START_WAIT_MS);
    t.unref?.();
    this.headStarter = { id: rec.id, timer: t };
    return false;
  }

  /** A child tier has a job under way, ended or took long: if it was the first, the held ones start. */
  tierStarted(rec: ChildRecord): void {
    if (this.headStarter?.id !== rec.id) return;
    clearTimeout(this.headStarter.timer);
    this.headStarter = undefined;
    this.headStartDone = true;
    if (this.stopping || this.closed) return;
    const held = this.tiersHeld.filter((next) => next.state === JobState.PENDING).map((next) => next.id);
    this.tiersHeld = [];
    if (held.length === 0) return;
    // Back to the front of the ready list, in their order: the launch window still bounds them
    // (an array of 10,000 groups is 10,000 held tiers).
    this.ready = held.concat(this.ready.slice(this.readyHead));
    this.readyHead = 0;
    this.schedule();
  }

  /** Ready children that never got into the launch window (the run stopped first). */
  private skipReady(reason: string): void {
    const held = this.tiersHeld;
    this.tiersHeld = [];
    for (const rec of held) this.skip({ id: rec.id, baseId: rec.baseId, reason, specProblem: false }, undefined, 'stopped');
    while (this.readyHead < this.ready.length) {
      const rec = this.ctx.children.get(this.ready[this.readyHead++]!)!;
      this.skip({ id: rec.id, baseId: rec.baseId, reason, specProblem: false }, undefined, 'stopped');
    }
    this.ready = [];
    this.readyHead = 0;
  }

  /** One notice per skipped entry (not per array copy); a spec that cannot be run is a problem of the tier too. */
  private reportSkips(skips: SkipDecision[]): void {
    const byBase = new Map<string, { reason: string; specProblem: boolean; n: number; kind: Spec['kind'] }>();
    for (const s of skips) {
      const entry = byBase.get(s.baseId);
      if (entry) entry.n++;
      else byBase.set(s.baseId, { reason: s.reason, specProblem: s.specProblem, n: 1, kind: this.ctx.children.get(s.id)?.specKind ?? 'job' });
    }
    for (const [baseId, s] of byBase) {
      const what = `${KIND_WORD[s.kind]} '${baseId}'${s.n > 1 ? ` (${s.n} copies)` : ''}`;
      if (s.specProblem) {
        this.ctx.notice('problem', `Cannot launch ${what}: ${s.reason}`, baseId);
        this.ctx.problem(`cannot launch ${what}: ${s.reason}`);
      } else {
        this.ctx.notice('skipped', `Skipping ${what}: ${s.reason}`, baseId);
      }
    }
  }

  // ------------------------------------------------------------ launching

  private launch(rec: ChildRecord): void {
    if (this.ctx.only && !this.selected(rec)) return;
    rec.state = JobState.LAUNCHED;
    this.inFlight++;
    this.ctx.childEvent(rec, 'launched');
    let request: LaunchRequest;
    try {
      request = this.ctx.request(rec);
    } catch (error) {
      this.lose(rec, `could not be launched: ${(error as Error).message}`, false, true);
      return;
    }
    this.launcher.launch(rec, request);
  }

  /** Rerun selection: a child not selected keeps its earlier result (its dependants may run) and counts apart. */
  private selected(rec: ChildRecord): boolean {
    let selected: boolean | 'descend' = true;
    try {
      selected = this.ctx.only!(this.ctx.pathOf(rec));
    } catch (error) {
      this.ctx.log(Severity.WARNING, `Selecting '${rec.id}' failed (${(error as Error).message}); running it`);
    }
    if (selected !== false) return true;
    this.ctx.notice('skipped', `Not running '${rec.id}': not selected for rerun`, rec.id);
    this.ctx.ends.skipped(rec.id, rec.live?.spec, 'not_selected', 'not selected for rerun');
    // Neither skipped nor failed in this run: counted apart as `sub_unselected`, and left out of the tally.
    const size = rec.kind === 'tier' ? rec.expected + 1 : 1;
    const summary: Summary = {
      metrics: orderMetrics({ sub_total: size }),
      failed_ids: [],
      running_ids: [],
      sub_unselected: jobsOf(rec),
      skipped: [{ path: [rec.id], reason: 'not selected for rerun', kind: 'not_selected' satisfies SkipKind }],
      jobs: emptyTally(),
    };
    this.finish(rec, JobResult.ABORTED, summary, 'skipped', 'not selected for rerun', JobResult.SUCCESS);
    return false;
  }

  /** Launcher: the scheduler accepted the child. */
  onHandle(rec: ChildRecord, handle: LaunchedChild): void {
    if (!rec.live) return;
    rec.live.handle = handle;
    handle.started.then(
      () => {
        if (rec.live) rec.live.processStarted = Date.now();
      },
      () => {},
    );
  }

  /** Launcher: the scheduler refused the child. */
  onRefused(rec: ChildRecord, error: Error): void {
    if (rec.state === JobState.COMPLETE) return;
    if (this.stopping) this.skip({ id: rec.id, baseId: rec.baseId, reason: RUN_STOPPED, specProblem: false }, undefined, 'stopped');
    else this.lose(rec, `could not be launched: ${error.message}`, false, true);
  }

  /** Launcher: the child's process ended. */
  onExit(rec: ChildRecord, exit: ChildExit): void {
    if (rec.state === JobState.COMPLETE) return;
    if (this.stopping && (exit.neverStarted || rec.state === JobState.LAUNCHED)) {
      this.skip({ id: rec.id, baseId: rec.baseId, reason: RUN_STOPPED, specProblem: false }, undefined, 'stopped');
      return;
    }
    // `complete` may still be in flight on the socket.
    const t = setTimeout(() => {
      if (rec.state === JobState.COMPLETE) return;
      this.lose(rec, describeExit(exit, this.ctx.children.dirOf(rec)));
    }, EXIT_GRACE_MS);
    t.unref?.();
  }

  // ------------------------------------------------------------ how children end

  /**
   * COMPLETE: fold the final summary, drop the live state, release dependants. `stoppedAt`:
   * when the child says its own work ended (its `complete`), kept between its start and now.
   */
  finish(rec: ChildRecord, result: JobResult, summary: Summary, end: ChildEnd, reason?: string, graphResult?: JobResult, stoppedAt?: number): void {
    if (rec.state === JobState.COMPLETE) return;
    const t = now();
    const wasLaunched = rec.state !== JobState.PENDING;
    if (wasLaunched) this.inFlight--;
    rec.state = JobState.COMPLETE;
    rec.result = result;
    rec.reason = reason;
    rec.metrics = summary.metrics;
    // A job's slot may go to the next job at its end, before this: its row must end where the job did.
    const stop = stoppedAt !== undefined && Number.isFinite(stoppedAt) ? Math.max(Math.min(stoppedAt, t), rec.started ?? -Infinity) : t;
    if (wasLaunched) {
      rec.updated = t;
      rec.stopped = stop;
    }
    const jobs = childTally(rec, summary, true);
    this.ctx.children.retire(rec);
    this.rollup.fold(summary);
    addTally(this.endedJobs, jobs);
    if (result === JobResult.FAILURE) {
      this.failedCount++;
      if (this.failedNames.length < FAILED_NAMES) this.failedNames.push(rec.id);
      // A failure none of its jobs accounts for (a sub-tier's budget or database) is still a failure here.
      if (jobs.failed + jobs.lost + jobs.stopped === 0) this.childProblems.push(`'${rec.id}' failed${reason ? `: ${reason}` : ''}`);
    }
    this.ctx.store.updateChild(rec.uidx, wasLaunched ? { updated: t, stopped: stop, result } : { result });
    this.ctx.store.setMetrics(rec.id, summary.metrics);
    this.graph.complete(rec.id, graphResult ?? result);
    this.ctx.childEvent(rec, end, reason);
    this.ctx.changed();
    if (rec.kind === 'tier') this.tierStarted(rec);
    if (!this.closed) this.schedule();
  }

  /** A child that will never run: counted as skipped, with every job under it. */
  skip(skip: SkipDecision, graphResult?: JobResult, kind: SkipKind = 'dependency'): void {
    const rec = this.ctx.children.get(skip.id);
    if (!rec || rec.state === JobState.COMPLETE) return;
    const size = rec.kind === 'tier' ? rec.expected + 1 : 1;
    // Skipped by the stop, or by a dependency (the graph decides nothing else).
    this.ctx.ends.skipped(rec.id, rec.live?.spec, this.stopping ? 'stopped' : 'dependency', skip.reason);
    const summary: Summary = {
      metrics: orderMetrics({ sub_total: size }),
      failed_ids: [],
      running_ids: [],
      sub_skipped: size,
      skipped: [{ path: [rec.id], reason: skip.reason, kind }],
      jobs: tallyOf('skipped', jobsOf(rec)),
    };
    this.finish(rec, JobResult.ABORTED, summary, 'skipped', skip.reason, graphResult);
  }

  /** Give up on a child (its process ended or went silent without completing): FAILURE, with what it last said. */
  lose(rec: ChildRecord, reason: string, stopProcess = false, launchFailed = false): void {
    if (rec.state === JobState.COMPLETE) return;
    const last = rec.live?.summary;
    const metrics: Metrics = last ? { ...last.metrics } : { sub_total: rec.kind === 'tier' ? rec.expected + 1 : 1 };
    const active = metrics.sub_active ?? 0;
    metrics.sub_failed = (metrics.sub_failed ?? 0) + Math.max(1, active);
    metrics.sub_active = 0;
    const failed_ids = [...(last?.failed_ids ?? []), ...(last?.running_ids ?? [])];
    if (!failed_ids.some((p) => p.length === 1 && p[0] === rec.id)) failed_ids.unshift([rec.id]);
    // One that could not be launched never ran: its jobs failed (kind `launch`), they were not lost.
    const failures: Failure[] = [
      { path: [rec.id], reason: `lost: ${reason}`, log: this.ctx.children.dirOf(rec), kind: launchFailed ? 'launch' : 'lost' },
      ...(last?.failures ?? []),
    ];
    const summary: Summary = {
      metrics: orderMetrics(metrics),
      failed_ids,
      running_ids: [],
      failures,
      sub_lost: (last?.sub_lost ?? 0) + 1,
      ...(last?.sub_skipped ? { sub_skipped: last.sub_skipped } : {}),
      ...(last?.stats ? { stats: last.stats } : {}),
      ...(last?.buckets ? { buckets: last.buckets } : {}),
      jobs: launchFailed ? tallyOf('failed', jobsOf(rec)) : lostTally(rec, last),
    };
    this.ctx.notice(launchFailed ? 'failed' : 'lost', `Child '${rec.id}' ${launchFailed ? 'could not be launched' : 'lost'}: ${reason}`, rec.id);
    if (launchFailed) this.ctx.ends.failedToLaunch(rec.id, rec.live?.spec, reason);
    else this.ctx.ends.lost(rec, rec.live, last, reason);
    if (stopProcess || rec.state === JobState.LAUNCHED || rec.state === JobState.STARTED) this.launcher.stop(rec.id);
    this.finish(rec, JobResult.FAILURE, summary, 'lost', reason);
  }

  // ------------------------------------------------------------ stop and roll-up

  /**
   * Stop: skip what has not been launched, ask every live child to stop, and
   * bound the wait (ask the scheduler after `graceMs`, give up 5 s later).
   */
  stop(graceMs: number): void {
    this.stopping = true;
    const skips = this.graph.abandon(RUN_STOPPED);
    if (skips.length > 0) this.ctx.notice('skipped', `Skipping ${skips.length} ${skips.length === 1 ? 'child' : 'children'} that had not been launched: ${RUN_STOPPED}`);
    for (const skip of skips) this.skip(skip, undefined, 'stopped');
    this.skipReady(RUN_STOPPED);
    for (const rec of [...this.ctx.children.live]) this.stopChild(rec);
    const escalate = setTimeout(() => {
      for (const rec of this.ctx.children.live) this.launcher.stop(rec.id);
      const giveUp = setTimeout(() => {
        for (const rec of [...this.ctx.children.live]) this.lose(rec, `did not finish within ${Math.round(graceMs / 1000) + 5}s of the stop`);
      }, 5_000);
      giveUp.unref?.();
      this.timers.push(giveUp);
    }, graceMs);
    escalate.unref?.();
    this.timers.push(escalate);
    this.ctx.checkDone();
  }

  /** A registered child is told over its connection; one that has not registered is stopped by the scheduler. */
  private stopChild(rec: ChildRecord): void {
    if (!rec.live) return;
    const connection = this.ctx.children.reachable(rec);
    if (connection) connection.post('stop', {});
    else if (rec.state === JobState.LAUNCHED || rec.state === JobState.STARTED) this.launcher.stop(rec.id);
  }

  /** The tier's summary now: its own metrics, every folded child and the live ones' last summaries. */
  compose(own: Metrics, ownFailure?: { reason: string; log?: string }): Summary {
    const live: LiveContribution[] = [];
    const jobs = { ...this.endedJobs };
    for (const rec of this.ctx.children.live) {
      const summary = rec.live?.summary;
      if (summary) live.push({ summary, started: rec.started });
      // Not heard from yet: pending, by its expected jobs.
      addTally(jobs, childTally(rec, summary, false));
    }
    const summary = this.rollup.compose(own, live, ownFailure);
    summary.jobs = jobs;
    return summary;
  }

  /** The tier is finishing: no more launches; wait (up to `ms`) for exits the scheduler has yet to report. */
  async close(ms: number): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.headStarter) clearTimeout(this.headStarter.timer);
    this.headStarter = undefined;
    // Children exit right after `complete`; give the scheduler a moment to see it.
    await this.launcher.settle(ms);
  }
}

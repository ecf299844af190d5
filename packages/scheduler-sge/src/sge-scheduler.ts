/**
 * The Grid Engine scheduler: each child is a job (`qsub`), the state of all of
 * this instance's jobs is read by one `qstat -xml` per poll, exit statuses
 * come from accounting once a job has left qstat, and stopping is `qdel`
 * (soft first: jobs are submitted with `-notify`). Nested tiers run as local
 * processes by default (`tiers=local`) or as 1-slot jobs (`tiers=sge`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ArrayBatcher,
  ChildHandle,
  CommandLimiter,
  JobIdQueue,
  PollLoop,
  SchedulerError,
  abandonAtExit,
  inChunks,
  listenHostFor,
  parseLaunchRequest,
  releaseAtExit,
  resolveAdvertiseHost,
  runCommand,
  runWithRetries,
  settlesWithin,
  startLocalTier,
  type ChildExit,
  type CommandResult,
  type LaunchOptions,
  type LaunchRequest,
  type LaunchedChild,
  type ProcessGroup,
  type Scheduler,
  type SchedulerCapabilities,
  type SchedulerContext,
} from '@gator/protocol';
import { AccountingFile, childExitOf, defaultAccountingFile } from './accounting.js';
import { maxSlots, probeCluster, type ClusterInfo } from './cluster.js';
import {
  ARRAY_SCRIPT,
  CHILD_SCRIPT,
  ENV_FILE,
  OUTPUT_FILE,
  arrayScript,
  arraySubmitArgs,
  childScript,
  envFile,
  jobEnvironment,
  labelOf,
  singleSubmitArgs,
  slotsOf,
  type ArrayTask,
} from './job-script.js';
import { SCHEDULER_NAME, parseSgeOptions, type SgeOptions } from './options.js';
import { QueueSnapshot, parseQstatXml } from './qstat.js';
import {
  commandFailure,
  isTransientFailure,
  parseErrorReasons,
  parseQacct,
  parseQdel,
  parseQsubJobId,
  type AcctRecord,
} from './sge-cli.js';

type Level = 'debug' | 'info' | 'warning' | 'error';

/** At most this many Grid Engine commands of one instance run at once. */
const MAX_CONCURRENT_COMMANDS = 4;
/** Job ids per qdel / qstat -j call (argv stays small). */
const IDS_PER_CALL = 500;
/** Longest pause between polls while the qmaster does not answer. */
const MAX_BACKOFF_MS = 30_000;
/** Submission attempts when the qmaster cannot be reached. */
const QSUB_ATTEMPTS = 4;
/** A stopped job that never showed as running and left qstat without a record: polls before it counts as never started. */
const STOPPED_MISSING_POLLS = 2;
/** After a soft qdel, how long (beyond the grace period) before `qdel -f`. */
const FORCE_AFTER_MS = 15_000;

/** Commands this instance ran, and polls: what the scheduler costs the qmaster. */
export interface SgeCounters {
  polls: number;
  qsub: number;
  qstat: number;
  qdel: number;
  qacct: number;
}

interface ChildRecord {
  readonly id: string;
  readonly label: string;
  readonly request: LaunchRequest;
  phase: 'batching' | 'submitting' | 'queued' | 'running' | 'exited';
  /** `94`, or `95.3` for task 3 of array job 95, once qsub answered. */
  handle?: string;
  /** A nested tier under `tiers=local`: a process on this machine, leader of its own group. */
  local?: ProcessGroup;
  stopRequested: boolean;
  qdelSent: boolean;
  forceTimer?: NodeJS.Timeout;
  /** An error state (`Eqw`) was seen and is being reported. */
  errorSeen: boolean;
  /** First successful poll that no longer listed the job. */
  missingSince?: number;
  missingPolls: number;
  readonly child: ChildHandle;
}

export { resolveAdvertiseHost };

function removeFile(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* best effort: the directory may be gone */
  }
}

export class SgeScheduler implements Scheduler {
  readonly name = SCHEDULER_NAME;
  readonly capabilities: SchedulerCapabilities = { cores: 'stable', memory: 'stable', licenses: 'stable', remote: true };
  /** The host name or address children must connect to: the tier advertises it (`advertiseHost`). */
  readonly advertiseHost: string;
  /** Where the tier should listen: loopback when it advertises loopback, else every interface. */
  readonly listenHost: string;
  readonly options: SgeOptions;
  readonly cluster: ClusterInfo;
  readonly counters: SgeCounters = { polls: 0, qsub: 0, qstat: 0, qdel: 0, qacct: 0 };

  private readonly onEvent: SchedulerContext['onEvent'];
  private readonly children = new Map<string, ChildRecord>();
  private readonly byHandle = new Map<string, ChildRecord>();
  private readonly batcher = new ArrayBatcher<ChildRecord>((records, label) => this.flushBatch(records, label));
  private readonly submissions = new Set<Promise<void>>();
  private readonly limiter = new CommandLimiter(MAX_CONCURRENT_COMMANDS);
  private readonly accountingFile: AccountingFile | undefined;
  /** Accounting records of this instance's jobs, read but not yet used. */
  private readonly records = new Map<string, AcctRecord>();
  /** qdel calls: `soft` (running jobs get the -notify signal first) and `force` (`qdel -f`). */
  private readonly qdels = new JobIdQueue({
    kinds: ['soft', 'force'] as const,
    idsPerCall: IDS_PER_CALL,
    send: (kind, handles) => this.qdel(handles, kind === 'force'),
    afterFlush: () => this.poller.schedule(),
  });
  private readonly poller = new PollLoop({
    poll: () => this.poll(),
    active: () => this.activeJobs().length > 0,
    // While the qmaster does not answer, wait longer each time (never longer than MAX_BACKOFF_MS).
    delayMs: () => Math.min(MAX_BACKOFF_MS, this.options.pollMs * 2 ** Math.min(this.pollFailures, 10)),
  });
  private pollFailures = 0;
  private closing: Promise<void> | undefined;

  constructor(context: SchedulerContext, options: SgeOptions, cluster: ClusterInfo) {
    this.onEvent = context.onEvent;
    this.options = options;
    this.cluster = cluster;
    this.advertiseHost = resolveAdvertiseHost(options.host);
    this.listenHost = listenHostFor(this.advertiseHost);
    const file = options.accounting === 'qacct' ? undefined : (options.accounting ?? defaultAccountingFile());
    if (AccountingFile.usable(file)) this.accountingFile = new AccountingFile(file);
    if (options.ignored.length > 0) this.emit('debug', `Grid Engine scheduler ignores option(s) ${options.ignored.join(', ')}`);
    this.emit(
      'debug',
      `Grid Engine scheduler: queue ${options.queue ?? '(any)'}, ${cluster.queues.length} queue instance(s), ` +
        `PE ${cluster.pe ? `${cluster.pe.name} (${cluster.pe.slots} slots)` : 'none'}, tiers=${options.tiers}, ` +
        `exit statuses from ${this.accountingFile ? this.accountingFile.file : 'qacct'}, children connect to ${this.advertiseHost}`,
    );
  }

  check(request: Pick<LaunchRequest, 'id' | 'path' | 'kind' | 'resources'>): string | undefined {
    if (request.kind === 'tier') return undefined;
    const label = labelOf(request);
    const r = request.resources ?? { cores: 0, memoryMb: 0, licenses: {} };
    const problems: string[] = [];
    const slots = slotsOf({ kind: request.kind, resources: { cores: r.cores ?? 0, memoryMb: 0, licenses: {} } });
    const queueSlots = Math.max(0, ...this.cluster.queues.map((q) => q.slots));
    if (slots > 1 && !this.cluster.pe) {
      problems.push(
        `asks for ${slots} cores but the cluster has no parallel environment ${this.options.pe} ` +
          `(parallel environments: ${this.cluster.pes.join(', ') || 'none'}; choose one with --sched-arg pe=NAME)`,
      );
    } else if (slots > maxSlots(this.cluster)) {
      const where =
        this.cluster.pe && this.cluster.pe.slots < queueSlots
          ? `parallel environment ${this.cluster.pe.name} has ${this.cluster.pe.slots} slots`
          : `the largest queue instance${this.options.queue ? ` of ${this.options.queue}` : ''} has ${queueSlots} slots`;
      problems.push(`asks for ${slots} cores but ${where}`);
    }
    const mem = Math.ceil(r.memoryMb ?? 0);
    if (mem > 0) {
      const complex = this.cluster.complexes.get(this.options.memResource);
      if (!complex || !complex.requestable) {
        problems.push(
          `asks for memory but the cluster has no requestable complex ${this.options.memResource} ` +
            '(choose the complex with --sched-arg mem_resource=NAME)',
        );
      } else if (this.cluster.maxMemMb > 0 && mem > this.cluster.maxMemMb) {
        problems.push(`asks for ${mem} MB of memory but the largest host has ${Math.floor(this.cluster.maxMemMb)} MB`);
      }
    }
    for (const [name, count] of Object.entries(r.licenses ?? {})) {
      const license = this.cluster.licenses.get(name);
      if (!license) {
        const have = [...new Set([...this.cluster.licenses.values()].map((l) => (l.seats === undefined ? l.name : `${l.name}:${l.seats}`)))];
        const complex = this.cluster.complexes.get(name);
        problems.push(
          complex
            ? `asks for license ${name}, but the cluster's complex ${complex.name} is not a requestable consumable (qconf -sc: requestable ${complex.requestable ? 'YES' : 'NO'}, consumable ${complex.consumable})`
            : `asks for license ${name}, which the cluster does not define as a consumable complex (consumables: ${have.join(', ') || 'none'})`,
        );
        continue;
      }
      const booked = license.perSlot ? Math.ceil(count / slots) * slots : count;
      if (license.seats !== undefined && booked > license.seats) {
        problems.push(`asks for ${count} ${name} licenses but the cluster has ${license.seats}`);
      }
    }
    return problems.length > 0 ? `job ${label} ${problems.join('; ')}` : undefined;
  }

  async launch(input: LaunchRequest, options: LaunchOptions = {}): Promise<LaunchedChild> {
    const request = parseLaunchRequest(SCHEDULER_NAME, input);
    const label = labelOf(request);
    if (this.closing) {
      throw new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, `Cannot launch '${label}': the scheduler is closed.`);
    }
    const existing = this.children.get(request.id);
    if (existing && existing.phase !== 'exited') {
      throw new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, `'${label}' is already queued or running (id ${request.id}).`);
    }
    const problem = this.check(request);
    if (problem !== undefined) {
      throw new SchedulerError('GATOR_SCHEDULER_RESOURCES', SCHEDULER_NAME, problem, {
        hint: "Lower the job's resources, or choose other queues with --sched-arg queue=NAME.",
      });
    }

    const record: ChildRecord = {
      id: request.id,
      label,
      request,
      phase: 'submitting',
      stopRequested: false,
      qdelSent: false,
      errorSeen: false,
      missingPolls: 0,
      child: new ChildHandle(SCHEDULER_NAME, request),
    };
    this.children.set(request.id, record);
    abandonAtExit(this);

    if (request.kind === 'tier' && this.options.tiers === 'local') this.startLocal(record);
    else if (request.array && this.options.arrays) {
      record.phase = 'batching';
      this.batcher.add(record);
    } else this.submit([record]);

    record.child.stopOnAbort(options.signal, () => void this.stop(request.id));
    return record.child;
  }

  async stop(id: string): Promise<void> {
    const record = this.children.get(id);
    if (!record || record.phase === 'exited') return;
    record.stopRequested = true;
    switch (record.phase) {
      case 'batching':
        this.batcher.remove(record);
        this.finish(record, { code: null, signal: null, neverStarted: true, reason: 'stopped before it was submitted' });
        break;
      case 'submitting':
        // Deleted as soon as qsub answers (see submitNow); a local tier is signalled once spawned.
        if (record.local) record.local.terminate();
        break;
      case 'queued':
      case 'running':
        if (record.local) record.local.terminate();
        else this.delete(record);
        break;
    }
    await record.child.exited;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const all = [...this.children.values()];
      // A local tier's group is swept after its exit: nothing of it may outlive close().
      const stopping = Promise.all(all.map((r) => this.stop(r.id).then(() => r.local?.gone)));
      // Bounded: a qmaster that stopped answering must not hang the run for ever.
      const limitMs = this.options.graceMs + FORCE_AFTER_MS + 60_000;
      const timedOut = !(await settlesWithin(stopping, limitMs));
      await Promise.allSettled([...this.submissions]);
      if (timedOut) {
        for (const r of this.children.values()) {
          if (r.phase === 'exited') continue;
          if (r.handle) this.qdels.add('force', r.handle);
          this.finish(r, { code: null, signal: null, reason: `lost: Grid Engine still listed job ${r.handle ?? '?'} when the scheduler closed` });
        }
      }
      await this.qdels.settled;
      await this.poller.stop();
      releaseAtExit(this);
    })();
    return this.closing;
  }

  /** Synchronous last resort at process exit: delete every job still queued or running. */
  abandon(): void {
    const handles: string[] = [];
    for (const r of this.children.values()) {
      if (r.phase === 'exited') continue;
      r.stopRequested = true;
      if (r.local) r.local.kill();
      else if (r.handle) {
        r.qdelSent = true;
        handles.push(r.handle);
      }
      if (!r.local) removeFile(path.join(r.request.tracking, ENV_FILE));
    }
    for (const chunk of inChunks(handles, IDS_PER_CALL)) spawnSync('qdel', [chunk.join(',')], { stdio: 'ignore', timeout: 10_000 });
  }

  // ------------------------------------------------------------------ launching

  private startLocal(record: ChildRecord): void {
    record.phase = 'queued';
    const local = startLocalTier(record.request, this.options.graceMs, {
      onStart: () => this.markStarted(record),
      onExit: (exit) => this.finish(record, exit),
    });
    if (!local) return;
    record.local = local;
    record.child.handle = String(local.pid);
    this.emit('debug', `Started tier '${record.label}' locally (pid ${local.pid})`);
  }

  /** The children of one array, launched together: one array job per MaxArrayTasks. */
  private flushBatch(records: ChildRecord[], label: string): void {
    for (const r of records) r.phase = 'submitting';
    if (records.length === 1) {
      this.submit(records);
      return;
    }
    // Task ids are positions in the batch (Grid Engine's -t takes one range, from 1).
    for (let at = 0; at < records.length; at += this.cluster.maxArrayTasks) {
      this.submit(records.slice(at, at + this.cluster.maxArrayTasks), label);
    }
  }

  /** Submit one child, or `records` as one array job named after `arrayLabel`. */
  private submit(records: ChildRecord[], arrayLabel?: string): void {
    const work = this.submitNow(records, arrayLabel).catch((error: unknown) => {
      for (const r of records) {
        this.finish(r, { code: null, signal: null, neverStarted: true, reason: `submission failed: ${(error as Error).message}` });
      }
    });
    this.submissions.add(work);
    void work.finally(() => this.submissions.delete(work));
  }

  private writeChildFiles(record: ChildRecord): void {
    const { request } = record;
    const envPath = path.join(request.tracking, ENV_FILE);
    // The mode only applies to a new file: never reuse one with other permissions.
    removeFile(envPath);
    fs.writeFileSync(envPath, envFile(jobEnvironment(request.env)), { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(path.join(request.tracking, CHILD_SCRIPT), childScript(request, this.options.graceMs), { mode: 0o700 });
    fs.closeSync(fs.openSync(path.join(request.tracking, OUTPUT_FILE), 'a', 0o600));
  }

  private async submitNow(records: ChildRecord[], arrayLabel?: string): Promise<void> {
    for (const r of records) r.phase = 'submitting';
    const first = records[0]!;
    const isArray = arrayLabel !== undefined;
    let args: string[];
    try {
      for (const r of records) this.writeChildFiles(r);
      if (isArray) {
        const tasks: ArrayTask[] = records.map((r, i) => ({ taskId: i + 1, tracking: r.request.tracking }));
        fs.writeFileSync(path.join(first.request.tracking, ARRAY_SCRIPT), arrayScript(arrayLabel, tasks), { mode: 0o700 });
        args = arraySubmitArgs(first.request, arrayLabel, records.length, this.options, this.cluster);
      } else {
        args = singleSubmitArgs(first.request, this.options, this.cluster);
      }
    } catch (error) {
      for (const r of records) {
        this.finish(r, {
          code: null,
          signal: null,
          neverStarted: true,
          reason: `cannot write the job script in ${r.request.tracking}: ${(error as Error).message}`,
        });
      }
      return;
    }

    const result = await runWithRetries(() => this.command('qsub', args), {
      attempts: QSUB_ATTEMPTS,
      // Only a request that never reached the qmaster is sent again: a second qsub could run the child twice.
      transient: (failed) => isTransientFailure(failed, false),
      onRetry: (failed) => this.emit('debug', `qsub for '${arrayLabel ?? first.label}' failed (${commandFailure('qsub', failed)}), retrying`),
    });
    const jobId = result.code === 0 ? parseQsubJobId(result.stdout) : undefined;
    if (jobId === undefined) {
      const reason = `qsub failed: ${result.code === 0 ? `no job id in its output: ${result.stdout.trim()}` : commandFailure('qsub', result)}`;
      this.emit('warning', `Cannot submit '${arrayLabel ?? first.label}': ${reason}`);
      for (const r of records) this.finish(r, { code: null, signal: null, neverStarted: true, reason });
      return;
    }
    records.forEach((r, i) => {
      r.handle = isArray ? `${jobId}.${i + 1}` : jobId;
      r.child.handle = r.handle;
      this.byHandle.set(r.handle, r);
      // (A forced finish at close may have happened while qsub ran.)
      if ((r.phase as ChildRecord['phase']) !== 'exited') r.phase = 'queued';
    });
    this.emit(
      'debug',
      isArray
        ? `Submitted ${records.length} children of '${arrayLabel}' as Grid Engine array job ${jobId} (tasks 1-${records.length})`
        : `Submitted '${first.label}' as Grid Engine job ${jobId}`,
    );
    for (const r of records) if (r.stopRequested && r.phase === 'queued') this.delete(r);
    this.poller.schedule();
  }

  // ------------------------------------------------------------------ stopping

  /**
   * qdel: a pending job is deleted at once; a running one gets the -notify
   * signal (its script turns it into SIGTERM for the child) and is killed
   * after the queue's notify time. `qdel -f` follows if it is still listed
   * long after that.
   */
  private delete(record: ChildRecord): void {
    if (record.qdelSent || !record.handle) return;
    record.qdelSent = true;
    this.qdels.add('soft', record.handle);
    record.forceTimer = setTimeout(() => {
      if (record.phase !== 'exited' && record.handle) {
        this.emit('debug', `Grid Engine job ${record.handle} ('${record.label}') is still listed after qdel; forcing it (qdel -f)`);
        this.qdels.add('force', record.handle);
      }
    }, this.options.graceMs + FORCE_AFTER_MS);
  }

  private async qdel(handles: string[], force: boolean, attempt = 0): Promise<void> {
    const result = await this.command('qdel', [...(force ? ['-f'] : []), handles.join(',')]);
    if (result.code !== 0 && isTransientFailure(result)) {
      // The qmaster is restarting: the jobs must still go, so try again with backoff.
      this.emit('debug', `qdel ${handles.join(',')} failed (${commandFailure('qdel', result)}), retrying`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt)));
      if (!this.closing || attempt < 10) await this.qdel(handles, force, attempt + 1);
      return;
    }
    const answer = parseQdel(`${result.stdout}\n${result.stderr}`);
    for (const handle of handles) {
      const record = this.byHandle.get(handle);
      if (!record || record.phase === 'exited') continue;
      if (answer.deletedPending.has(handle)) {
        // Deleted while pending: it never ran, and accounting will have no record of it.
        this.finish(record, { code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
      }
    }
    if (result.code !== 0 && answer.unknown.size === 0 && answer.registered.size === 0 && answer.deletedPending.size === 0) {
      this.emit('debug', `qdel ${handles.join(',')}: ${commandFailure('qdel', result)}`);
    }
  }

  // ------------------------------------------------------------------ polling

  private activeJobs(): ChildRecord[] {
    return [...this.children.values()].filter((r) => r.handle !== undefined && (r.phase === 'queued' || r.phase === 'running'));
  }

  private async poll(): Promise<void> {
    const active = this.activeJobs();
    if (active.length === 0) return;
    this.counters.polls++;
    // One qstat for every job of this instance (the user's own jobs; -u is not needed).
    const result = await this.command('qstat', ['-xml']);
    let snapshot: QueueSnapshot | undefined;
    if (result.code === 0) {
      try {
        snapshot = new QueueSnapshot(parseQstatXml(result.stdout));
      } catch (error) {
        result.stderr = `unreadable output: ${(error as Error).message}`;
      }
    }
    if (!snapshot) {
      this.pollFailures++;
      // A failed poll says nothing about the jobs: they are neither lost nor failed. Say it
      // once, then about every few minutes; the qmaster may be restarting.
      if (this.pollFailures === 1 || this.pollFailures % 10 === 0) {
        this.emit('warning', `qstat failed (${commandFailure('qstat', result)}); retrying with backoff`);
      }
      return;
    }
    if (this.pollFailures > 0) this.emit('info', `qstat answers again after ${this.pollFailures} failed poll(s)`);
    this.pollFailures = 0;
    const now = Date.now();
    const missing: ChildRecord[] = [];
    const inError: ChildRecord[] = [];
    for (const record of active) {
      if (record.phase === 'exited') continue;
      const entry = snapshot.find(record.handle!);
      if (entry) {
        record.missingSince = undefined;
        record.missingPolls = 0;
        if (entry.started) this.markStarted(record);
        if (entry.error && !record.errorSeen) {
          record.errorSeen = true;
          inError.push(record);
        }
      } else {
        record.missingSince ??= now;
        record.missingPolls++;
        missing.push(record);
      }
    }
    if (inError.length > 0) await this.reportErrors(inError);
    if (missing.length > 0) await this.resolveFromAccounting(missing, now);
  }

  /** Jobs in an error state (`Eqw`): they would wait for ever. Report the engine's reason, delete them. */
  private async reportErrors(records: ChildRecord[]): Promise<void> {
    const jobs = [...new Set(records.map((r) => r.handle!.split('.')[0]!))];
    const reasons = new Map<string, Map<number, string>>();
    for (let at = 0; at < jobs.length; at += IDS_PER_CALL) {
      const result = await this.command('qstat', ['-j', jobs.slice(at, at + IDS_PER_CALL).join(',')]);
      for (const [job, tasks] of parseErrorReasons(result.stdout)) reasons.set(job, tasks);
    }
    for (const record of records) {
      const [job, task] = record.handle!.split('.');
      const tasks = reasons.get(job!);
      const reason = tasks?.get(Number(task ?? 1)) ?? tasks?.values().next().value ?? 'Grid Engine gave no reason (see qstat -j)';
      this.emit('warning', `Grid Engine job ${record.handle} ('${record.label}') is in error state Eqw: ${reason}; deleting it`);
      record.qdelSent = true;
      this.qdels.add('soft', record.handle!);
      this.finish(record, { code: null, signal: null, neverStarted: true, reason: `Eqw: ${reason}` });
    }
  }

  /** Jobs qstat no longer lists have ended: accounting says how (or, much later, they are lost). */
  private async resolveFromAccounting(records: ChildRecord[], now: number): Promise<void> {
    if (this.accountingFile) {
      for (const rec of this.accountingFile.read()) {
        if (this.byHandle.has(rec.key)) this.records.set(rec.key, rec);
      }
    } else {
      const jobs = [...new Set(records.filter((r) => !this.records.has(r.handle!)).map((r) => r.handle!.split('.')[0]!))];
      await Promise.all(
        jobs.map(async (job) => {
          const result = await this.command('qacct', ['-j', job]);
          if (result.code !== 0) return;
          for (const [key, rec] of parseQacct(result.stdout)) if (this.byHandle.has(key)) this.records.set(key, rec);
        }),
      );
    }
    for (const record of records) {
      if (record.phase === 'exited') continue;
      const rec = this.records.get(record.handle!);
      if (rec) {
        this.records.delete(record.handle!);
        if (rec.startTime > 0) this.markStarted(record);
        this.finish(record, childExitOf(rec, { stopRequested: record.stopRequested }));
      } else if (record.stopRequested && record.phase === 'queued' && record.missingPolls >= STOPPED_MISSING_POLLS) {
        // Deleted before it ever showed as running, and no record: it never ran.
        this.finish(record, { code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
      } else if (now - record.missingSince! >= this.options.lostAfterMs) {
        this.finish(record, {
          code: null,
          signal: null,
          neverStarted: record.phase === 'queued',
          reason: `lost: Grid Engine no longer lists job ${record.handle} and accounting has no record of it`,
        });
      }
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  private async command(name: 'qsub' | 'qstat' | 'qdel' | 'qacct', args: string[]): Promise<CommandResult> {
    this.counters[name]++;
    return this.limiter.run(() => runCommand(name, args));
  }

  private markStarted(record: ChildRecord): void {
    if (record.phase === 'exited' || record.phase === 'running') return;
    record.phase = 'running';
    record.child.markStarted();
    if (record.handle) this.emit('debug', `Grid Engine job ${record.handle} ('${record.label}') is running`);
  }

  private finish(record: ChildRecord, exit: ChildExit): void {
    if (record.phase === 'exited') return;
    record.phase = 'exited';
    if (record.forceTimer) clearTimeout(record.forceTimer);
    if (record.handle) {
      this.byHandle.delete(record.handle);
      this.records.delete(record.handle);
    }
    // A job that never ran did not delete its environment file.
    if (!record.local) removeFile(path.join(record.request.tracking, ENV_FILE));
    const how = exit.reason ?? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`);
    this.emit('debug', `'${record.label}'${record.handle ? ` (Grid Engine job ${record.handle})` : ''} ended: ${how}`);
    record.child.markExited(exit);
  }

  private emit(level: Level, message: string): void {
    try {
      this.onEvent?.({ level, message });
    } catch {
      /* a faulty sink must not break scheduling */
    }
  }
}

/** Create a Grid Engine scheduler: parses the options and asks the cluster about its queues, PE and complexes. */
export async function createSgeScheduler(context: SchedulerContext): Promise<SgeScheduler> {
  const options = parseSgeOptions(context.options ?? {});
  const cluster = await probeCluster(options);
  return new SgeScheduler(context, options, cluster);
}

/**
 * The Slurm scheduler: each child is a batch job (`sbatch`), its state is read
 * by one `squeue` call per poll interval for all of this instance's jobs, and
 * stopping is `scancel`. Nested tiers run as local processes by default
 * (`tiers=local`) or as 1-CPU jobs (`tiers=slurm`).
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
  type LaunchOptions,
  type LaunchRequest,
  type LaunchedChild,
  type ProcessGroup,
  type Scheduler,
  type SchedulerCapabilities,
  type SchedulerContext,
} from '@gator/protocol';
import {
  ARRAY_SCRIPT,
  CHILD_SCRIPT,
  arrayScript,
  arraySubmitArgs,
  childScript,
  labelOf,
  singleSubmitArgs,
  submitEnv,
  type ArrayTask,
} from './batch-script.js';
import { childExitOf } from './job-end.js';
import { SCHEDULER_NAME, clusterError, parseSlurmOptions, type SlurmOptions } from './options.js';
import {
  SQUEUE_FORMAT,
  STARTED_STATES,
  TERMINAL_STATES,
  arrayRanges,
  commandFailure,
  configValue,
  exitFromExitCode,
  exitFromStatus,
  isHopelessReason,
  isTransientFailure,
  parseLicenses,
  parsePartitions,
  parseSacct,
  parseSbatchJobId,
  parseSqueue,
  type PartitionInfo,
  type QueueEntry,
} from './slurm-cli.js';

type Level = 'debug' | 'info' | 'warning' | 'error';

/** At most this many Slurm commands of one instance run at once. */
const MAX_CONCURRENT_COMMANDS = 4;
/** sbatch attempts while the controller cannot be reached. */
const SBATCH_ATTEMPTS = 4;
/** Job ids per squeue/scancel/sacct call. */
const IDS_PER_CALL = 2000;
/** Polls a job may be missing from squeue before sacct is asked, and before it is declared lost. */
const MISSING_POLLS_BEFORE_SACCT = 2;
const MISSING_POLLS_BEFORE_LOST = 5;

/** What the scheduler learned about the cluster when it was created. */
export interface ClusterInfo {
  /** The partition jobs go to (the option, else the cluster's default); undefined when unknown. */
  partition: PartitionInfo | undefined;
  /** License name → total seats; undefined when `scontrol show licenses` failed. */
  licenses: Record<string, number> | undefined;
  /** Largest array task id + 1 (MaxArraySize). */
  maxArraySize: number;
}

interface ChildRecord {
  readonly id: string;
  readonly label: string;
  readonly request: LaunchRequest;
  phase: 'batching' | 'submitting' | 'queued' | 'running' | 'exited';
  /** `123` or `123_4` once sbatch answered. */
  jobId?: string;
  /** A nested tier under `tiers=local`: a process on this machine, leader of its own group. */
  local?: ProcessGroup;
  stopRequested: boolean;
  /** Set when Slurm says the job can never start (e.g. `PartitionConfig`): it is cancelled. */
  hopeless?: string;
  termSentAt?: number;
  escalateTimer?: NodeJS.Timeout;
  missingPolls: number;
  readonly child: ChildHandle;
}

export { resolveAdvertiseHost };

export class SlurmScheduler implements Scheduler {
  readonly name = SCHEDULER_NAME;
  readonly capabilities: SchedulerCapabilities = { cores: 'stable', memory: 'stable', licenses: 'stable', remote: true };
  /** The host name or address children must connect to: the tier advertises it (`advertiseHost`). */
  readonly advertiseHost: string;
  /** Where the tier should listen: loopback when it advertises loopback, else every interface. */
  readonly listenHost: string;
  readonly options: SlurmOptions;
  readonly cluster: ClusterInfo;

  private readonly onEvent: SchedulerContext['onEvent'];
  private readonly children = new Map<string, ChildRecord>();
  private readonly batcher = new ArrayBatcher<ChildRecord>((records, label) => this.flushBatch(records, label));
  private readonly submissions = new Set<Promise<void>>();
  private readonly limiter = new CommandLimiter(MAX_CONCURRENT_COMMANDS);
  /** scancel calls: `signal` (SIGTERM to a running job's processes) and `cancel`. */
  private readonly scancels = new JobIdQueue({
    kinds: ['signal', 'cancel'] as const,
    idsPerCall: IDS_PER_CALL,
    // --full: the whole batch step's process group, not only the batch shell.
    send: (kind, ids) => this.scancel(kind === 'signal' ? ['--full', '--signal=TERM', ...ids] : ids),
    afterFlush: () => this.poller.schedule(),
  });
  private readonly poller = new PollLoop({
    poll: () => this.poll(),
    active: () => this.activeJobs().length > 0,
    delayMs: () => this.options.pollMs,
  });
  private pollFailures = 0;
  private closing: Promise<void> | undefined;

  constructor(context: SchedulerContext, options: SlurmOptions, cluster: ClusterInfo) {
    this.onEvent = context.onEvent;
    this.options = options;
    this.cluster = cluster;
    this.advertiseHost = resolveAdvertiseHost(options.host);
    this.listenHost = listenHostFor(this.advertiseHost);
    if (options.ignored.length > 0) this.emit('debug', `Slurm scheduler ignores option(s) ${options.ignored.join(', ')}`);
    this.emit(
      'debug',
      `Slurm scheduler: partition ${cluster.partition?.name ?? '(cluster default)'}, tiers=${options.tiers}, ` +
        `children connect to ${this.advertiseHost}`,
    );
  }

  check(request: Pick<LaunchRequest, 'id' | 'path' | 'kind' | 'resources'>): string | undefined {
    if (request.kind === 'tier') return undefined;
    const label = labelOf(request);
    const r = request.resources ?? { cores: 0, memoryMb: 0, licenses: {} };
    const problems: string[] = [];
    const part = this.cluster.partition;
    const cpus = Math.max(1, Math.ceil(r.cores ?? 0));
    if (part && part.maxCpus > 0 && cpus > part.maxCpus) {
      problems.push(`asks for ${cpus} cores but the largest node of partition ${part.name} has ${part.maxCpus} CPUs`);
    }
    const mem = Math.ceil(r.memoryMb ?? 0);
    if (part && part.maxMemMb > 0 && mem > part.maxMemMb) {
      problems.push(`asks for ${mem} MB of memory but the largest node of partition ${part.name} has ${part.maxMemMb} MB`);
    }
    const known = this.cluster.licenses;
    if (known) {
      for (const [name, count] of Object.entries(r.licenses ?? {})) {
        const total = known[name];
        if (total === undefined) {
          const have = Object.entries(known).map(([n, t]) => `${n}:${t}`).join(', ') || 'none';
          problems.push(`asks for license ${name}, which the cluster does not have (licenses: ${have})`);
        } else if (count > total) {
          problems.push(`asks for ${count} ${name} licenses but the cluster has ${total}`);
        }
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
        hint: 'Lower the job\'s resources, or choose another partition with --sched-arg partition=NAME.',
      });
    }

    const record: ChildRecord = {
      id: request.id,
      label,
      request,
      phase: 'submitting',
      stopRequested: false,
      missingPolls: 0,
      child: new ChildHandle(SCHEDULER_NAME, request),
    };
    this.children.set(request.id, record);
    abandonAtExit(this);

    if (request.kind === 'tier' && this.options.tiers === 'local') this.startLocal(record);
    else if (request.array && this.options.arrays) {
      record.phase = 'batching';
      this.batcher.add(record);
    }
    else this.submit([record]);

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
        // Cancelled as soon as sbatch answers (see submit); a local tier is signalled once spawned.
        if (record.local) record.local.terminate();
        break;
      case 'queued':
        // A local tier has no job id (nor a group yet, when its spawn is failing).
        if (record.jobId) this.cancel(record.jobId);
        else record.local?.terminate();
        break;
      case 'running':
        if (record.local) record.local.terminate();
        else this.terminate(record);
        break;
    }
    await record.child.exited;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const all = [...this.children.values()];
      // A local tier's group is swept after its exit: nothing of it may outlive close().
      const stopping = Promise.all(all.map((r) => this.stop(r.id).then(() => r.local?.gone)));
      // Bounded: a controller that stopped answering must not hang the run for ever.
      const limitMs = this.options.graceMs + 60_000;
      const timedOut = !(await settlesWithin(stopping, limitMs));
      await Promise.allSettled([...this.submissions]);
      if (timedOut) {
        for (const r of this.children.values()) {
          if (r.phase === 'exited') continue;
          if (r.jobId) this.cancel(r.jobId);
          this.finish(r, { code: null, signal: null, reason: `lost: Slurm still listed job ${r.jobId ?? '?'} when the scheduler closed` });
        }
      }
      await this.scancels.settled;
      await this.poller.stop();
      releaseAtExit(this);
    })();
    return this.closing;
  }

  /** Synchronous last resort at process exit: cancel every job still queued or running. */
  abandon(): void {
    const ids: string[] = [];
    for (const r of this.children.values()) {
      if (r.phase === 'exited') continue;
      if (r.local) r.local.kill();
      else if (r.jobId) ids.push(r.jobId);
    }
    for (const chunk of inChunks(ids, IDS_PER_CALL)) spawnSync('scancel', chunk, { stdio: 'ignore', timeout: 10_000 });
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

  /** The children of one array, launched together: one job array where Slurm can take it. */
  private flushBatch(records: ChildRecord[], label: string): void {
    for (const r of records) r.phase = 'submitting';
    if (records.length === 1) {
      this.submit(records);
      return;
    }
    const indices = records.map((r) => r.request.array!.index);
    const byIndex = new Set(indices).size === indices.length && indices.every((i) => i < this.cluster.maxArraySize);
    if (byIndex) {
      this.submit(records, label, indices);
      return;
    }
    // Task ids are then positions in the batch, at most MaxArraySize per array.
    for (let at = 0; at < records.length; at += this.cluster.maxArraySize) {
      const chunk = records.slice(at, at + this.cluster.maxArraySize);
      this.submit(chunk, label, chunk.map((_, i) => i));
    }
  }

  /** Submit one child, or an array of `records` with task ids `taskIds`. */
  private submit(records: ChildRecord[], arrayLabel?: string, taskIds?: number[]): void {
    const work = this.submitNow(records, arrayLabel, taskIds).catch((error: unknown) => {
      for (const r of records) {
        this.finish(r, { code: null, signal: null, neverStarted: true, reason: `submission failed: ${(error as Error).message}` });
      }
    });
    this.submissions.add(work);
    void work.finally(() => this.submissions.delete(work));
  }

  private async submitNow(records: ChildRecord[], arrayLabel?: string, taskIds?: number[]): Promise<void> {
    for (const r of records) r.phase = 'submitting';
    const first = records[0]!;
    const isArray = taskIds !== undefined;
    let args: string[];
    try {
      for (const r of records) fs.writeFileSync(path.join(r.request.tracking, CHILD_SCRIPT), childScript(r.request), { mode: 0o700 });
      if (isArray) {
        const tasks: ArrayTask[] = records.map((r, i) => ({ taskId: taskIds[i]!, tracking: r.request.tracking }));
        fs.writeFileSync(path.join(first.request.tracking, ARRAY_SCRIPT), arrayScript(arrayLabel!, tasks), { mode: 0o700 });
        args = arraySubmitArgs(first.request, arrayLabel!, arrayRanges(taskIds), this.options);
      } else {
        args = singleSubmitArgs(first.request, this.options);
      }
    } catch (error) {
      for (const r of records) {
        this.finish(r, {
          code: null,
          signal: null,
          neverStarted: true,
          reason: `cannot write the batch script in ${r.request.tracking}: ${(error as Error).message}`,
        });
      }
      return;
    }

    const env = submitEnv(first.request.env);
    const result = await runWithRetries(() => this.limiter.run(() => runCommand('sbatch', args, { env })), {
      attempts: SBATCH_ATTEMPTS,
      transient: isTransientFailure,
      onRetry: (failed) => this.emit('debug', `sbatch for '${arrayLabel ?? first.label}' failed (${commandFailure('sbatch', failed)}), retrying`),
    });
    const jobId = result.code === 0 ? parseSbatchJobId(result.stdout) : undefined;
    if (jobId === undefined) {
      const reason = `sbatch failed: ${result.code === 0 ? `no job id in its output: ${result.stdout.trim()}` : commandFailure('sbatch', result)}`;
      this.emit('warning', `Cannot submit '${arrayLabel ?? first.label}': ${reason}`);
      for (const r of records) this.finish(r, { code: null, signal: null, neverStarted: true, reason });
      return;
    }
    records.forEach((r, i) => {
      r.jobId = isArray ? `${jobId}_${taskIds[i]}` : jobId;
      r.child.handle = r.jobId;
      // (A forced finish at close may have happened while sbatch ran.)
      if ((r.phase as ChildRecord['phase']) !== 'exited') r.phase = 'queued';
    });
    this.emit(
      'debug',
      isArray
        ? `Submitted ${records.length} children of '${arrayLabel}' as Slurm job array ${jobId}`
        : `Submitted '${first.label}' as Slurm job ${jobId}`,
    );
    for (const r of records) if (r.stopRequested && r.phase === 'queued') this.cancel(r.jobId!);
    this.poller.schedule();
  }

  // ------------------------------------------------------------------ stopping

  /** A running job: SIGTERM to its process group now, cancel (Slurm's KillWait, then SIGKILL) after the grace. */
  private terminate(record: ChildRecord): void {
    if (record.termSentAt !== undefined || !record.jobId) return;
    record.termSentAt = Date.now();
    this.scancels.add('signal', record.jobId);
    record.escalateTimer = setTimeout(() => {
      if (record.phase !== 'exited' && record.jobId) this.cancel(record.jobId);
    }, this.options.graceMs);
  }

  private cancel(jobId: string): void {
    this.scancels.add('cancel', jobId);
  }

  private async scancel(args: string[]): Promise<void> {
    const result = await this.limiter.run(() => runCommand('scancel', args));
    // Jobs that ended meanwhile make scancel complain; the poller reports how they ended.
    if (result.code !== 0) this.emit('debug', `scancel ${args.join(' ')}: ${commandFailure('scancel', result)}`);
  }

  // ------------------------------------------------------------------ polling

  private activeJobs(): ChildRecord[] {
    return [...this.children.values()].filter((r) => r.jobId !== undefined && (r.phase === 'queued' || r.phase === 'running'));
  }

  private async poll(): Promise<void> {
    const active = this.activeJobs();
    if (active.length === 0) return;
    const ids = [...new Set(active.map((r) => r.jobId!.split('_')[0]!))];
    const entries = new Map<string, QueueEntry>();
    for (let at = 0; at < ids.length; at += IDS_PER_CALL) {
      const chunk = ids.slice(at, at + IDS_PER_CALL);
      const result = await this.limiter.run(() =>
        runCommand('squeue', ['-h', '-r', '-t', 'all', '-j', chunk.join(','), '-O', SQUEUE_FORMAT]),
      );
      if (result.code !== 0 && !/Invalid job id/i.test(result.stderr)) {
        this.pollFailures++;
        // Say it once, then every minute or so: the controller may be restarting.
        if (this.pollFailures === 1 || this.pollFailures % 60 === 0) {
          this.emit('warning', `squeue failed (${commandFailure('squeue', result)}); retrying every ${this.options.pollMs / 1000} s`);
        }
        return;
      }
      for (const [id, entry] of parseSqueue(result.stdout)) entries.set(id, entry);
    }
    this.pollFailures = 0;
    const missing: ChildRecord[] = [];
    for (const record of active) {
      if (record.phase === 'exited') continue;
      const entry = entries.get(record.jobId!);
      if (entry) {
        record.missingPolls = 0;
        this.update(record, entry);
      } else if (++record.missingPolls >= MISSING_POLLS_BEFORE_SACCT) {
        missing.push(record);
      }
    }
    if (missing.length > 0) await this.resolveFromAccounting(missing);
  }

  private update(record: ChildRecord, entry: QueueEntry): void {
    const terminal = TERMINAL_STATES.has(entry.state);
    if (entry.state === 'PENDING' && record.hopeless === undefined && isHopelessReason(entry.reason)) {
      record.hopeless = entry.reason!;
      this.emit('warning', `Slurm can never start job ${record.jobId} ('${record.label}'): ${entry.reason}; cancelling it`);
      this.cancel(record.jobId!);
    }
    if (STARTED_STATES.has(entry.state) || (terminal && entry.batchHost !== undefined)) this.markStarted(record);
    if (terminal) this.finish(record, this.exitOf(record, entry.state, entry.reason, exitFromStatus(entry.status)));
  }

  private markStarted(record: ChildRecord): void {
    if (record.phase === 'exited' || record.phase === 'running') return;
    record.phase = 'running';
    record.child.markStarted();
    if (record.jobId) this.emit('debug', `Slurm job ${record.jobId} ('${record.label}') is running`);
    // Stopped while queued, but it started before the cancel landed: the cancel still ends it.
  }

  private exitOf(
    record: ChildRecord,
    state: string,
    slurmReason: string | undefined,
    status: { code: number | null; signal: string | null },
  ): ChildExit {
    return childExitOf({
      state,
      slurmReason,
      status,
      ran: record.phase === 'running',
      stopRequested: record.stopRequested,
      hopeless: record.hopeless,
    });
  }

  /** Jobs squeue no longer lists (purged after MinJobAge, or lost): ask accounting, else give up on them. */
  private async resolveFromAccounting(records: ChildRecord[]): Promise<void> {
    const ids = records.map((r) => r.jobId!);
    const query = ['-n', '-P', '-X', '-j', ids.join(','), '-o', 'JobID,State,ExitCode'];
    let result = await this.limiter.run(() => runCommand('sacct', query));
    // Without slurmdbd, the job completion log (`sacct -c`) may still know them.
    if (result.code !== 0) result = await this.limiter.run(() => runCommand('sacct', ['-c', ...query.filter((a) => a !== '-X')]));
    const known = result.code === 0 ? parseSacct(result.stdout) : new Map();
    for (const record of records) {
      const entry = known.get(record.jobId!);
      if (entry && TERMINAL_STATES.has(entry.state)) {
        this.finish(record, this.exitOf(record, entry.state, undefined, exitFromExitCode(entry.exitCode)));
      } else if (record.missingPolls >= MISSING_POLLS_BEFORE_LOST) {
        this.finish(record, { code: null, signal: null, reason: `lost: Slurm no longer knows job ${record.jobId}` });
      }
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  private finish(record: ChildRecord, exit: ChildExit): void {
    if (record.phase === 'exited') return;
    record.phase = 'exited';
    if (record.escalateTimer) clearTimeout(record.escalateTimer);
    const how = exit.reason ?? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`);
    this.emit('debug', `'${record.label}'${record.jobId ? ` (Slurm job ${record.jobId})` : ''} ended: ${how}`);
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

/** Ask the cluster what `check()` needs: the partition's largest node, licenses, MaxArraySize. */
export async function probeCluster(options: SlurmOptions): Promise<ClusterInfo> {
  const [sinfo, partitionsOut, licenses, config] = await Promise.all([
    runCommand('sinfo', ['-h', '-e', '-o', '%R|%c|%m']),
    runCommand('scontrol', ['show', 'partition', '-o']),
    runCommand('scontrol', ['show', 'licenses', '-o']),
    runCommand('scontrol', ['show', 'config']),
  ]);
  if (sinfo.error?.code === 'ENOENT') {
    throw clusterError(
      "Slurm's commands (sinfo, sbatch, squeue, scancel) are not on PATH.",
      'Run Gator on a machine that can submit Slurm jobs (a login node), or add Slurm\'s bin directory to PATH.',
    );
  }
  if (sinfo.code !== 0) {
    throw clusterError(
      `Cannot reach the Slurm controller: ${commandFailure('sinfo', sinfo)}.`,
      'Check that `sinfo` works on this machine (slurmctld running, slurm.conf readable).',
    );
  }
  const partitions = parsePartitions(partitionsOut.stdout, sinfo.stdout);
  let partition: PartitionInfo | undefined;
  if (options.partition) {
    partition = partitions.find((p) => p.name === options.partition);
    if (!partition && partitionsOut.code === 0) {
      throw new SchedulerError(
        'GATOR_SCHEDULER_OPTION',
        SCHEDULER_NAME,
        `Partition \`${options.partition}\` does not exist on this cluster (partitions: ${partitions.map((p) => p.name).join(', ') || 'none'}).`,
        { hint: 'Pass --sched-arg partition=NAME with a partition `sinfo` lists, or leave it out for the default.' },
      );
    }
  } else {
    partition = partitions.find((p) => p.isDefault);
  }
  const maxArraySize = Number(configValue(config.stdout, 'MaxArraySize')) || 1001;
  return {
    partition,
    licenses: licenses.code === 0 ? parseLicenses(licenses.stdout) : undefined,
    maxArraySize,
  };
}

/** Create a Slurm scheduler: parses the options and asks the cluster about its partition and licenses. */
export async function createSlurmScheduler(context: SchedulerContext): Promise<SlurmScheduler> {
  const options = parseSlurmOptions(context.options ?? {});
  const cluster = await probeCluster(options);
  return new SlurmScheduler(context, options, cluster);
}

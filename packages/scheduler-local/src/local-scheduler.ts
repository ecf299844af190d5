/**
 * The embedded scheduler: each child is a local process (argv run directly, no
 * shell), started when the pool has room for its resources, in its own
 * process group so that stopping it reaches everything it started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ENV,
  LaunchRequestSchema,
  SchedulerError,
  type ChildExit,
  type LaunchOptions,
  type LaunchRequest,
  type LaunchedChild,
  type Scheduler,
  type SchedulerCapabilities,
  type SchedulerContext,
} from '@gator/protocol';
import { SCHEDULER_NAME, parseLocalOptions, type LocalSchedulerConfig, type PoolLimits } from './options.js';
import { ResourcePool, impossibleReasons, type Demand, type Ticket } from './pool.js';
import { groupAlive, signalGroup, sweepGroup, sweepMarked } from './process.js';
import { POOL_ENV, PoolClient, PoolServer } from './wire.js';

type Level = 'debug' | 'info' | 'warning' | 'error';

interface Allocation {
  /** Resolves when the resources are reserved; rejects when they never will be. */
  granted: Promise<void>;
  /** Give them back (or leave the queue). Safe to call more than once. */
  release(): void;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => {
    d.resolve = (value) => {
      d.settled = true;
      resolve(value);
    };
    d.reject = (error) => {
      d.settled = true;
      reject(error);
    };
  });
  return d;
}

/** A job wrapper running inside this process (opt-in: `--sched-arg wrappers=inprocess`). */
export interface InProcessRun {
  /** Settles when the wrapper has finished: `code` as a process would exit (0 passed). Must not reject. */
  readonly exited: Promise<{ code: number | null; reason?: string }>;
  /** Ask the wrapper to stop its job (as SIGTERM would a wrapper process). Safe more than once. */
  stop(): void;
}

/**
 * Runs a job's wrapper (the child command line of `request.command`) inside this
 * process, or returns undefined to have it started as a process after all.
 */
export type InProcessRunner = (request: LaunchRequest) => InProcessRun | undefined;

interface ChildRecord {
  readonly id: string;
  readonly label: string;
  readonly request: LaunchRequest;
  /** Undefined for tiers: they take nothing from the pool. */
  readonly demand: Demand | undefined;
  state: 'queued' | 'running' | 'exited';
  allocation?: Allocation;
  pid?: number;
  /** Set when the wrapper runs inside this process. */
  inProcess?: InProcessRun;
  termSentAt?: number;
  killTimer?: NodeJS.Timeout;
  readonly started: Deferred<void>;
  readonly exited: Deferred<ChildExit>;
  /** Settles once the child's group is gone and its resources are back. */
  cleanup: Promise<void>;
  detachAbort?: () => void;
}

export interface LocalSchedulerSettings {
  /** Environment to read `GATOR_LOCAL_POOL` from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * Runs job wrappers inside this process when the option `wrappers=inprocess`
   * is given (a host that can, such as the gator CLI, passes it). Without it
   * that option falls back to processes, with a warning event.
   */
  inProcess?: InProcessRunner;
}

/** What a job takes from the pool: at least one slot, whole cores. */
export function demandOf(request: Pick<LaunchRequest, 'resources'>): Demand {
  const r = request.resources ?? { cores: 0, memoryMb: 0, licenses: {} };
  return {
    cores: Math.max(1, Math.ceil(r.cores ?? 0)),
    memoryMb: Math.ceil(r.memoryMb ?? 0),
    licenses: { ...(r.licenses ?? {}) },
  };
}

function describeDemand(demand: Demand): string {
  const parts = [`cores ${demand.cores}`];
  if (demand.memoryMb > 0) parts.push(`memory ${demand.memoryMb} MB`);
  const licenses = Object.entries(demand.licenses);
  if (licenses.length > 0) parts.push(`licenses ${licenses.map(([n, s]) => `${n}:${s}`).join(',')}`);
  return parts.join(', ');
}

function describeLimits(limits: PoolLimits): string {
  const licenses = Object.entries(limits.licenses);
  return (
    `${limits.cores} cores, ${limits.memoryMb} MB` +
    (licenses.length > 0 ? `, licenses ${licenses.map(([n, s]) => `${n}:${s}`).join(',')}` : ', no licenses')
  );
}

function labelOf(request: Pick<LaunchRequest, 'id' | 'path'>): string {
  return request.path && request.path.length > 0 ? request.path.join('.') : request.id;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export class LocalScheduler implements Scheduler {
  readonly name = SCHEDULER_NAME;
  readonly capabilities: SchedulerCapabilities = { cores: 'stable', memory: 'stable', licenses: 'stable', remote: false };

  private readonly config: LocalSchedulerConfig;
  private readonly onEvent: SchedulerContext['onEvent'];
  private readonly token: string | undefined;
  /** Set when `wrappers=inprocess` was asked for and the host can run wrappers here. */
  private readonly inProcess: InProcessRunner | undefined;
  /** `GATOR_LOCAL_POOL` inherited from the process that started us: we are a nested instance. */
  private readonly rootAddress: string | undefined;
  /** Root only: the machine-wide pool. */
  private readonly pool: ResourcePool | undefined;
  private server: Promise<PoolServer> | undefined;
  private client: PoolClient | undefined;
  private readyPromise: Promise<void> | undefined;
  /** Children not yet ended and cleaned up (ended ones are dropped, so long runs do not grow it). */
  private readonly children = new Map<string, ChildRecord>();
  /** Group sweeps still running for children that have exited. */
  private readonly cleanups = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(context: SchedulerContext = { options: {} }, settings: LocalSchedulerSettings = {}) {
    this.config = parseLocalOptions(context.options ?? {});
    this.onEvent = context.onEvent;
    this.token = context.token;
    const env = settings.env ?? process.env;
    this.rootAddress = env[POOL_ENV] || undefined;
    if (this.rootAddress === undefined) {
      this.pool = new ResourcePool(this.config.limits);
      this.emit('debug', `Local scheduler using a pool of ${describeLimits(this.config.limits)}`);
    }
    if (this.config.ignored.length > 0) {
      this.emit('debug', `Local scheduler ignores option(s) ${this.config.ignored.join(', ')}`);
    }
    if (this.config.inProcessWrappers) {
      this.inProcess = settings.inProcess;
      if (this.inProcess) this.emit('debug', 'Local scheduler running job wrappers inside this process (wrappers=inprocess)');
      else this.emit('warning', 'wrappers=inprocess is not available here (the host cannot run wrappers in its process): one process per job');
    }
  }

  /** Connects a nested instance to the run's pool; resolves at once for the root. */
  ready(): Promise<void> {
    this.readyPromise ??=
      this.rootAddress === undefined
        ? Promise.resolve()
        : PoolClient.connect(this.rootAddress, (level, message) => this.emit(level, message)).then((client) => {
            this.client = client;
            this.emit('debug', `Local scheduler sharing the run's pool at ${client.where} (${describeLimits(client.limits)})`);
          });
    return this.readyPromise;
  }

  /** The pool's limits (for a nested instance: the root's, once connected). */
  get limits(): PoolLimits {
    return this.client?.limits ?? this.config.limits;
  }

  /** `host:port/TOKEN` of the pool nested tiers share (starts the root's pool server if needed). */
  async poolAddress(): Promise<string> {
    if (this.rootAddress !== undefined) return this.rootAddress;
    if (this.closing && !this.server) {
      throw new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, 'The scheduler is closed: its pool is no longer served.');
    }
    this.server ??= PoolServer.listen(this.pool!, {
      token: this.token,
      graceMs: this.config.graceMs,
      onEvent: (level, message) => this.emit(level, message),
    });
    return (await this.server).address;
  }

  check(request: Pick<LaunchRequest, 'id' | 'path' | 'kind' | 'resources'>): string | undefined {
    if (request.kind === 'tier') return undefined;
    const reasons = impossibleReasons(demandOf(request), this.limits);
    return reasons.length > 0 ? `job ${labelOf(request)} ${reasons.join('; ')}` : undefined;
  }

  childOptions(): Record<string, string> {
    // Nested instances find the pool through GATOR_LOCAL_POOL; its limits are the root's.
    return {};
  }

  async launch(input: LaunchRequest, options: LaunchOptions = {}): Promise<LaunchedChild> {
    const parsed = LaunchRequestSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SchedulerError(
        'GATOR_SCHEDULER_LAUNCH',
        SCHEDULER_NAME,
        `Invalid launch request${issue ? ` (${issue.path.join('.') || 'request'}: ${issue.message})` : ''}.`,
      );
    }
    const request = parsed.data;
    const label = labelOf(request);
    this.assertOpen(label);
    const existing = this.children.get(request.id);
    if (existing && existing.state !== 'exited') {
      throw new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, `'${label}' is already queued or running (id ${request.id}).`);
    }
    await this.ready();
    const problem = this.check(request);
    if (problem !== undefined) {
      throw new SchedulerError('GATOR_SCHEDULER_RESOURCES', SCHEDULER_NAME, problem, {
        hint: 'Lower the job\'s resources or give the pool more with --sched-arg.',
      });
    }
    const poolAddress = request.kind === 'tier' ? await this.poolAddress() : undefined;
    this.assertOpen(label);

    const record: ChildRecord = {
      id: request.id,
      label,
      request,
      demand: request.kind === 'job' ? demandOf(request) : undefined,
      state: 'queued',
      started: deferred<void>(),
      exited: deferred<ChildExit>(),
      cleanup: Promise.resolve(),
    };
    // Callers that never await `started` must not see an unhandled rejection.
    record.started.promise.catch(() => {});
    this.children.set(request.id, record);

    if (record.demand === undefined) {
      this.emit('debug', `Scheduling '${label}' (tier, no resources)`);
      this.spawnChild(record, poolAddress);
    } else {
      const allocation = this.acquire(label, record.demand);
      record.allocation = allocation;
      allocation.granted.then(
        () => {
          // Stopped (and released) while the grant was on its way.
          if (record.state !== 'queued') return;
          this.emit('debug', `Scheduling '${label}' (${describeDemand(record.demand!)})`);
          this.spawnChild(record, undefined);
        },
        (error: unknown) => {
          allocation.release();
          this.finish(record, {
            code: null,
            signal: null,
            neverStarted: true,
            reason: error instanceof Error ? error.message : String(error),
          });
        },
      );
    }

    const signal = options.signal;
    if (signal) {
      const onAbort = () => void this.stop(request.id);
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        record.detachAbort = () => signal.removeEventListener('abort', onAbort);
      }
    }

    return {
      id: request.id,
      started: record.started.promise,
      exited: record.exited.promise,
      get handle() {
        return record.pid === undefined ? undefined : String(record.pid);
      },
    };
  }

  async stop(id: string): Promise<void> {
    const record = this.children.get(id);
    if (!record) return;
    if (record.state === 'queued') {
      record.allocation?.release();
      this.emit('debug', `Task '${record.label}' stopped before it started`);
      this.finish(record, { code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
    } else if (record.state === 'running') {
      this.terminate(record);
    }
    await record.exited.promise;
    await record.cleanup;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // No more grants to anyone: queued children must not start while others end.
      if (this.server) (await this.server.catch(() => undefined))?.refuseQueued();
      // stop() cancels queued children synchronously, before any running one can end and free room.
      await Promise.all([...this.children.keys()].map((id) => this.stop(id)));
      await Promise.all([...this.cleanups]);
      if (this.server) await (await this.server.catch(() => undefined))?.close();
      if (this.readyPromise) await this.readyPromise.catch(() => {});
      await this.client?.close();
    })();
    return this.closing;
  }

  private assertOpen(label: string): void {
    if (this.closing) {
      throw new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, `Cannot launch '${label}': the scheduler is closed.`);
    }
  }

  private acquire(label: string, demand: Demand): Allocation {
    if (this.client) return this.client.acquire(label, demand);
    const pool = this.pool!;
    let ticket: Ticket | undefined;
    let released = false;
    const granted = new Promise<void>((resolve) => {
      ticket = pool.request(label, demand, resolve);
    });
    return {
      granted,
      release: () => {
        if (released || !ticket) return;
        released = true;
        pool.release(ticket);
      },
    };
  }

  private spawnChild(record: ChildRecord, poolAddress: string | undefined): void {
    const { request, label } = record;
    if (request.kind === 'job' && this.inProcess && this.startInProcess(record, this.inProcess)) return;
    const logFile = path.join(request.tracking, 'scheduler.log');
    if (!isDirectory(request.cwd)) {
      this.failSpawn(record, 127, `cannot start '${label}': working directory ${request.cwd} does not exist`, logFile);
      return;
    }
    let output: number | 'ignore' = 'ignore';
    try {
      output = fs.openSync(logFile, 'a', 0o600);
    } catch (error) {
      this.emit('warning', `Cannot open ${logFile} (${(error as Error).message}); the output of '${label}' is discarded`);
    }
    const env: Record<string, string | undefined> = { ...process.env, ...request.env };
    // Only nested tiers share the pool: a job that runs its own `gator` while
    // holding a slot would otherwise wait for slots it holds itself.
    if (poolAddress !== undefined) env[POOL_ENV] = poolAddress;
    else delete env[POOL_ENV];
    const [file, ...args] = request.command as [string, ...string[]];
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, { cwd: request.cwd, env, stdio: ['ignore', output, output], detached: true });
    } catch (error) {
      this.failSpawn(record, 127, `cannot start '${label}': ${(error as Error).message}`, logFile);
      return;
    } finally {
      // The child has its own copy of the descriptor.
      if (typeof output === 'number') fs.closeSync(output);
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed kill(): the exit still comes.
      if (record.pid !== undefined) return;
      const code = error.code === 'EACCES' ? 126 : 127;
      this.failSpawn(record, code, `cannot start '${label}': ${file}: ${error.message}`, logFile);
    });
    if (child.pid === undefined) return;
    const pid = child.pid;
    record.pid = pid;
    record.state = 'running';
    this.client?.spawned(pid);
    child.once('spawn', () => record.started.resolve());
    child.once('exit', (code, signal) => this.onExit(record, pid, code, signal));
  }

  /** Hands a job to the in-process runner; false when it declines (the job then gets a process). */
  private startInProcess(record: ChildRecord, runner: InProcessRunner): boolean {
    let run: InProcessRun | undefined;
    try {
      run = runner(record.request);
    } catch (error) {
      this.emit('warning', `Could not run '${record.label}' in this process (${(error as Error).message}); starting a process`);
      return false;
    }
    if (!run) return false;
    record.inProcess = run;
    record.state = 'running';
    record.started.resolve();
    const ended = (exit: { code: number | null; reason?: string }) => {
      if (record.killTimer) clearTimeout(record.killTimer);
      const stopped = record.termSentAt !== undefined;
      this.emit('debug', `Task '${record.label}' released ${describeDemand(record.demand!)} (in-process, exit code ${exit.code})`);
      // Nothing of it can be left running here: its wrapper ended its job's processes.
      record.allocation?.release();
      this.finish(record, { code: exit.code, signal: null, ...(exit.reason ? { reason: exit.reason } : stopped ? { reason: 'stopped' } : {}) });
    };
    run.exited.then(ended, (error: unknown) => ended({ code: 1, reason: `in-process wrapper failed: ${(error as Error)?.message ?? String(error)}` }));
    return true;
  }

  private failSpawn(record: ChildRecord, code: number, reason: string, logFile: string): void {
    try {
      fs.appendFileSync(logFile, `${reason}\n`, { mode: 0o600 });
    } catch {
      /* the tracking dir is gone too; the reason still reaches the tier */
    }
    this.emit('warning', reason);
    record.allocation?.release();
    this.finish(record, { code, signal: null, reason });
  }

  private terminate(record: ChildRecord): void {
    if (record.inProcess) {
      if (record.termSentAt !== undefined) return;
      record.termSentAt = Date.now();
      record.inProcess.stop();
      return;
    }
    if (record.termSentAt !== undefined || record.pid === undefined) return;
    const pid = record.pid;
    record.termSentAt = Date.now();
    signalGroup(pid, 'SIGTERM');
    record.killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.config.graceMs);
  }

  private onExit(record: ChildRecord, pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (record.killTimer) clearTimeout(record.killTimer);
    // It had a pid, so it did start (even if 'spawn' has not been seen yet).
    if (!record.started.settled) record.started.resolve();
    const stopped = record.termSentAt !== undefined;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    this.emit(
      'debug',
      record.demand
        ? `Task '${record.label}' released ${describeDemand(record.demand)} (${how})`
        : `Task '${record.label}' ended (${how})`,
    );
    // Whatever the child left in its group goes too, before its resources return.
    const termSentAt = record.termSentAt;
    const groupSweep = groupAlive(pid) ? sweepGroup(pid, this.config.graceMs, termSentAt) : Promise.resolve();
    // A wrapper killed by a signal could not end its job, which leads its own
    // process group: find the job's processes by the GATOR_TRACKING its wrapper gave them.
    const sweep =
      signal !== null && record.request.kind === 'job'
        ? Promise.all([groupSweep, sweepMarked(`${ENV.TRACKING}=${record.request.tracking}`, this.config.graceMs)])
        : groupSweep;
    record.cleanup = sweep.catch(() => {}).then(() => {
      record.allocation?.release();
      this.client?.reaped(pid);
    });
    this.finish(record, { code, signal, ...(stopped ? { reason: 'stopped' } : {}) });
  }

  private finish(record: ChildRecord, exit: ChildExit): void {
    if (record.state === 'exited') return;
    record.state = 'exited';
    if (record.killTimer) clearTimeout(record.killTimer);
    record.detachAbort?.();
    if (!record.started.settled) {
      record.started.reject(
        new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, `'${record.label}' never started: ${exit.reason ?? 'unknown reason'}`),
      );
    }
    record.exited.resolve(exit);
    const cleanup = record.cleanup;
    this.cleanups.add(cleanup);
    void cleanup.then(() => {
      this.cleanups.delete(cleanup);
      if (this.children.get(record.id) === record) this.children.delete(record.id);
    });
  }

  private emit(level: Level, message: string): void {
    try {
      this.onEvent?.({ level, message });
    } catch {
      /* a faulty sink must not break scheduling */
    }
  }
}

/** Create a local scheduler; a nested one (GATOR_LOCAL_POOL set) connects to the run's pool first. */
export async function createLocalScheduler(context: SchedulerContext, settings: LocalSchedulerSettings = {}): Promise<LocalScheduler> {
  const scheduler = new LocalScheduler(context, settings);
  await scheduler.ready();
  return scheduler;
}

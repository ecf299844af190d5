/**
 * The embedded scheduler: each child is a local process (argv run directly, no
 * shell), started when the pool has room for its resources, in its own
 * process group so that stopping it reaches everything it started.
 */
import {
  ChildHandle,
  ENV,
  GO_CHANNEL_ENV,
  IpcFrameSocket,
  SchedulerError,
  UPLINK_ENV,
  carryEnv,
  parseLaunchRequest,
  spawnInGroup,
  type ChildExit,
  type ChildProcessState,
  type FrameSocket,
  type LaunchOptions,
  type LaunchRequest,
  type LaunchedChild,
  type ProcessGroup,
  type Scheduler,
  type SchedulerCapabilities,
  type SchedulerContext,
} from '@gator/protocol';
import { SCHEDULER_NAME, parseLocalOptions, type LocalSchedulerConfig, type PoolLimits } from './options.js';
import { ResourcePool, impossibleReasons, type Demand, type Ticket } from './pool.js';
import fs from 'node:fs';
import { sweepMarked } from './process.js';
import { POOL_ENV, PoolClient, PoolServer } from './wire.js';

type Level = 'debug' | 'info' | 'warning' | 'error';

interface Allocation {
  /** Resolves when the resources are reserved; rejects when they never will be. */
  granted: Promise<void>;
  /** Give them back (or leave the queue). Safe to call more than once. */
  release(): void;
}

/** A job wrapper running inside this process (opt-in: `--sched-arg wrappers=inprocess`). */
export interface InProcessRun {
  /** Settles when the wrapper has finished: `code` as a process would exit (0 passed). Must not reject. */
  readonly exited: Promise<{ code: number | null; reason?: string }>;
  /** Settles when the job's processes are gone, before the wrapper has reported: its slot is free then. Must not reject. */
  readonly ended?: Promise<void>;
  /** Ask the wrapper to stop its job (as SIGTERM would a wrapper process). Safe more than once. */
  stop(): void;
}

/**
 * Runs a job's wrapper (the child command line of `request.command`) inside this
 * process, or returns undefined to have it started as a process after all. With
 * `slot`, the job is still queued: the wrapper starts up (connect, spec, store) and
 * waits for it to resolve, true once the job's slot is granted, false when it never will
 * be (stopped in the queue: the wrapper then ends without running the job). Without
 * it, the slot is granted already.
 */
export type InProcessRunner = (request: LaunchRequest, slot?: Promise<boolean>) => InProcessRun | undefined;

interface ChildRecord {
  readonly id: string;
  readonly label: string;
  readonly request: LaunchRequest;
  /** Undefined for tiers: they take nothing from the pool. */
  readonly demand: Demand | undefined;
  state: 'queued' | 'running' | 'exited';
  allocation?: Allocation;
  /** Set once its process runs. */
  group?: ProcessGroup;
  /** Set when the wrapper runs inside this process. */
  inProcess?: InProcessRun;
  /** An in-process wrapper started while its job was queued: tell it whether its slot came. */
  grantSlot?: (granted: boolean) => void;
  /** The in-process runner declined it (or threw): it gets a process. */
  hostDeclined?: boolean;
  /** Its wrapper process waits for the go (started with the go channel, see go-channel.ts of @gator/protocol). */
  go?: { hello: boolean; granted: boolean; sent: boolean; released: boolean };
  /** stop() reached it while it ran. */
  stopping: boolean;
  readonly child: ChildHandle;
  /** Settles once the child's group is gone and its resources are back. */
  cleanup: Promise<void>;
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
  /**
   * True for a job whose command line is a wrapper that honours the go channel
   * (the gator CLI's own child command line; the host that knows it passes
   * this). Such a job's wrapper is started before its slot is free, while it is
   * among the next to be granted, and waits for the go; its slot is free again
   * when its job has ended. Others start when their slot is granted.
   */
  goChannel?: (request: LaunchRequest) => boolean;
  /**
   * Serve the link of such a wrapper to its tier on its go channel instead of a
   * websocket (frame-socket.ts of @gator/protocol): called with the socket as the
   * wrapper starts; the host hands it to the tier's server (`GatorServer.adopt`)
   * as the connection of the child `request.id`, and returns false when it
   * cannot (the socket is then closed, and the wrapper fails at its start-up).
   */
  uplink?: (request: LaunchRequest, socket: FrameSocket) => boolean;
  /**
   * True for a child whose command line is the host's own layer process (a wrapper or tier
   * that calls `restoreCarriedEnv` of @gator/protocol first): it is started without what
   * Node would spend its start-up on and it does not use, carried under other names
   * (`CARRIED_ENV`), and with what keeps it smaller (`STARTED_WITH_ENV`). Others get the
   * environment as it is.
   */
  carriesEnv?: (request: LaunchRequest) => boolean;
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

export class LocalScheduler implements Scheduler {
  readonly name = SCHEDULER_NAME;
  readonly capabilities: SchedulerCapabilities = { cores: 'stable', memory: 'stable', licenses: 'stable', remote: false };

  private readonly config: LocalSchedulerConfig;
  private readonly onEvent: SchedulerContext['onEvent'];
  private readonly token: string | undefined;
  /** Set when `wrappers=inprocess` was asked for and the host can run wrappers here. */
  private readonly inProcess: InProcessRunner | undefined;
  private readonly goChannel: ((request: LaunchRequest) => boolean) | undefined;
  private readonly uplink: LocalSchedulerSettings['uplink'];
  private readonly carriesEnv: LocalSchedulerSettings['carriesEnv'];
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
      this.pool = new ResourcePool(this.config.limits, this.config.prestart !== undefined ? { warmAhead: this.config.prestart } : {});
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
    // In-process wrappers cost no start-up to hide.
    this.goChannel = this.inProcess ? undefined : settings.goChannel;
    this.uplink = this.goChannel ? settings.uplink : undefined;
    this.carriesEnv = settings.carriesEnv;
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
    const request = parseLaunchRequest(SCHEDULER_NAME, input);
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
      stopping: false,
      child: new ChildHandle(SCHEDULER_NAME, request),
      cleanup: Promise.resolve(),
      ...(request.kind === 'job' && this.usesGo(request) ? { go: { hello: false, granted: false, sent: false, released: false } } : {}),
    };
    this.children.set(request.id, record);

    if (record.demand === undefined) {
      this.emit('debug', `Scheduling '${label}' (tier, no resources)`);
      this.spawnChild(record, poolAddress);
    } else {
      // Warm: start the wrapper now, to wait for its go (never for a job already given its slot).
      const hosting = request.kind === 'job' ? this.inProcess : undefined;
      const warm = record.go
        ? () => {
            if (record.state !== 'queued' || record.group) return;
            this.emit('debug', `Pre-starting the wrapper of '${label}' (it waits for a free slot)`);
            this.spawnChild(record, undefined);
          }
        : hosting
          ? () => {
              if (record.state !== 'queued' || record.inProcess) return;
              if (this.startInProcess(record, hosting, true)) this.emit('debug', `Pre-starting the in-process wrapper of '${label}' (it waits for a free slot)`);
            }
          : undefined;
      const allocation = this.acquire(label, record.demand, warm);
      record.allocation = allocation;
      allocation.granted.then(
        () => {
          // Stopped (and released) while the grant was on its way.
          if (record.state !== 'queued') return;
          this.emit('debug', `Scheduling '${label}' (${describeDemand(record.demand!)})`);
          if (record.go) {
            record.go.granted = true;
            if (!record.group) this.spawnChild(record, undefined);
            if (record.group) {
              record.state = 'running';
              this.sendGo(record);
            }
          } else if (record.grantSlot) {
            // Its in-process wrapper started up while the job was queued.
            record.state = 'running';
            record.child.markStarted();
            record.grantSlot(true);
          } else this.spawnChild(record, undefined);
        },
        (error: unknown) => {
          allocation.release();
          this.endWaiting(record);
          this.finish(record, {
            code: null,
            signal: null,
            neverStarted: true,
            reason: error instanceof Error ? error.message : String(error),
          });
        },
      );
    }

    record.child.stopOnAbort(options.signal, () => void this.stop(request.id));
    return record.child;
  }

  async stop(id: string): Promise<void> {
    const record = this.children.get(id);
    if (!record) return;
    if (record.state === 'queued') {
      record.allocation?.release();
      this.endWaiting(record);
      this.emit('debug', `Task '${record.label}' stopped before it started`);
      this.finish(record, { code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
    } else if (record.state === 'running') {
      this.terminate(record);
    }
    await record.child.exited;
    await record.cleanup;
  }

  /** A running child's process state from /proc (Linux); undefined elsewhere or for in-process wrappers. */
  inspect(id: string): ChildProcessState | undefined {
    const record = this.children.get(id);
    if (!record || record.inProcess || process.platform !== 'linux') return undefined;
    const pid = record.group?.pid;
    if (record.state !== 'running' || pid === undefined) return 'gone';
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      return 'gone';
    }
    // Field 3 (state) follows the command name, which may hold spaces and parentheses.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' || state === 't') return 'frozen';
    if (state === 'Z' || state === 'X') return 'gone';
    return 'running';
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

  private acquire(label: string, demand: Demand, onWarm: (() => void) | undefined): Allocation {
    if (this.client) return this.client.acquire(label, demand, onWarm);
    const pool = this.pool!;
    let ticket: Ticket | undefined;
    let released = false;
    const granted = new Promise<void>((resolve) => {
      // Warm calls start a process: never from inside request() (the record is not set up yet).
      ticket = pool.request(label, demand, resolve, onWarm ? () => queueMicrotask(onWarm) : undefined);
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
    const env: Record<string, string | undefined> = { ...process.env, ...request.env };
    // Only nested tiers share the pool: a job that runs its own `gator` while
    // holding a slot would otherwise wait for slots it holds itself.
    if (poolAddress !== undefined) env[POOL_ENV] = poolAddress;
    else delete env[POOL_ENV];
    const go = record.go;
    if (go) env[GO_CHANNEL_ENV] = '1';
    else delete env[GO_CHANNEL_ENV];
    if (go && this.uplink) env[UPLINK_ENV] = 'ipc';
    else delete env[UPLINK_ENV];
    if (this.asks(this.carriesEnv, request)) carryEnv(env);
    const group = spawnInGroup(request, { env, graceMs: this.config.graceMs, ...(go ? { ipc: true } : {}) }, {
      // A wrapper waiting for its go has not started its job: `started` is the go.
      onStart: () => {
        if (!go) record.child.markStarted();
      },
      ...(go ? { onMessage: (message: unknown) => this.onGoMessage(record, message) } : {}),
      onExit: (code, signal) => this.onExit(record, code, signal),
      onFailure: ({ code, reason }) => {
        this.emit('warning', `'${label}': ${reason}`);
        record.allocation?.release();
        this.finish(record, { code, signal: null, reason });
      },
      onLogUnavailable: (error, file) => {
        this.emit('warning', `Cannot open ${file} (${error.message}); the output of '${label}' is discarded`);
      },
    });
    if (!group) return;
    record.group = group;
    if (go && this.uplink && group.channel) this.serveUplink(request, group.channel);
    record.child.handle = String(group.pid);
    if (!go || go.granted) record.state = 'running';
    this.client?.spawned(group.pid);
  }

  /** The wrapper's link to its tier, on its go channel (before any of its frames can arrive). */
  private serveUplink(request: LaunchRequest, channel: NonNullable<ProcessGroup['channel']>): void {
    const socket = new IpcFrameSocket(channel);
    let served = false;
    try {
      served = this.uplink!(request, socket);
    } catch {
      served = false;
    }
    if (!served) socket.close(1011, 'no tier serves this link');
  }

  private usesGo(request: LaunchRequest): boolean {
    return this.asks(this.goChannel, request);
  }

  /** A host's predicate on a request; false when it has none or it throws. */
  private asks(predicate: ((request: LaunchRequest) => boolean) | undefined, request: LaunchRequest): boolean {
    if (!predicate) return false;
    try {
      return predicate(request);
    } catch {
      return false;
    }
  }

  /** What a wrapper says on its go channel: `hello` (it listens), `ended` (its job is over). */
  private onGoMessage(record: ChildRecord, message: unknown): void {
    const go = record.go!;
    const t = (message as { t?: unknown } | null)?.t;
    if (t === 'hello') {
      go.hello = true;
      this.sendGo(record);
    } else if (t === 'ended' && go.sent && !go.released) {
      // Its job's processes are gone: the slot is free while the wrapper reports and winds
      // down (its tier records the job's own stop time, which is before this; its exit and
      // group sweep change nothing the pool counts).
      go.released = true;
      this.emit('debug', `Task '${record.label}' released ${describeDemand(record.demand!)} (its job ended)`);
      record.allocation?.release();
    }
  }

  /** The go, once the slot is granted and the wrapper listens. */
  private sendGo(record: ChildRecord): void {
    const go = record.go!;
    if (go.sent || !go.granted || !go.hello || record.state !== 'running' || record.stopping) return;
    // The job's path lets the wrapper spawn its job at once, registering with its tier meanwhile.
    const path = record.request.path;
    if (!record.group?.send(path && path.length > 0 ? { t: 'go', path } : { t: 'go' })) return;
    go.sent = true;
    record.child.markStarted();
  }

  /** A queued job whose wrapper was started to wait: it will never get its go. */
  private endWaiting(record: ChildRecord): void {
    if (record.grantSlot && record.inProcess) {
      record.grantSlot(false);
      // Done once the wrapper has removed what it wrote.
      record.cleanup = record.inProcess.exited.then(() => {});
      return;
    }
    const group = record.group;
    if (!group) return;
    group.terminate();
    record.cleanup = group.gone.then(() => this.client?.reaped(group.pid));
  }

  /**
   * Hands a job to the in-process runner; false when it declines (the job then gets a process).
   * `early`: the job is still queued (its wrapper starts up and waits for the grant).
   */
  private startInProcess(record: ChildRecord, runner: InProcessRunner, early = false): boolean {
    if (record.hostDeclined) return false;
    let run: InProcessRun | undefined;
    let grant: ((granted: boolean) => void) | undefined;
    const slot = early ? new Promise<boolean>((resolve) => (grant = resolve)) : undefined;
    try {
      run = runner(record.request, slot);
    } catch (error) {
      this.emit('warning', `Could not run '${record.label}' in this process (${(error as Error).message}); starting a process`);
      record.hostDeclined = true;
      return false;
    }
    if (!run) {
      record.hostDeclined = true;
      return false;
    }
    record.inProcess = run;
    if (grant) record.grantSlot = grant;
    else {
      record.state = 'running';
      record.child.markStarted();
    }
    let released = false;
    const release = (why: string) => {
      if (released) return;
      released = true;
      this.emit('debug', `Task '${record.label}' released ${describeDemand(record.demand!)} (in-process, ${why})`);
      record.allocation?.release();
    };
    const ended = (exit: { code: number | null; reason?: string }) => {
      // Stopped in the queue (finished then): its wrapper has ended without running the job.
      if (record.state === 'exited') return;
      if (record.state === 'queued') {
        // Its wrapper ended while it waited for its slot (it failed at its start-up): it leaves
        // the queue, as a pre-started wrapper process that ended does.
        this.emit('debug', `The in-process wrapper of '${record.label}' ended (exit code ${exit.code}) while it waited for a slot`);
        record.allocation?.release();
        this.finish(record, { code: exit.code, signal: null, reason: exit.reason ?? `its wrapper ended (exit code ${exit.code}) while it waited for a slot` });
        return;
      }
      const stopped = record.stopping;
      // Nothing of it can be left running here: its wrapper ended its job's processes.
      release(`exit code ${exit.code}`);
      this.finish(record, { code: exit.code, signal: null, ...(exit.reason ? { reason: exit.reason } : stopped ? { reason: 'stopped' } : {}) });
    };
    // The slot is free once the job has ended, while its wrapper writes and reports (as a go channel's `ended`).
    void run.ended?.then(() => release('its job ended'));
    run.exited.then(ended, (error: unknown) => ended({ code: 1, reason: `in-process wrapper failed: ${(error as Error)?.message ?? String(error)}` }));
    return true;
  }

  private terminate(record: ChildRecord): void {
    if (record.stopping) return;
    record.stopping = true;
    if (record.inProcess) record.inProcess.stop();
    else record.group?.terminate();
  }

  private onExit(record: ChildRecord, code: number | null, signal: NodeJS.Signals | null): void {
    const group = record.group!;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (record.state === 'queued') {
      // A pre-started wrapper that ended while it waited for its slot: it leaves the queue,
      // and is reported as a wrapper that ended at its start-up is.
      this.emit('debug', `The wrapper of '${record.label}' ended (${how}) while it waited for a slot`);
      record.allocation?.release();
      record.cleanup = group.gone.then(() => this.client?.reaped(group.pid));
      this.finish(record, { code, signal, reason: `its wrapper ended (${how}) while it waited for a slot` });
      return;
    }
    this.emit(
      'debug',
      record.demand
        ? `Task '${record.label}' released ${describeDemand(record.demand)} (${how})`
        : `Task '${record.label}' ended (${how})`,
    );
    // Whatever the child left in its group goes too (spawnInGroup sweeps it), before its resources return.
    // A wrapper killed by a signal could not end its job, which leads its own
    // process group: find the job's processes by the GATOR_TRACKING its wrapper gave them.
    const sweep =
      signal !== null && record.request.kind === 'job'
        ? Promise.all([group.gone, sweepMarked(`${ENV.TRACKING}=${record.request.tracking}`, this.config.graceMs)])
        : group.gone;
    record.cleanup = sweep.catch(() => {}).then(() => {
      record.allocation?.release();
      this.client?.reaped(group.pid);
    });
    this.finish(record, { code, signal, ...(group.terminating ? { reason: 'stopped' } : {}) });
  }

  private finish(record: ChildRecord, exit: ChildExit): void {
    if (record.state === 'exited') return;
    record.state = 'exited';
    record.child.markExited(exit);
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

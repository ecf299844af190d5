/**
 * A small but complete scheduler: children run as local processes, strictly
 * first come first served, at most `slots` jobs at a time. Each child leads its
 * own process group, so stopping it reaches everything it started.
 */
import { spawn } from 'node:child_process';
import {
  SchedulerError,
  type ChildExit,
  type LaunchOptions,
  type LaunchRequest,
  type LaunchedChild,
  type Scheduler,
  type SchedulerCapabilities,
  type SchedulerContext,
} from '@gator/protocol';
import { SCHEDULER_NAME, type FifoOptions } from './options.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
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

interface Entry {
  readonly request: LaunchRequest;
  /** Slots it holds while it runs; tiers hold none. */
  readonly slots: number;
  state: 'queued' | 'running' | 'exited';
  pid?: number;
  killTimer?: NodeJS.Timeout;
  readonly started: Deferred<void>;
  readonly exited: Deferred<ChildExit>;
}

/** Send `signal` to a whole process group; a group that is gone is fine. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

export class FifoScheduler implements Scheduler {
  // #region capabilities
  readonly name = SCHEDULER_NAME;
  readonly capabilities: SchedulerCapabilities = {
    cores: 'stable', // a job asking for N cores takes N slots
    memory: 'unsupported', // the tier refuses specs that ask for memory
    licenses: 'unsupported',
    remote: false, // children run here: the tier may listen on 127.0.0.1
  };

  check(request: Pick<LaunchRequest, 'id' | 'path' | 'kind' | 'resources'>): string | undefined {
    if (request.kind === 'tier') return undefined;
    const need = slotsOf(request);
    return need > this.options.slots
      ? `job ${request.path.join('.')} asks for ${need} cores but the example scheduler has ${this.options.slots} slots (--sched-arg slots=N)`
      : undefined;
  }
  // #endregion

  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private used = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: FifoOptions,
    private readonly onEvent?: SchedulerContext['onEvent'],
  ) {}

  // #region launch
  async launch(request: LaunchRequest, options: LaunchOptions = {}): Promise<LaunchedChild> {
    if (this.closed) {
      throw new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, `Cannot launch '${request.id}': the scheduler is closed.`);
    }
    const problem = this.check(request);
    if (problem) throw new SchedulerError('GATOR_SCHEDULER_RESOURCES', SCHEDULER_NAME, problem);

    const entry: Entry = {
      request,
      slots: request.kind === 'tier' ? 0 : slotsOf(request),
      state: 'queued',
      started: deferred<void>(),
      exited: deferred<ChildExit>(),
    };
    entry.started.promise.catch(() => {}); // rejected when it never starts; nobody has to listen
    this.entries.set(request.id, entry);
    this.queue.push(entry);
    this.pump();
    options.signal?.addEventListener('abort', () => void this.stop(request.id), { once: true });

    // Return at once: the child may still be queued.
    return {
      id: request.id,
      started: entry.started.promise,
      exited: entry.exited.promise,
      get handle() {
        return entry.pid === undefined ? undefined : String(entry.pid);
      },
    };
  }
  // #endregion

  /** Strictly first come, first served: the oldest child waits for room and nobody overtakes it. */
  private pump(): void {
    while (!this.closed && this.queue.length > 0 && this.used + this.queue[0]!.slots <= this.options.slots) {
      const entry = this.queue.shift()!;
      this.used += entry.slots;
      this.start(entry);
    }
  }

  private start(entry: Entry): void {
    const { request } = entry;
    const [file, ...args] = request.command as [string, ...string[]];
    entry.state = 'running';
    this.onEvent?.({ level: 'debug', message: `Starting '${request.path.join('.')}' (${entry.slots} slot(s))` });
    const child = spawn(file, args, {
      cwd: request.cwd,
      env: { ...process.env, ...request.env },
      stdio: 'ignore',
      detached: true, // its own process group
    });
    entry.pid = child.pid;
    child.once('spawn', () => entry.started.resolve());
    child.once('error', (error) => {
      // Could not start (ENOENT, EACCES…): an exit with a reason, not a rejected launch.
      if (child.pid === undefined) this.finish(entry, { code: 127, signal: null, reason: `cannot start ${file}: ${error.message}` });
    });
    child.once('exit', (code, signal) => {
      // What the child left running in its group goes with it.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      this.finish(entry, { code, signal });
    });
  }

  // #region stop
  async stop(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return; // unknown ids are fine
    if (entry.state === 'queued') {
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.finish(entry, { code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
    } else if (entry.state === 'running' && entry.pid !== undefined && entry.killTimer === undefined) {
      const pid = entry.pid;
      signalGroup(pid, 'SIGTERM');
      entry.killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.options.graceMs);
    }
    await entry.exited.promise; // a second call, or one after the exit, just waits
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true; // from now on launch refuses and nothing leaves the queue
      this.closing = Promise.all([...this.entries.keys()].map((id) => this.stop(id))).then(() => {});
    }
    return this.closing;
  }
  // #endregion

  private finish(entry: Entry, exit: ChildExit): void {
    if (entry.state === 'exited') return;
    if (entry.state === 'running') this.used -= entry.slots;
    entry.state = 'exited';
    clearTimeout(entry.killTimer);
    if (!entry.started.settled) {
      entry.started.reject(new SchedulerError('GATOR_SCHEDULER_LAUNCH', SCHEDULER_NAME, `'${entry.request.id}' never started`));
    }
    entry.exited.resolve(exit);
    this.pump();
  }
}

/** Slots a job takes: its cores, at least one. */
export function slotsOf(request: Pick<LaunchRequest, 'resources'>): number {
  return Math.max(1, Math.ceil(request.resources?.cores ?? 0));
}

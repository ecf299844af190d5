/**
 * A small but complete scheduler: children run as local processes, strictly
 * first come first served, at most `slots` jobs at a time. Each child leads its
 * own process group, so stopping it reaches everything it started.
 */
import {
  ChildHandle,
  SchedulerError,
  spawnInGroup,
  type ChildExit,
  type LaunchOptions,
  type LaunchRequest,
  type LaunchedChild,
  type ProcessGroup,
  type Scheduler,
  type SchedulerCapabilities,
  type SchedulerContext,
} from '@gator/protocol';
import { SCHEDULER_NAME, type FifoOptions } from './options.js';

interface Entry {
  readonly request: LaunchRequest;
  /** Slots it holds while it runs; tiers hold none. */
  readonly slots: number;
  state: 'queued' | 'running' | 'exited';
  /** What `launch` returned: settled through `markStarted` and `markExited`. */
  readonly child: ChildHandle;
  /** Its process group, once it runs. */
  group?: ProcessGroup;
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
      child: new ChildHandle(SCHEDULER_NAME, request),
    };
    this.entries.set(request.id, entry);
    this.queue.push(entry);
    this.pump();
    entry.child.stopOnAbort(options.signal, () => void this.stop(request.id));

    // Return at once: the child may still be queued.
    return entry.child;
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

  // #region start
  private start(entry: Entry): void {
    const { request, child } = entry;
    entry.state = 'running';
    this.onEvent?.({ level: 'debug', message: `Starting '${request.path.join('.')}' (${entry.slots} slot(s))` });
    // Its own process group, output appended to <tracking>/scheduler.log.
    const group = spawnInGroup(
      request,
      { env: { ...process.env, ...request.env }, graceMs: this.options.graceMs },
      {
        onStart: () => child.markStarted(),
        // What it left running in its group is ended next (SIGTERM, SIGKILL after the grace).
        onExit: (code, signal) => this.finish(entry, { code, signal }),
        // Could not start (ENOENT, EACCES, no cwd): an exit with a reason, not a rejected launch.
        onFailure: ({ code, reason }) => this.finish(entry, { code, signal: null, reason }),
      },
    );
    if (group) {
      entry.group = group;
      child.handle = String(group.pid);
    }
  }
  // #endregion

  // #region stop
  async stop(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return; // unknown ids are fine
    if (entry.state === 'queued') {
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.finish(entry, { code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
    } else if (entry.state === 'running') {
      entry.group?.terminate(); // SIGTERM to the group, SIGKILL after the grace; once
    }
    await entry.child.exited; // a second call, or one after the exit, just waits
    await entry.group?.gone; // and what it left in its group is gone too
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
    entry.child.markExited(exit); // rejects `started` when it never ran
    this.pump();
  }
}

/** Slots a job takes: its cores, at least one. */
export function slotsOf(request: Pick<LaunchRequest, 'resources'>): number {
  return Math.max(1, Math.ceil(request.resources?.cores ?? 0));
}

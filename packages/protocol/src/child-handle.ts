/**
 * # Helpers for scheduler authors
 *
 * The bookkeeping every scheduler re-types, written once:
 *
 * - `ChildHandle`: the `LaunchedChild` a scheduler returns from `launch`, with
 *   `markStarted` and `markExited`. Each settles once; `exited` always settles;
 *   when a child exits without having started, `started` rejects (with no
 *   unhandled rejection when nobody listens), as the contract asks; and
 *   `stopOnAbort` wires the launch's abort signal to `stop`.
 * - `spawnInGroup`: start a child on this machine as the leader of its own
 *   process group, its output appended to `<tracking>/scheduler.log`; the
 *   returned `ProcessGroup` stops it (SIGTERM, SIGKILL after the grace) and,
 *   once the leader has exited, ends whatever it left in its group.
 * - `signalGroup`, `groupAlive`, `sweepGroup`: the same for a process group
 *   that someone else started.
 *
 * A cluster scheduler uses only `ChildHandle`; one that runs processes here
 * (or runs some children locally, as the Slurm scheduler does nested tiers)
 * uses both.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { SchedulerError } from './errors.js';
import { layerFile } from './layout.js';
import type { ChildExit, LaunchRequest, LaunchedChild } from './scheduler.js';
import type { IpcEndpoint } from './frame-socket.js';

// ------------------------------------------------------------------ the handle

/**
 * A scheduler's handle on one child. Return it from `launch`; call
 * `markStarted` when the process runs and `markExited` when it has ended (or
 * will never run).
 */
export class ChildHandle implements LaunchedChild {
  readonly id: string;
  readonly started: Promise<void>;
  readonly exited: Promise<ChildExit>;
  /** The child's path, dotted (`nightly.tests.sim_3`), else its id: for messages. */
  readonly label: string;
  /** The process id or the cluster's job id, once the scheduler knows it. */
  handle: string | undefined = undefined;
  private phase: 'waiting' | 'started' | 'exited' = 'waiting';
  private resolveStarted!: () => void;
  private rejectStarted!: (error: Error) => void;
  private resolveExited!: (exit: ChildExit) => void;
  private detachAbort: (() => void) | undefined;

  /** `scheduler` and the request's path (`id` when empty) name the child in the error of a child that never started. */
  constructor(
    private readonly scheduler: string,
    request: Pick<LaunchRequest, 'id' | 'path'>,
  ) {
    this.id = request.id;
    this.label = request.path && request.path.length > 0 ? request.path.join('.') : request.id;
    this.started = new Promise<void>((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    // Callers that never await `started` must not see an unhandled rejection.
    this.started.catch(() => {});
    this.exited = new Promise<ChildExit>((resolve) => {
      this.resolveExited = resolve;
    });
  }

  /** Where the child is: not started yet, started, or ended (for good). */
  get state(): 'waiting' | 'started' | 'exited' {
    return this.phase;
  }

  /** The process runs. True the first time; a start after the exit is ignored. */
  markStarted(): boolean {
    if (this.phase !== 'waiting') return false;
    this.phase = 'started';
    this.resolveStarted();
    return true;
  }

  /**
   * Call `stop` when `signal` (the launch option) aborts, at once if it already
   * has; the listener is removed when the child exits.
   */
  stopOnAbort(signal: AbortSignal | undefined, stop: () => void): void {
    if (!signal || this.phase === 'exited') return;
    if (signal.aborted) {
      stop();
      return;
    }
    signal.addEventListener('abort', stop, { once: true });
    this.detachAbort = () => signal.removeEventListener('abort', stop);
  }

  /**
   * The child has ended, or never will run. True the first time, later calls
   * are ignored. A child that had not started: `started` rejects with a
   * `SchedulerError` (`GATOR_SCHEDULER_LAUNCH`) carrying `exit.reason`.
   */
  markExited(exit: ChildExit): boolean {
    if (this.phase === 'exited') return false;
    if (this.phase === 'waiting') {
      this.rejectStarted(
        new SchedulerError('GATOR_SCHEDULER_LAUNCH', this.scheduler, `'${this.label}' never started: ${exit.reason ?? 'unknown reason'}`),
      );
    }
    this.phase = 'exited';
    this.detachAbort?.();
    this.resolveExited(exit);
    return true;
  }
}

// ------------------------------------------------------------------ process groups

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Send `signal` to the whole group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

const HAS_PROC = fs.existsSync('/proc/self/stat');

/**
 * Whether a non-zombie process of group `pgid` still runs. `kill(-pgid, 0)`
 * alone is not enough: orphaned zombies keep a group "alive" for ever where
 * the init process does not reap them (containers), so on Linux the members
 * are looked up in /proc.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return false;
  }
  if (!HAS_PROC) return true;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // `pid (comm) state ppid pgrp …`; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}

/**
 * End group `pgid`: SIGTERM (unless `termSentAt`, a `Date.now()`, says it was
 * already sent), SIGKILL once `graceMs` have passed since, then wait briefly
 * for it to go. Resolves at once for a group with no live member.
 */
export async function sweepGroup(pgid: number, graceMs: number, termSentAt?: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  const since = termSentAt ?? Date.now();
  if (termSentAt === undefined && !signalGroup(pgid, 'SIGTERM')) return;
  if (await waitGone(pgid, Math.max(0, since + graceMs - Date.now()))) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, 2000);
}

/** A child that could not be started: it never ran. */
export interface SpawnFailure {
  /** As a shell reports it: 126 found but not executable, 127 not found (or no working directory). */
  code: 126 | 127;
  /** `cannot start FILE: …`, also appended to the child's `scheduler.log`. */
  reason: string;
}

export interface SpawnInGroupOptions {
  /** The child's whole environment (usually `{ ...process.env, ...request.env }`). */
  env: Record<string, string | undefined>;
  /** Time between SIGTERM and SIGKILL when the group is stopped or swept. */
  graceMs: number;
  /**
   * Give the child Node's IPC channel on fd 0 instead of /dev/null (a Node child
   * only; the local scheduler's go channel, go-channel.ts): `ProcessGroup.send`
   * writes to it, `onMessage` reads it.
   */
  ipc?: boolean;
}

export interface SpawnInGroupEvents {
  /** The process runs. Always before `onExit`, never from inside the call. */
  onStart?(pid: number): void;
  /**
   * The leader has exited; the sweep of what it left in its group has begun
   * (`ProcessGroup.gone` settles when it is over).
   */
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
  /** It never ran: `spawnInGroup` returned undefined, and this follows (never from inside the call). */
  onFailure(failure: SpawnFailure): void;
  /** `scheduler.log` could not be opened: the child runs, its output is discarded. */
  onLogUnavailable?(error: Error, file: string): void;
  /** A message on the IPC channel (`options.ipc`). */
  onMessage?(message: unknown): void;
}

/** A child started by `spawnInGroup`: the leader of process group `pid`. */
export interface ProcessGroup {
  readonly pid: number;
  /** True once `terminate` was called: the child was stopped, it did not end on its own. */
  readonly terminating: boolean;
  /** Settles when the leader has exited and the sweep of its group is over (never rejects). */
  readonly gone: Promise<void>;
  /** SIGTERM to the group now, SIGKILL after the grace. Once; after the exit the sweep does it. */
  terminate(): void;
  /** SIGKILL to the group now, without grace (a last resort when this process exits). */
  kill(): void;
  /** Send on the IPC channel (`options.ipc`); false when there is none or it is closed. */
  send(message: unknown): boolean;
  /** The IPC channel's end here (`options.ipc`), for a `FrameSocket` on it (frame-socket.ts). */
  readonly channel: IpcEndpoint | undefined;
}

/**
 * Start `request.command` (argv, no shell) in `request.cwd` as the leader of a
 * new process group, stdout and stderr appended to `<tracking>/scheduler.log`
 * (created 0600). Returns the group, or undefined when the child cannot start
 * (then `onFailure` says why). When the leader exits, what is left in its
 * group is ended too: SIGTERM (unless `terminate` sent it), SIGKILL after the
 * grace.
 */
export function spawnInGroup(
  request: Pick<LaunchRequest, 'command' | 'cwd' | 'tracking'>,
  options: SpawnInGroupOptions,
  events: SpawnInGroupEvents,
): ProcessGroup | undefined {
  const logFile = layerFile(request.tracking, 'scheduler');
  const [file, ...args] = request.command as [string, ...string[]];
  const fail = (code: 126 | 127, detail: string) => {
    const reason = `cannot start ${file}: ${detail}`;
    try {
      fs.appendFileSync(logFile, `${reason}\n`, { mode: 0o600 });
    } catch {
      /* the tracking directory is gone too; the reason still reaches the tier */
    }
    // Never from inside the call: the caller has not seen its result yet.
    process.nextTick(() => events.onFailure({ code, reason }));
  };
  // spawn() would report a missing cwd as a missing executable.
  if (!isDirectory(request.cwd)) {
    fail(127, `working directory ${request.cwd} does not exist`);
    return undefined;
  }
  let output: number | 'ignore' = 'ignore';
  try {
    output = fs.openSync(logFile, 'a', 0o600);
  } catch (error) {
    events.onLogUnavailable?.(error as Error, logFile);
  }
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(file, args, { cwd: request.cwd, env: options.env, stdio: [options.ipc ? 'ipc' : 'ignore', output, output], detached: true });
  } catch (error) {
    fail(127, (error as Error).message);
    return undefined;
  } finally {
    // The child has its own copy of the descriptor.
    if (typeof output === 'number') fs.closeSync(output);
  }
  child.once('error', (error: NodeJS.ErrnoException) => {
    // With a pid, 'error' only reports a failed kill(): the exit still comes.
    if (child.pid === undefined) fail(error.code === 'EACCES' ? 126 : 127, error.message);
  });
  if (child.pid === undefined) return undefined;
  const pid = child.pid;
  if (options.ipc) {
    if (events.onMessage) child.on('message', (message) => events.onMessage!(message));
  }
  const { graceMs } = options;
  let termSentAt: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let exited = false;
  let done = false;
  let markGone!: () => void;
  const gone = new Promise<void>((resolve) => {
    markGone = () => {
      done = true;
      resolve();
    };
  });
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    events.onStart?.(pid);
  };
  child.once('spawn', start);
  child.once('exit', (code, signal) => {
    exited = true;
    if (killTimer) clearTimeout(killTimer);
    // It had a pid, so it did start, even if 'spawn' has not been seen yet.
    start();
    void sweepGroup(pid, graceMs, termSentAt)
      .catch(() => {})
      .then(markGone);
    events.onExit(code, signal);
  });
  return {
    pid,
    get terminating() {
      return termSentAt !== undefined;
    },
    gone,
    terminate() {
      if (exited || termSentAt !== undefined) return;
      termSentAt = Date.now();
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    },
    kill() {
      if (!done) signalGroup(pid, 'SIGKILL');
    },
    channel: options.ipc ? child : undefined,
    send(message: unknown) {
      if (!child.connected) return false;
      // A child that exits as this is sent is reported by its exit, not here.
      child.send(message as object, (error) => void error);
      return true;
    },
  };
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

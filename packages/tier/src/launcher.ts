/**
 * Hands one child to the scheduler (how-gator-works.md: "a scheduler
 * abstracts launching wrappers and nested tiers"): builds its launch request
 * (Python's child command line from the layer's settings, its credential in a
 * file of its tracking directory, never in argv) and watches the handle until the process
 * has ended, telling the orchestrator how.
 */
import {
  childCommandLine,
  removeCredentialFile,
  writeCredentialFile,
  type CredentialFile,
  type ChildCommand,
  jobResources,
  layerFile,
  type ChildExit,
  type LaunchRequest,
  type LaunchedChild,
  type LayerSettings,
  type Scheduler,
} from '@gator/protocol';
import type { ChildRecord } from './children.js';

export interface LaunchContext {
  scheduler: Scheduler;
  /** How a child Gator process is started. */
  childCommand: ChildCommand;
  /** The settings every child gets (the scheduler's own child options already merged in). */
  settings: () => LayerSettings;
  /** This tier's server address (`host:port`). */
  parent: () => string;
  /** What child `id` gets in its credential file (its credential, the run's read token). */
  credential: (id: string) => CredentialFile;
  cwd: string;
}

/** A launch request for `rec`, whose tracking directory is `dir` and path in the tree `childPath`. */
export function launchRequest(ctx: LaunchContext, rec: ChildRecord, dir: string, childPath: string[]): LaunchRequest {
  const parent = ctx.parent();
  // The credential goes in a file of the child's own directory, which it reads and removes as it
  // starts: not in argv, not in an environment its job could read, and the same environment for
  // every task of an array (a scheduler submits them as one).
  writeCredentialFile(dir, ctx.credential(rec.id));
  const spec = rec.live?.spec;
  return {
    id: rec.id,
    path: childPath,
    kind: rec.kind,
    command: childCommandLine(ctx.childCommand, ctx.settings(), { parent, id: rec.id, tracking: dir }),
    env: {},
    cwd: ctx.cwd,
    parent,
    tracking: dir,
    resources: rec.kind === 'job' && spec?.kind === 'job' ? jobResources(spec) : { cores: 0, memoryMb: 0, licenses: {} },
    ...(rec.index !== undefined && rec.arraySize !== undefined ? { array: { base: rec.baseId, index: rec.index, size: rec.arraySize } } : {}),
  };
}

export interface LaunchWatch {
  /** The scheduler accepted the child (its handle). */
  onHandle(rec: ChildRecord, handle: LaunchedChild): void;
  /** The scheduler refused it. */
  onRefused(rec: ChildRecord, error: Error): void;
  /** Its process ended (or the scheduler lost track of it). */
  onExit(rec: ChildRecord, exit: ChildExit): void;
}

/** Launches children and keeps the promises of their exits, so the tier can wait for them at the end. */
export class Launcher {
  private readonly waits = new Set<Promise<unknown>>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly watch: LaunchWatch,
  ) {}

  /** Exits still awaited. */
  get pending(): number {
    return this.waits.size;
  }

  launch(rec: ChildRecord, request: LaunchRequest): void {
    let launching: Promise<LaunchedChild>;
    try {
      launching = Promise.resolve(this.scheduler.launch(request));
    } catch (error) {
      launching = Promise.reject(error);
    }
    const watched = launching.then(
      (handle) => {
        this.watch.onHandle(rec, handle);
        return handle.exited.then(
          (exit) => this.watch.onExit(rec, exit),
          (error: Error) => this.watch.onExit(rec, { code: null, signal: null, reason: `the scheduler lost track of it: ${error.message}` }),
        );
      },
      (error: Error) => this.watch.onRefused(rec, error),
    );
    this.waits.add(watched);
    void watched.finally(() => {
      this.waits.delete(watched);
      // A child that never started leaves its credential: it is of no use to anyone now.
      removeCredentialFile(request.tracking);
    });
  }

  /** Ask the scheduler to end a child; a scheduler's failure here changes nothing. */
  stop(id: string): void {
    void Promise.resolve()
      .then(() => this.scheduler.stop(id))
      .catch(() => {});
  }

  /** Resolves when every launched child's exit was seen, or after `ms`. */
  async settle(ms: number): Promise<void> {
    if (this.waits.size === 0) return;
    await Promise.race([
      Promise.allSettled([...this.waits]),
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        t.unref?.();
      }),
    ]);
  }
}

/** What a child's end looks like to a person: how the process ended and where to look. */
export function describeExit(exit: ChildExit, dir: string): string {
  let text: string;
  if (exit.neverStarted) text = 'never started';
  else if (exit.signal) text = `killed by ${exit.signal}`;
  else if (exit.code !== null) text = `process exited with code ${exit.code} before completing`;
  else text = 'process ended before completing';
  if (exit.reason) text += ` (${exit.reason})`;
  return `${text}; see ${layerFile(dir, 'scheduler')}`;
}

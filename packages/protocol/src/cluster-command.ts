/**
 * Running a cluster engine's commands (sbatch, qsub, squeue, qstat…) for a
 * scheduler: `runCommand` never throws (a failure is a result with its exit
 * code and stderr, so that the scheduler can turn it into a child's exit
 * reason or a retry), `CommandLimiter` bounds how many run at once, and
 * `runWithRetries` sends a command again while the engine's answer says it
 * was briefly unreachable. What counts as transient, and how the engine words
 * its errors, stays with the scheduler.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code; null when the command could not run or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started (ENOENT…) or timed out. */
  error?: NodeJS.ErrnoException;
}

export interface RunCommandOptions {
  env?: NodeJS.ProcessEnv;
  /** Killed after this long (default 60 s): a controller that does not answer must not hang the run. */
  timeoutMs?: number;
}

/** Run `file args…` (no shell) and collect its output. */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const e = error as NodeJS.ErrnoException & { code?: number | string };
        const code = typeof e.code === 'number' ? e.code : null;
        resolve({ code, stdout: stdout ?? '', stderr: stderr ?? '', ...(code === null ? { error: e } : {}) });
      },
    );
  });
}

/** Whether `result` is a command that was killed for taking longer than its timeout. */
export function commandTimedOut(result: CommandResult): boolean {
  return (result.error as { killed?: boolean } | undefined)?.killed === true;
}

/**
 * Why a command could not run at all (not found, timed out, not startable),
 * or undefined when it ran and exited: then its own stderr says why.
 */
export function commandRunFailure(command: string, result: CommandResult): string | undefined {
  if (!result.error) return undefined;
  if (result.error.code === 'ENOENT') return `${command} not found on PATH`;
  if (commandTimedOut(result)) return `${command} timed out`;
  return `${command} could not run: ${result.error.message}`;
}

/** A first-come first-served limit on concurrent commands (busy controllers, small login nodes). */
export class CommandLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Whether a failed result is worth another try (the engine was briefly unreachable). */
  transient(result: CommandResult): boolean;
  /** Called before each new attempt, with the result that failed. */
  onRetry?(result: CommandResult): void;
}

/** Pause before attempt `attempt` (1, 2…): 1 s, 2 s, 4 s… */
const retryDelayMs = (attempt: number) => 500 * 2 ** attempt;

/**
 * Run `run` until it succeeds, fails for good, or `attempts` are used up,
 * pausing longer each time; resolves with the last result.
 */
export async function runWithRetries(run: () => Promise<CommandResult>, options: RetryOptions): Promise<CommandResult> {
  let result = await run();
  for (let attempt = 1; attempt < options.attempts; attempt++) {
    if (result.code === 0 || !options.transient(result)) break;
    options.onRetry?.(result);
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
    result = await run();
  }
  return result;
}

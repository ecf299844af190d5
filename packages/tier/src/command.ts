/**
 * The command line that starts one child Gator process (cli-and-scheduler.md §4),
 * token for token as Python Gator builds it, with `childCommand` in place of
 * `python3 -m gator`. It is an argv array (no shell), so ids and paths with
 * spaces survive. The run secret never appears here: it travels in the
 * child's environment (`GATOR_TOKEN`).
 */
import { UsageError } from '@gator/protocol';

/** Per-layer message limits, passed unchanged to every child (protocol.md §8). */
export interface LayerLimits {
  /** `null`/absent: unlimited (Python's default). */
  warning?: number | null;
  /** Default 0. */
  error?: number;
  /** Default 0. */
  critical?: number;
}

export interface ChildCommandOptions {
  /** argv prefix that starts a Gator process, e.g. `[process.execPath, '/…/cli.js']`. */
  childCommand: readonly string[];
  limits?: LayerLimits;
  /** The tier's own server address (`host:port`, no token). */
  parent: string;
  /** Heartbeat seconds. */
  interval: number;
  /** Scheduler name (`local`). */
  scheduler: string;
  /** `--all-msg` when true, else `--quiet`. */
  allMsg: boolean;
  /** The child's id (`sim_3`). */
  id: string;
  /** The child's tracking directory. */
  tracking: string;
  /** Options passed down as `--sched-arg k=v`, in insertion order. */
  schedArgs?: Record<string, string>;
}

function limitValue(name: string, value: number): string {
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`--limit-${name} must be an integer >= 0, got ${value}`);
  }
  return String(value);
}

/**
 * `[...childCommand, [--limit-warning=W], --limit-error=E, --limit-critical=C,
 * --parent, ADDR, --interval, N, --scheduler, NAME, --all-msg|--quiet, --id, ID,
 * --tracking, DIR, --sched-arg, k=v, …]`.
 */
export function buildChildCommand(options: ChildCommandOptions): string[] {
  const { childCommand, limits = {}, parent, interval, scheduler, allMsg, id, tracking, schedArgs = {} } = options;
  if (childCommand.length === 0 || childCommand.some((part) => typeof part !== 'string' || part.length === 0)) {
    throw new UsageError('childCommand must be a non-empty list of non-empty strings (e.g. [process.execPath, cli.js])');
  }
  if (!id) throw new UsageError('A child needs a non-empty id');
  if (!tracking) throw new UsageError(`Child '${id}' needs a tracking directory`);
  if (!parent) throw new UsageError(`Child '${id}' needs the parent's address`);
  if (!(typeof interval === 'number' && Number.isFinite(interval) && interval > 0)) {
    throw new UsageError(`The heartbeat interval must be a number of seconds > 0, got ${interval}`);
  }
  const argv = [...childCommand];
  if (limits.warning !== undefined && limits.warning !== null) argv.push(`--limit-warning=${limitValue('warning', limits.warning)}`);
  argv.push(`--limit-error=${limitValue('error', limits.error ?? 0)}`);
  argv.push(`--limit-critical=${limitValue('critical', limits.critical ?? 0)}`);
  argv.push('--parent', parent, '--interval', String(interval), '--scheduler', scheduler);
  argv.push(allMsg ? '--all-msg' : '--quiet');
  argv.push('--id', id, '--tracking', tracking);
  for (const [key, value] of Object.entries(schedArgs)) {
    if (key.includes('=') || key.trim() === '') {
      throw new UsageError(`Scheduler option names cannot be empty or contain '=': ${JSON.stringify(key)}`);
    }
    argv.push('--sched-arg', `${key}=${value}`);
  }
  return argv;
}

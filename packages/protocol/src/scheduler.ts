/**
 * # The scheduler contract
 *
 * A tier runs each of its children (a wrapper for a `!Job`, a nested tier for a
 * `!JobGroup`/`!JobArray`) as a separate process, and asks a **scheduler** to
 * start it somewhere: on this machine (`@gator/scheduler-local`), on a Slurm
 * cluster (`@gator/scheduler-slurm`), or anywhere a third-party package can
 * reach. This file is the whole contract between a tier and a scheduler.
 *
 * What the contract covers: starting a child process with the command line,
 * environment and working directory the tier chose; honouring the child's
 * resource request (cores, memory, licenses) before starting it; telling the
 * tier when the process has ended and how; stopping one child or all of them.
 *
 * What it deliberately leaves out: results, messages and dependencies (the
 * tier learns those from the child itself over the websocket, never from the
 * scheduler); how a cluster is talked to (queues, `sbatch` flags, polling);
 * where the tier's server listens (the tier passes its address in the
 * command line). A scheduler owns the processes or cluster jobs it started and
 * must leave none behind after `close()`.
 *
 * ## Rules a type checker cannot enforce
 * - `launch` returns at once with a handle; it never waits for the child to
 *   finish. It may queue the child until its resources are free.
 * - A child that fails or crashes is **not** an error of `launch`: its handle's
 *   `exited` resolves with the code (or signal, or the cluster's reason).
 *   `launch` rejects only when the request itself can never be run (e.g. more
 *   cores than the pool has) — and `check` should have caught that earlier.
 * - `exited` always settles: after a normal exit, a kill, a cancel before the
 *   start, or `close()`.
 * - `stop(id)` and `close()` are safe to call more than once, and for children
 *   that already ended. `stop` sends SIGTERM (or the cluster's equivalent) to
 *   the child's whole process group and escalates to SIGKILL after a grace
 *   period.
 * - Never write to the console: report through the returned values, or the
 *   optional `onEvent` callback of the factory context.
 * - Resources are counted only while a child runs; tier children (`kind:
 *   'tier'`) take no resources. A scheduler may start a job's process before
 *   its resources are free when that process waits to be told to run (the
 *   local scheduler's pre-started wrappers, `go-channel.ts`): `started` then
 *   resolves when it is told, and resources count from then.
 *
 * `child-handle.ts` keeps the handle and process-group rules for schedulers
 * that want it (`ChildHandle`, `spawnInGroup`).
 */
import { z } from 'zod';
import { closest, distance } from 'fastest-levenshtein';
import { SchedulerError } from './errors.js';
import { lazySchema } from './lazy.js';

/** What a child needs while it runs. Tiers ask for nothing. */
export const ResourceRequestSchema = lazySchema(() =>
  z.object({
    /** CPU cores (0 = no request: one job slot is still used for a job). */
    cores: z.number().nonnegative().default(0),
    /** Memory in MB (decimal: 1 GB = 1000 MB), 0 = no request. */
    memoryMb: z.number().nonnegative().default(0),
    /** License name → seats. */
    licenses: z.record(z.string(), z.number().int().positive()).default({}),
  }),
);
export type ResourceRequest = z.infer<typeof ResourceRequestSchema>;

/** One child for a scheduler to start. */
export const LaunchRequestSchema = lazySchema(() =>
  z.object({
    /** Child id, unique within the tier (`sim_3`). */
    id: z.string().min(1),
    /** The child's path in the tree, root first, ending with `id` (for job names and logs). */
    path: z.array(z.string()),
    /** `job` runs under a wrapper; `tier` is a nested group/array and takes no resources. */
    kind: z.enum(['job', 'tier']),
    /** argv of the child Gator process: `[node, cli.js, --parent, …]`. Never contains the run secret. */
    command: z.array(z.string()).min(1),
    /** Variables to add to the scheduler's own environment for the child (the run secret travels here). */
    env: z.record(z.string(), z.string()).default({}),
    /** Working directory of the child process. */
    cwd: z.string(),
    /** The tier's websocket address (`host:port`), also present in `command`. */
    parent: z.string(),
    /** The child's tracking directory (exists before launch): a place for scheduler logs. */
    tracking: z.string(),
    resources: ResourceRequestSchema.default({ cores: 0, memoryMb: 0, licenses: {} }),
    /** For children of a `!JobArray`: the entry's base id and index, so a scheduler may batch them. */
    array: z.object({ base: z.string(), index: z.number().int().nonnegative(), size: z.number().int().positive() }).optional(),
  }),
);
export type LaunchRequest = z.infer<typeof LaunchRequestSchema>;
export type LaunchRequestInput = z.input<typeof LaunchRequestSchema>;

/**
 * Parse the request given to `launch`: a malformed one is a `SchedulerError`
 * (`GATOR_SCHEDULER_LAUNCH`) naming the first bad field.
 */
export function parseLaunchRequest(scheduler: string, input: unknown): LaunchRequest {
  const parsed = LaunchRequestSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SchedulerError(
    'GATOR_SCHEDULER_LAUNCH',
    scheduler,
    `Invalid launch request${issue ? ` (${issue.path.join('.') || 'request'}: ${issue.message})` : ''}.`,
  );
}

/** How a child process ended, as far as the scheduler can tell. */
export interface ChildExit {
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  /** Signal name (`SIGKILL`) when killed by one. */
  signal: string | null;
  /** True when the child never started (stopped while queued, or rejected by the cluster). */
  neverStarted?: boolean;
  /** The cluster's or scheduler's words about the end (`TIMEOUT`, `cancelled while queued`, …). */
  reason?: string;
}

/** The scheduler's handle on one launched child. */
export interface LaunchedChild {
  readonly id: string;
  /** Resolves when the process has been started (after waiting for resources). */
  readonly started: Promise<void>;
  /** Always settles, see `ChildExit`. */
  readonly exited: Promise<ChildExit>;
  /** Process id on this machine, or the cluster's job id, once known. */
  readonly handle?: string;
}

export type Support = 'unsupported' | 'experimental' | 'stable';

/** What a scheduler honours; the tier rejects specs that need more, before launching anything. */
export interface SchedulerCapabilities {
  /** Queues children until the requested cores/memory are free. */
  cores: Support;
  memory: Support;
  licenses: Support;
  /** Children can run on other hosts (the tier must listen on a reachable address). */
  remote: boolean;
}

export interface LaunchOptions {
  /** Aborting cancels a queued child, or stops a started one. */
  signal?: AbortSignal;
}

/**
 * A silent child's process as its scheduler sees it: `frozen` (stopped, as by
 * SIGSTOP, or traced), `gone` (exited or never there), `running` (alive: busy or
 * slow, not frozen).
 */
export type ChildProcessState = 'frozen' | 'gone' | 'running';

export interface Scheduler {
  /** Short name, as given to `--scheduler` (`local`, `slurm`). */
  readonly name: string;
  readonly capabilities: SchedulerCapabilities;
  /** Start (or queue) one child and return its handle at once. */
  launch(request: LaunchRequest, options?: LaunchOptions): Promise<LaunchedChild>;
  /** End one child: cancel it if queued, terminate its process group if running. */
  stop(id: string): Promise<void>;
  /** End every child and release everything (servers, pollers). Resolves when all have exited. */
  close(): Promise<void>;
  /**
   * Optional: a request this scheduler can never satisfy (more cores than the
   * pool has, an unknown license) → a message naming the resource, else undefined.
   * The tier calls it for every job before the run starts.
   */
  check?(request: Pick<LaunchRequest, 'id' | 'path' | 'kind' | 'resources'>): string | undefined;
  /** Optional: options to pass to child tiers (`--sched-arg k=v`), e.g. a shared pool's address. */
  childOptions?(): Record<string, string>;
  /**
   * Optional: the state of a started child's process, where the scheduler can
   * see it (the local one reads /proc), so that a child gone silent is told
   * as frozen, dead or slow. Undefined when it cannot tell.
   */
  inspect?(id: string): ChildProcessState | undefined;
  /**
   * Optional, for remote schedulers (`capabilities.remote`): the host name or
   * address children on other hosts must connect to, which the tier advertises...
   */
  readonly advertiseHost?: string;
  /** ...and the interface its server must bind for them to reach it (e.g. `0.0.0.0`). */
  readonly listenHost?: string;
}

/** What a scheduler factory receives. */
export interface SchedulerContext {
  /** `--sched-arg KEY=VALUE` options (keys trimmed and lower-cased). */
  options: Record<string, string>;
  /** The run's secret, for schedulers that run servers of their own. */
  token?: string;
  /** Optional sink for diagnostics (the tier stores them as DEBUG messages). */
  onEvent?: (event: { level: 'debug' | 'info' | 'warning' | 'error'; message: string }) => void;
}

/**
 * The `--sched-arg` options a scheduler accepts: each name's schema, reading
 * the string given (or `undefined` when it is not given).
 */
export type SchedulerOptionSchemas = Readonly<Record<string, z.ZodType>>;

export type SchedulerFactory = ((context: SchedulerContext) => Scheduler | Promise<Scheduler>) & {
  /**
   * Optional: the options it accepts. When declared, the CLI refuses unknown
   * keys (suggesting the closest) and bad values before anything runs, even
   * for a spec that never creates the scheduler (a lone `!Job`).
   */
  readonly options?: SchedulerOptionSchemas;
};

/**
 * A scheduler package's default export: `export default defineScheduler((ctx)
 * => new MyScheduler(ctx), { options: { queue: z.string().optional() } })`.
 */
export function defineScheduler(
  factory: (context: SchedulerContext) => Scheduler | Promise<Scheduler>,
  declared: { options?: SchedulerOptionSchemas } = {},
): SchedulerFactory {
  return declared.options ? Object.assign(factory, { options: declared.options }) : factory;
}

/** True when `value` looks like a scheduler factory (a function of one argument). */
export function isSchedulerFactory(value: unknown): value is SchedulerFactory {
  return typeof value === 'function';
}

/** True when `value` implements the required members of `Scheduler`. */
export function isScheduler(value: unknown): value is Scheduler {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.name === 'string' &&
    typeof s.capabilities === 'object' &&
    s.capabilities !== null &&
    typeof s.launch === 'function' &&
    typeof s.stop === 'function' &&
    typeof s.close === 'function'
  );
}

/** Read an option with a zod schema; a bad or missing value is a `SchedulerError` naming it. */
export function schedulerOption<T extends z.ZodType>(
  scheduler: string,
  options: Record<string, string>,
  name: string,
  schema: T,
): z.infer<T> {
  const parsed = schema.safeParse(options[name]);
  if (parsed.success) return parsed.data;
  const given = options[name];
  throw new SchedulerError(
    'GATOR_SCHEDULER_OPTION',
    scheduler,
    given === undefined
      ? `Missing required option \`${name}\`.`
      : `Option \`${name}=${given}\` is invalid: ${parsed.error.issues[0]?.message ?? 'bad value'}.`,
    { hint: `Pass it as --sched-arg ${name}=VALUE.` },
  );
}

/** The name in `names` nearest to `word` by edit distance, when near enough to be a typo. */
export function closestName(word: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const best = closest(word, [...names]);
  // A typo changes a few letters; a name half rewritten is not a suggestion.
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Check `--sched-arg` options against what a scheduler declares: an unknown
 * key (with the closest known one suggested) or a bad value is a
 * `SchedulerError` naming it. Keys in `alsoKnown` (options other layers read,
 * e.g. ones a tier passes to its children) are let through.
 */
export function checkSchedulerArgs(
  scheduler: string,
  options: Record<string, string>,
  schemas: SchedulerOptionSchemas,
  alsoKnown: readonly string[] = [],
): void {
  const names = Object.keys(schemas);
  for (const key of Object.keys(options)) {
    if (key in schemas || alsoKnown.includes(key)) continue;
    const near = closestName(key, names);
    throw new SchedulerError('GATOR_SCHEDULER_OPTION', scheduler, `Unknown option \`${key}\` (--sched-arg ${key}=${options[key]}).${near ? ` Did you mean ${near}?` : ''}`, {
      hint: `The ${scheduler} scheduler's options: ${names.join(', ')}.`,
    });
  }
  for (const [name, schema] of Object.entries(schemas)) schedulerOption(scheduler, options, name, schema);
}

/** Parse `KEY=VALUE` strings (keys trimmed and lower-cased, values trimmed). */
export function parseSchedulerArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      throw new SchedulerError('GATOR_SCHEDULER_OPTION', 'args', `Malformed scheduler argument cannot be parsed as <KEY>=<VALUE>: ${arg}`);
    }
    out[arg.slice(0, eq).trim().toLowerCase()] = arg.slice(eq + 1).trim();
  }
  return out;
}

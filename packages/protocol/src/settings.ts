/**
 * The settings of a layer, declared once. Every tier and wrapper process is
 * started with Python Gator's child command line (cli-and-scheduler.md §4):
 *
 *   gator [--limit-warning=W] --limit-error=E --limit-critical=C --parent H:P
 *         --interval N --scheduler NAME (--all-msg|--quiet) --id ID
 *         --tracking DIR [--sched-arg k=v …]
 *
 * `LAYER_FLAGS` is the one table behind it: the CLI registers its options and
 * help from it, `readLayerSettings` parses and validates what the CLI (or a
 * library caller) gave, and `childArgv` writes the same settings back for a
 * child, which reads them with the same table. The run secret is never a
 * setting: it travels in the environment.
 */
import { UsageError } from './errors.js';
import { DEFAULT_LIMITS, type LayerLimits } from './limits.js';
import { parseSchedulerArgs } from './scheduler.js';

/** What every layer of a run is configured with, and passes on to its children unchanged. */
export interface LayerSettings {
  /** Heartbeat and resource-sampling period, seconds (> 0). */
  interval: number;
  /** Per-layer message limits (this layer's own counts). */
  limits: LayerLimits;
  /** Scheduler name children are given (`--scheduler`). */
  scheduler: string;
  /** Forward every message up the tree (`--all-msg`; children otherwise get `--quiet`). */
  allMsg: boolean;
  /** `--sched-arg k=v` options, keys lower-cased, in order. */
  schedArgs: Record<string, string>;
}

/** Where a child is: what `childArgv` writes besides the settings. */
export interface ChildPlace {
  /** The parent tier's server, `host:port` (no token). */
  parent: string;
  /** The child's id (`sim_3`). */
  id: string;
  /** The child's tracking directory. */
  tracking: string;
}

export const DEFAULT_INTERVAL = 5;

export const DEFAULT_SETTINGS: LayerSettings = {
  interval: DEFAULT_INTERVAL,
  limits: DEFAULT_LIMITS,
  scheduler: 'local',
  allMsg: false,
  schedArgs: {},
};

/** What the command-line parser hands over: strings, lists of strings, booleans. */
export type RawFlags = Record<string, unknown>;

/**
 * One flag: its cac spelling (`--interval <seconds>`), its help line, the
 * camel-case key the parser stores it under, Python's `GATOR__NAME`
 * environment default, and how a child's command line carries it.
 */
export interface FlagSpec {
  readonly flag: string;
  readonly help: string;
  readonly key: string;
  readonly env?: string;
  /** Repeatable (`--sched-arg a=1 --sched-arg b=2`). */
  readonly list?: boolean;
  /** The child's tokens for these settings and place (in Python's order); absent: not passed down. */
  readonly child?: (settings: LayerSettings, place: ChildPlace) => string[];
}

/** The flags of Python Gator's child command line, in the order it writes them. */
export const LAYER_FLAGS = [
  {
    flag: '--limit-warning <n>',
    key: 'limitWarning',
    env: 'LIMIT_WARNING',
    help: 'Max WARNING messages per job before it fails (default unlimited)',
    child: (s) => (s.limits.warning === null ? [] : [`--limit-warning=${s.limits.warning}`]),
  },
  {
    flag: '--limit-error <n>',
    key: 'limitError',
    env: 'LIMIT_ERROR',
    help: 'Max ERROR messages per job (default 0)',
    child: (s) => [`--limit-error=${s.limits.error}`],
  },
  {
    flag: '--limit-critical <n>',
    key: 'limitCritical',
    env: 'LIMIT_CRITICAL',
    help: 'Max CRITICAL messages per job (default 0)',
    child: (s) => [`--limit-critical=${s.limits.critical}`],
  },
  {
    flag: '--parent <host:port>',
    key: 'parent',
    env: 'PARENT',
    help: 'Parent tier address (child processes only)',
    child: (_s, place) => ['--parent', place.parent],
  },
  {
    flag: '--interval <seconds>',
    key: 'interval',
    env: 'INTERVAL',
    help: `Heartbeat and resource-sampling interval (default ${DEFAULT_INTERVAL})`,
    child: (s) => ['--interval', String(s.interval)],
  },
  {
    flag: '--scheduler <name>',
    key: 'scheduler',
    env: 'SCHEDULER',
    help: 'Scheduler: local, slurm, sge, an installed gator-scheduler-NAME package or a module path (default local)',
    child: (s) => ['--scheduler', s.scheduler],
  },
  {
    flag: '--all-msg',
    key: 'allMsg',
    env: 'ALL_MSG',
    help: 'Forward every message up the tree to this console',
    child: (s) => [s.allMsg ? '--all-msg' : '--quiet'],
  },
  {
    flag: '--id <ident>',
    key: 'id',
    env: 'IDENT',
    help: 'Identifier of this layer (overrides the spec ident)',
    child: (_s, place) => ['--id', place.id],
  },
  {
    flag: '--tracking <dir>',
    key: 'tracking',
    env: 'TRACKING',
    help: 'Tracking directory of the run (default ./tracking/<timestamp>)',
    child: (_s, place) => ['--tracking', place.tracking],
  },
  {
    flag: '--sched-arg <key=value>',
    key: 'schedArg',
    list: true,
    help: 'Scheduler option, repeatable (e.g. concurrency=4, licenses=simtool:2, wrappers=inprocess: see the examples)',
    child: (s) => Object.entries(s.schedArgs).flatMap(([key, value]) => ['--sched-arg', `${key}=${value}`]),
  },
  {
    flag: '--host <address>',
    key: 'host',
    help: 'Interface the layer servers bind (default 127.0.0.1)',
  },
  {
    flag: '--advertise-host <name>',
    key: 'advertiseHost',
    help: 'Host name or address children use to reach this layer (remote schedulers)',
  },
] as const satisfies readonly FlagSpec[];

function last(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** The value of a flag, else its `GATOR__NAME` environment default (Python's rule: the command line wins). */
export function flagValue(spec: FlagSpec, raw: RawFlags, env: NodeJS.ProcessEnv = process.env): unknown {
  const given = raw[spec.key];
  if (given !== undefined && given !== null && given !== '' && !(Array.isArray(given) && given.length === 0)) return spec.list ? given : last(given);
  const fromEnv = spec.env ? env[`GATOR__${spec.env}`] : undefined;
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** A string flag's value (a value-less `--tracking` is `true` to cac: not a value). */
export function stringFlag(spec: FlagSpec, raw: RawFlags, env?: NodeJS.ProcessEnv): string | undefined {
  const value = flagValue(spec, raw, env);
  return value === undefined || typeof value === 'boolean' ? undefined : String(value);
}

function flag(key: (typeof LAYER_FLAGS)[number]['key']): FlagSpec {
  return LAYER_FLAGS.find((f) => f.key === key)!;
}

function nonNegativeInt(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 0 || String(value).trim() === '') {
    throw new UsageError(`--limit-${name} expects a whole number >= 0, got '${String(value)}'`);
  }
  return n;
}

function positiveSeconds(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n <= 0 || String(value).trim() === '') {
    throw new UsageError(`--interval expects a positive number of seconds, got '${String(value)}'`);
  }
  return n;
}

function truthy(value: unknown): boolean {
  return value === true || value === '1' || value === 'true' || value === 1;
}

/**
 * Read and check every layer setting from parsed flags (and `GATOR__*`
 * defaults): the one place they are validated. Throws `UsageError` naming
 * the flag.
 */
export function readLayerSettings(raw: RawFlags, env: NodeJS.ProcessEnv = process.env): LayerSettings {
  const schedArgs = flagValue(flag('schedArg'), raw, env);
  const list = schedArgs === undefined || schedArgs === false ? [] : (Array.isArray(schedArgs) ? schedArgs : [schedArgs]).map(String);
  return {
    interval: positiveSeconds(flagValue(flag('interval'), raw, env)) ?? DEFAULT_INTERVAL,
    limits: {
      warning: nonNegativeInt('warning', flagValue(flag('limitWarning'), raw, env)) ?? null,
      error: nonNegativeInt('error', flagValue(flag('limitError'), raw, env)) ?? 0,
      critical: nonNegativeInt('critical', flagValue(flag('limitCritical'), raw, env)) ?? 0,
    },
    scheduler: (stringFlag(flag('scheduler'), raw, env) ?? 'local').trim(),
    allMsg: truthy(flagValue(flag('allMsg'), raw, env)),
    schedArgs: parseSchedulerArgs(list),
  };
}

/**
 * Settings given by a library caller (`createTier`, `createWrapper`): the same
 * checks as the command line, with the same defaults.
 */
export type LayerSettingsInput = {
  interval?: number | undefined;
  limits?: Partial<LayerLimits> | undefined;
  scheduler?: string | undefined;
  allMsg?: boolean | undefined;
  schedArgs?: Record<string, string> | undefined;
};

export function layerSettings(input: LayerSettingsInput): LayerSettings {
  const limits = input.limits ?? {};
  for (const [key, value] of Object.entries(input.schedArgs ?? {})) {
    if (key.includes('=') || key.trim() === '') {
      throw new UsageError(`Scheduler option names cannot be empty or contain '=': ${JSON.stringify(key)}`);
    }
    if (typeof value !== 'string') throw new UsageError(`Scheduler option ${key} must be a string, got ${typeof value}`);
  }
  return {
    interval: positiveSeconds(input.interval) ?? DEFAULT_INTERVAL,
    limits: {
      warning: limits.warning === null || limits.warning === undefined ? null : nonNegativeInt('warning', limits.warning)!,
      error: nonNegativeInt('error', limits.error) ?? 0,
      critical: nonNegativeInt('critical', limits.critical) ?? 0,
    },
    scheduler: input.scheduler ?? 'local',
    allMsg: input.allMsg === true,
    schedArgs: { ...(input.schedArgs ?? {}) },
  };
}

/**
 * How a tier starts a child Gator process: an argv prefix (`['gator']`,
 * `[process.execPath, cli.js]`) followed by `childArgv`'s tokens, or a
 * function that writes the whole argv (the CLI adds options of its own).
 */
export type ChildCommand = readonly string[] | ((settings: LayerSettings, place: ChildPlace) => string[]);

/** The argv of one child for a `ChildCommand`. */
export function childCommandLine(command: ChildCommand, settings: LayerSettings, place: ChildPlace): string[] {
  return typeof command === 'function' ? command(layerSettings(settings), place) : childArgv(command, settings, place);
}

/**
 * The command line of a child Gator process: `prefix` (what starts Gator, e.g.
 * `[process.execPath, cli.js]` or `['gator']`) then the settings and the
 * child's place, token for token as Python Gator writes them. An argv array
 * (no shell), so ids and paths with spaces survive.
 */
export function childArgv(prefix: readonly string[], settings: LayerSettingsInput, place: ChildPlace): string[] {
  if (prefix.length === 0 || prefix.some((part) => typeof part !== 'string' || part.length === 0)) {
    throw new UsageError('childCommand must be a non-empty list of non-empty strings (e.g. [process.execPath, cli.js])');
  }
  if (!place.id) throw new UsageError('A child needs a non-empty id');
  if (!place.tracking) throw new UsageError(`Child '${place.id}' needs a tracking directory`);
  if (!place.parent) throw new UsageError(`Child '${place.id}' needs the parent's address`);
  const checked = layerSettings(settings);
  return [...prefix, ...LAYER_FLAGS.flatMap((f: FlagSpec) => f.child?.(checked, place) ?? [])];
}

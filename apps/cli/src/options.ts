/**
 * The options of `gator run` (and of the child entry point, which is the same
 * command line, cli-and-scheduler.md §1), declared once: the layer settings of
 * `LAYER_FLAGS` (@gator/protocol), which every layer reads and passes to its
 * children, then what only the root uses. Parsing, help and validation come
 * from these two tables; so do the extra tokens a child's command line gets.
 */
import type { CAC } from 'cac';
import {
  DEFAULT_OUTPUT_LIMIT,
  IDENT_RULE,
  LAYER_FLAGS,
  OutputLimitSchema,
  UsageError,
  flagValue,
  identProblem,
  readLayerSettings,
  stringFlag,
  type FlagSpec,
  type LayerSettings,
  type OutputLimitSetting,
  type RawFlags,
} from '@gator/protocol';

/** Options of the root beyond the layer settings: what it shows, where it reports, what it reruns. */
export interface RootOptions {
  /** Plain output: failures, warnings and the summary only. */
  quiet: boolean;
  verbose: boolean;
  progress: boolean;
  hub?: string;
  /** `--rerun-failed [RUN]`: true for the latest run. */
  rerunFailed?: string | true;
  /** The selection file a child tier applies (written by the root). */
  rerunSelect?: string;
  /** `--new-seeds`: a rerun draws fresh seeds instead of reusing the recorded ones. */
  newSeeds: boolean;
  /** `--output-limit-lines` / `--output-limit-bytes`: the output limit of every job whose spec sets none. */
  outputLimit?: OutputLimitSetting;
  /** `--allow-tokenless`: accept children and readers without a credential (Python Gator's). */
  allowTokenless?: boolean;
}

/** Where this layer is and how it listens: not passed down (each child gets its own). */
export interface LayerIdentity {
  id?: string;
  parent?: string;
  tracking?: string;
  host?: string;
  advertiseHost?: string;
}

/** Everything `gator run` was given, checked once. */
export interface RunOptions {
  settings: LayerSettings;
  identity: LayerIdentity;
  root: RootOptions;
}

interface RootFlagSpec extends FlagSpec {
  /** Tokens of a child's command line for this root option (absent: not passed down). */
  readonly forChild?: (root: RootOptions) => string[];
}

/** The root's own flags (after the layer settings in help). */
export const ROOT_FLAGS = [
  { flag: '--quiet', key: 'quiet', help: 'Plain output: failures, warnings and the summary only' },
  { flag: '-v, --verbose', key: 'verbose', help: 'Show DEBUG messages' },
  { flag: '--progress', key: 'progress', help: 'Accepted for Python Gator compatibility (the live view is automatic on a terminal)' },
  { flag: '--hub <address>', key: 'hub', env: 'HUB', help: 'Register the run with a Gator Hub (host:port or URL)' },
  {
    flag: '--rerun-failed [run]',
    key: 'rerunFailed',
    help: 'Run only what failed, was lost or skipped in RUN (default: the latest run), plus its dependants',
  },
  {
    flag: '--new-seeds',
    key: 'newSeeds',
    help: 'With --rerun-failed: give rerun jobs fresh seeds (default: each reuses the seed and environment it ran with)',
  },
  {
    flag: '--output-limit-lines <n>',
    key: 'outputLimitLines',
    help: `Lines of its output each job stores at most, its first and its last (default ${DEFAULT_OUTPUT_LIMIT.lines}; a spec's output_limit wins)`,
  },
  {
    flag: '--output-limit-bytes <size>',
    key: 'outputLimitBytes',
    help: "Bytes of its output each job stores at most, e.g. 64MiB (default 256MiB; a spec's output_limit wins)",
  },
  {
    flag: '--allow-tokenless',
    key: 'allowTokenless',
    env: 'ALLOW_TOKENLESS',
    help: 'Accept children and readers that present no credential (Python Gator children, its hub); any local process can then act as a child that has not started yet, or read the run',
  },
  {
    flag: '--rerun-select <file>',
    key: 'rerunSelect',
    help: 'Internal: the rerun selection a child tier applies (written by the root)',
    forChild: (root) => (root.rerunSelect ? ['--rerun-select', root.rerunSelect] : []),
  },
] as const satisfies readonly RootFlagSpec[];

/** Options cac must not give a default or coerce (help text shows ours). */
const LIST_KEYS = new Set<string>(LAYER_FLAGS.filter((f: FlagSpec) => f.list).map((f) => f.key));

/** Register every run option on a cac command, from the two tables. */
export function registerRunOptions<C extends ReturnType<CAC['command']>>(command: C): C {
  for (const spec of [...LAYER_FLAGS, ...ROOT_FLAGS] as readonly FlagSpec[]) {
    command.option(spec.flag, spec.help, LIST_KEYS.has(spec.key) ? { type: [String] } : { default: undefined });
  }
  // `--id` may be repeated by Python's command lines (the last wins).
  return command;
}

function flag(key: string): FlagSpec {
  return ([...LAYER_FLAGS, ...ROOT_FLAGS] as readonly FlagSpec[]).find((f) => f.key === key)!;
}

function bool(raw: RawFlags, key: string): boolean {
  const value = flagValue(flag(key), raw);
  return value === true || value === 'true' || value === '1';
}

/**
 * `--id`: a child's id names its tracking directory (when no --tracking is
 * given) and is read back as an argument, so it must be a plain name, as
 * the idents of a spec (an array copy's `_<index>` makes it a little longer).
 */
function checkId(id: string): void {
  const problem = identProblem(id, 'id');
  if (problem) throw new UsageError(`--id ${JSON.stringify(id)} is not a valid id: ${problem}`, { hint: `An id is ${IDENT_RULE}.` });
}

/** Read and check what `gator run` was given (settings, identity, root options). */
export function readRunOptions(raw: RawFlags, env: NodeJS.ProcessEnv = process.env): RunOptions {
  const settings = readLayerSettings(raw, env);
  const text = (key: string) => stringFlag(flag(key), raw, env);
  const identity: LayerIdentity = {};
  for (const key of ['id', 'parent', 'tracking', 'host', 'advertiseHost'] as const) {
    const value = text(key);
    if (value !== undefined) identity[key] = value;
  }
  if (identity.id !== undefined) checkId(identity.id);
  const root: RootOptions = { quiet: bool(raw, 'quiet'), verbose: bool(raw, 'verbose'), progress: bool(raw, 'progress'), newSeeds: bool(raw, 'newSeeds') };
  const hub = text('hub');
  if (hub) root.hub = hub;
  if (bool(raw, 'allowTokenless') || ['1', 'true'].includes(text('allowTokenless') ?? '')) root.allowTokenless = true;
  const select = text('rerunSelect');
  if (select) root.rerunSelect = select;
  const outputLimit = readOutputLimit(raw);
  if (outputLimit) root.outputLimit = outputLimit;
  const rerun = raw.rerunFailed;
  if (rerun !== undefined && rerun !== false) root.rerunFailed = rerun === true ? true : String(Array.isArray(rerun) ? rerun[rerun.length - 1] : rerun);
  return { settings, identity, root };
}

/** `--output-limit-*`, checked with the spec's own rule (`output_limit` of the spec format). */
function readOutputLimit(raw: RawFlags): OutputLimitSetting | undefined {
  const given: Record<string, unknown> = {};
  for (const [key, field] of [['outputLimitLines', 'lines'], ['outputLimitBytes', 'bytes']] as const) {
    const value = flagValue(flag(key), raw);
    if (value === undefined || value === false) continue;
    const text = String(value).trim();
    // The command line gives text; the spec's rule takes an integer for lines.
    given[field] = field === 'lines' && /^\d+$/.test(text) ? Number(text) : text;
  }
  if (Object.keys(given).length === 0) return undefined;
  const parsed = OutputLimitSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = issue.path[0] === 'lines' ? '--output-limit-lines' : '--output-limit-bytes';
  throw new UsageError(`${name}: ${issue.message}`, { hint: 'e.g. --output-limit-lines 100000 --output-limit-bytes 64MiB' });
}

/** The tokens of root options a child's command line carries. */
export function rootTokensForChild(root: RootOptions): string[] {
  return (ROOT_FLAGS as readonly RootFlagSpec[]).flatMap((f) => f.forChild?.(root) ?? []);
}

/**
 * zod schemas of the work spec (spec-format.md §2) and the Gator extensions.
 * Every object carries `kind` (the YAML tag, never written as a key). The
 * schemas check types and values one field at a time; relations between
 * fields and siblings (duplicate ids, dependencies, cycles, duplicate
 * resources) are checked in `check.ts`.
 *
 * Messages follow one shape, `expected …, found …`, because the loader puts
 * them after `file:line:col  path:`.
 */
import { z } from 'zod';
import { lazyProps, lazySchema, once } from '../lazy.js';
import { SEVERITY_NAMES, type SeverityName } from '../constants.js';
import { SPEC_BOUNDS } from './bounds.js';
import { describeValue, unboxFloat, YamlFloat } from './describe.js';
import { parseDuration } from './duration.js';
import { expansionProblem } from './expand.js';
import { IDENT_RULE, identProblem } from './ident.js';
import { compileLogPattern } from './log-pattern.js';
import { parseSize } from './size.js';

type RawIssue = { input?: unknown; code?: string };

function expected(what: string) {
  return (issue: RawIssue) =>
    issue.input === undefined ? `missing: expected ${what}` : `expected ${what}, found ${describeValue(issue.input)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

// ---------------------------------------------------------------- scalars

/** An ident: a plain name (ident.ts), or none. */
const IdentSchema = lazySchema(() =>
  z
    .custom<string | null>((v) => v === null || typeof v === 'string', {
      error: expected('a non-empty string (or no ident)'),
    })
    .superRefine((v, ctx) => {
      if (v === null) return;
      const problem = v.length === 0 ? undefined : identProblem(v);
      if (v.length === 0 || problem) {
        ctx.addIssue({ code: 'custom', input: v, message: `expected ${IDENT_RULE}, found ${describeValue(v)}${problem ? ` (${problem})` : ''}` });
      }
    })
    .default(null),
);

/** A NUL cannot reach a program (argv, environment and paths are C strings). */
function nulProblem(value: string): string | undefined {
  return value.includes('\0') ? 'contains a NUL character, which no program can receive' : undefined;
}
const CwdSchema = lazySchema(() =>
  z
    .custom<string | null>((v) => v === null || (typeof v === 'string' && v.length > 0 && !nulProblem(v)), {
      error: (issue) =>
        typeof issue.input === 'string' && nulProblem(issue.input)
          ? `expected a directory path, found ${describeValue(issue.input)} (${nulProblem(issue.input)})`
          : expected('a directory path (a non-empty string)')(issue),
    })
    .default(null),
);
const StringOrIntSchema = lazySchema(() =>
  z.custom<string | number>((v) => typeof v === 'string' || isInt(v), {
    error: expected('a string or an integer'),
  }),
);

/** A word Gator expands (`command`, `args`): no NUL, and `$` references that can expand. */
function expandableProblem(value: string | number): string | undefined {
  if (typeof value !== 'string') return undefined;
  return nulProblem(value) ?? expansionProblem(value);
}
const ArgSchema = lazySchema(() =>
  StringOrIntSchema.superRefine((v, ctx) => {
    const problem = expandableProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', input: v, message: `expected an argument Gator can pass on, found ${describeValue(v)} (${problem})` });
  }),
);

function positiveInt(what = 'a positive integer', max = Number.MAX_SAFE_INTEGER) {
  return z.custom<number>((v) => isInt(v) && v > 0 && v <= max, { error: expected(what) });
}
function nonNegativeInt(what = 'an integer >= 0', max = Number.MAX_SAFE_INTEGER) {
  return z.custom<number>((v) => isInt(v) && v >= 0 && v <= max, { error: expected(what) });
}

/** An environment variable's name: what `execve` can set (not empty, no `=`, no NUL). */
const EnvNameSchema = lazySchema(() =>
  z.string().superRefine((name, ctx) => {
    const problem = name.length === 0 ? 'it is empty' : name.includes('=') ? "it contains '='" : nulProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', input: name, message: `expected an environment variable name, found ${describeValue(name)} (${problem})` });
  }),
);
const EnvValueSchema = lazySchema(() =>
  StringOrIntSchema.superRefine((v, ctx) => {
    const problem = typeof v === 'string' ? nulProblem(v) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', input: v, message: `expected an environment value, found ${describeValue(v)} (${problem})` });
  }),
);
const EnvSchema = lazySchema(() =>
  z
    .record(EnvNameSchema, EnvValueSchema, {
      error: (issue) =>
        issue.code === 'invalid_key'
          ? ((issue as { issues?: { message?: string }[] }).issues?.[0]?.message ?? 'expected an environment variable name')
          : expected('a mapping of variable names to strings or integers')(issue),
    })
    .default(() => ({})),
);
const ArgsSchema = lazySchema(() => z.array(ArgSchema, { error: expected('a list of strings or integers') }).default(() => []));
const DependencySchema = lazySchema(() =>
  z
    .array(z.custom<string>((v) => typeof v === 'string' && v.length > 0, { error: expected('a sibling name (a string)') }), {
      error: expected('a list of sibling names (strings)'),
    })
    .default(() => []),
);

// ---------------------------------------------------------------- extensions

/** `90`, `90s`, `30m`, `2h`, `1h30m` → seconds. */
export const DurationSchema = lazySchema(() =>
  z.custom<number | string>().transform((value, ctx): number => {
    try {
      return parseDuration(unboxFloat(value));
    } catch (error) {
      ctx.addIssue({ code: 'custom', input: value, message: (error as Error).message });
      return z.NEVER;
    }
  }),
);

/** A severity name (case-insensitive, `WARN` = `WARNING`), normalised to upper case. */
export const SeverityNameSchema = lazySchema(() =>
  z.custom<SeverityName | Lowercase<SeverityName> | (string & {})>().transform(
    (value, ctx): SeverityName => {
      if (typeof value === 'string') {
        const upper = value.trim().toUpperCase();
        const name = upper === 'WARN' ? 'WARNING' : upper;
        if ((SEVERITY_NAMES as readonly string[]).includes(name)) return name as SeverityName;
      }
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `expected a severity name (${SEVERITY_NAMES.join(', ')}), found ${describeValue(value)}`,
      });
      return z.NEVER;
    },
  ),
);

/**
 * Built-in log rules: which lines of well-known tools' output are errors.
 * Patterns are JavaScript regular expressions matched against each line.
 */
export const LOG_RULE_PRESETS = {
  uvm: [
    { pattern: '^\\s*UVM_FATAL(?:\\s+[^\\s:]|\\s*$)', severity: 'CRITICAL' },
    { pattern: '^\\s*UVM_ERROR(?:\\s+[^\\s:]|\\s*$)', severity: 'ERROR' },
    { pattern: '^\\s*UVM_WARNING(?:\\s+[^\\s:]|\\s*$)', severity: 'WARNING' },
  ],
  xcelium: [
    { pattern: '\\*F,\\w+', severity: 'CRITICAL' },
    { pattern: '\\*E,\\w+', severity: 'ERROR' },
    { pattern: '\\*W,\\w+', severity: 'WARNING' },
  ],
  vcs: [
    { pattern: '^\\s*Fatal-\\[', severity: 'CRITICAL' },
    { pattern: '^\\s*Error-\\[', severity: 'ERROR' },
    { pattern: '^\\s*Warning-\\[', severity: 'WARNING' },
  ],
  questa: [
    { pattern: '^\\s*\\*\\* Fatal', severity: 'CRITICAL' },
    { pattern: '^\\s*\\*\\* Error', severity: 'ERROR' },
    { pattern: '^\\s*\\*\\* Warning', severity: 'WARNING' },
  ],
  verilator: [
    { pattern: '^\\s*%Error', severity: 'ERROR' },
    { pattern: '^\\s*%Warning', severity: 'WARNING' },
  ],
} as const satisfies Record<string, readonly { pattern: string; severity: SeverityName }[]>;
export type LogRulePresetName = keyof typeof LOG_RULE_PRESETS;
export const LOG_RULE_PRESET_NAMES = Object.keys(LOG_RULE_PRESETS) as LogRulePresetName[];

export type PatternLogRule = { pattern: string; severity: SeverityName };
export type PresetLogRule = { preset: LogRulePresetName };
type LogRuleInput = { pattern: string; severity: string } | { preset: string };

/** `{pattern: REGEX, severity: NAME}` or `{preset: NAME}`. */
export const LogRuleSchema = lazySchema(() =>
  z.custom<LogRuleInput>().transform((value, ctx): PatternLogRule | PresetLogRule => {
    if (!isPlainObject(value) || Object.prototype.hasOwnProperty.call(value, 'kind')) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `expected a log rule ({pattern: REGEX, severity: NAME} or {preset: NAME}), found ${describeValue(value)}`,
      });
      return z.NEVER;
    }
    const keys = Object.keys(value);
    if ('preset' in value) {
      const extra = keys.filter((k) => k !== 'preset');
      if (extra.length > 0) {
        ctx.addIssue({
          code: 'unrecognized_keys',
          keys: extra,
          input: value,
          message: `unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')}; a preset rule has only 'preset'`,
        });
      }
      const preset = value.preset;
      if (typeof preset !== 'string' || !(LOG_RULE_PRESET_NAMES as string[]).includes(preset.trim().toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: ['preset'],
          input: preset,
          message: `expected a preset name (${LOG_RULE_PRESET_NAMES.join(', ')}), found ${describeValue(preset)}`,
        });
        return z.NEVER;
      }
      return extra.length > 0 ? z.NEVER : { preset: preset.trim().toLowerCase() as LogRulePresetName };
    }
    const extra = keys.filter((k) => k !== 'pattern' && k !== 'severity');
    let ok = true;
    if (extra.length > 0) {
      ok = false;
      ctx.addIssue({
        code: 'unrecognized_keys',
        keys: extra,
        input: value,
        message: `unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')}; allowed keys of a log rule: pattern, severity (or preset alone)`,
      });
    }
    const pattern = value.pattern;
    if (typeof pattern !== 'string' || pattern.length === 0) {
      ok = false;
      ctx.addIssue({ code: 'custom', path: ['pattern'], input: pattern, message: expected('a regular expression (a non-empty string)')({ input: pattern }) });
    } else {
      // The wrapper compiles through the same function: what passes here, it can run.
      const { problem } = compileLogPattern(pattern);
      if (problem) {
        ok = false;
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          input: pattern,
          message: `expected a valid regular expression, found ${describeValue(pattern)} (${problem})`,
        });
      }
    }
    const severity = SeverityNameSchema.safeParse(value.severity);
    if (!severity.success) {
      ok = false;
      const input = value.severity;
      ctx.addIssue({
        code: 'custom',
        path: ['severity'],
        input,
        message: input === undefined ? `missing: expected a severity name (${SEVERITY_NAMES.join(', ')})` : severity.error.issues[0]!.message,
      });
    }
    return ok ? { pattern: pattern as string, severity: severity.data! } : z.NEVER;
  }),
);

const LogRulesSchema = lazySchema(() =>
  z.array(LogRuleSchema, { error: expected('a list of log rules') }).superRefine((rules, ctx) => {
    const count = rules.reduce((n, rule) => n + ('preset' in rule ? LOG_RULE_PRESETS[rule.preset].length : 1), 0);
    if (count > SPEC_BOUNDS.logRules) {
      ctx.addIssue({ code: 'custom', input: rules, message: `expected at most ${SPEC_BOUNDS.logRules} log rules (presets counted by their patterns), found ${count}` });
    }
  }),
);

/** `1048576`, `64MiB`, `500MB` → bytes. */
export const SizeSchema = lazySchema(() =>
  z.custom<number | string>().transform((value, ctx): number => {
    try {
      return parseSize(unboxFloat(value));
    } catch (error) {
      ctx.addIssue({ code: 'custom', input: value, message: (error as Error).message });
      return z.NEVER;
    }
  }),
);

/** The least `output_limit` (smaller ones would keep no useful head and tail). */
export const MIN_OUTPUT_LIMIT = { lines: 10, bytes: 1024 } as const;
/** What each job stores of its output when neither the spec nor the command line says. */
export const DEFAULT_OUTPUT_LIMIT = { lines: 1_000_000, bytes: 256 * 1024 * 1024 } as const;
/** A job's output limit with every key known. */
export type OutputLimit = { lines: number; bytes: number };

/** How much of a job's output is stored (head and tail): `{lines, bytes}`, each optional. */
export const OutputLimitSchema = lazySchema(() =>
  z.strictObject(
    {
      lines: z
        .custom<number>((v) => isInt(v) && v >= MIN_OUTPUT_LIMIT.lines, { error: expected(`a number of lines (an integer >= ${MIN_OUTPUT_LIMIT.lines})`) })
        .optional(),
      bytes: SizeSchema.refine((n) => n >= MIN_OUTPUT_LIMIT.bytes, { error: `expected a size of at least ${MIN_OUTPUT_LIMIT.bytes} bytes (1KiB)` }).optional(),
    },
    { error: objectError('output_limit', ['lines', 'bytes']) },
  ),
);

/** Message budget of a subtree (groups and arrays): more than this many fails the subtree. */
export const LimitsSchema = lazySchema(() =>
  z.strictObject(
    {
      warning: nonNegativeInt('an integer >= 0', SPEC_BOUNDS.limit).optional(),
      error: nonNegativeInt('an integer >= 0', SPEC_BOUNDS.limit).optional(),
      critical: nonNegativeInt('an integer >= 0', SPEC_BOUNDS.limit).optional(),
    },
    { error: objectError('limits', ['warning', 'error', 'critical']) },
  ),
);

/** `random`, a base seed (index i gets base + i), or one seed per index. */
const isSeed = (v: unknown): v is number => isInt(v) && Math.abs(v) <= SPEC_BOUNDS.seedMagnitude;
export const SeedSchema = lazySchema(() =>
  z.custom<'random' | number | number[]>(
    (v) => v === 'random' || isSeed(v) || (Array.isArray(v) && v.length > 0 && v.length <= SPEC_BOUNDS.repeats && v.every(isSeed)),
    { error: expected(`random, an integer (the base seed) or a list of integers (one per index), each from -2^48 to 2^48`) },
  ),
);

function objectError(what: string, allowed: readonly string[]) {
  return (issue: RawIssue & { keys?: string[] }) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys ?? [];
      return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}; allowed keys of ${what}: ${allowed.join(', ')}`;
    }
    return expected(`a mapping (${what})`)(issue);
  };
}

// ---------------------------------------------------------------- field orders

/** Python's field order of each tag: the order of the sequence (positional) form. */
export const FIELD_ORDER = {
  job: ['ident', 'env', 'cwd', 'command', 'args', 'resources', 'on_done', 'on_fail', 'on_pass'],
  group: ['ident', 'jobs', 'env', 'cwd', 'on_fail', 'on_pass', 'on_done'],
  array: ['ident', 'repeats', 'jobs', 'env', 'cwd', 'on_fail', 'on_pass', 'on_done'],
  cores: ['count'],
  memory: ['size', 'unit'],
  license: ['name', 'count'],
} as const;

export type SpecKind = keyof typeof FIELD_ORDER;

/** The YAML tag of each kind. */
export const TAGS = {
  job: '!Job',
  group: '!JobGroup',
  array: '!JobArray',
  cores: '!Cores',
  memory: '!Memory',
  license: '!License',
} as const satisfies Record<SpecKind, string>;

export const JOB_TAGS = [TAGS.job, TAGS.group, TAGS.array] as const;
export const RESOURCE_TAGS = [TAGS.cores, TAGS.memory, TAGS.license] as const;

function allowedKeys(kind: SpecKind): string[] {
  // Resources have no extensions (and are built before EXTENSION_FIELDS exists).
  if (kind === 'cores' || kind === 'memory' || kind === 'license') return [...FIELD_ORDER[kind]];
  return [...FIELD_ORDER[kind], ...EXTENSION_FIELDS[kind]];
}

/**
 * The fields of a shape beyond Python's (its `FIELD_ORDER`): derived, so a
 * field added to a schema is dumped for child processes and listed in errors
 * without a second list to keep in step.
 */
function extensionsOf<S extends Record<string, unknown>, K extends SpecKind>(shape: S, kind: K) {
  const python = FIELD_ORDER[kind] as readonly string[];
  return Object.keys(shape).filter((key) => key !== 'kind' && !python.includes(key)) as Exclude<
    keyof S & string,
    'kind' | (typeof FIELD_ORDER)[K][number]
  >[];
}

// ---------------------------------------------------------------- resources

/** Memory units and their size in megabytes (decimal; Python's KB = 0.1 is a bug). */
export const MEMORY_UNITS_MB = { KB: 0.001, MB: 1, GB: 1000, TB: 1_000_000 } as const;
export type MemoryUnit = keyof typeof MEMORY_UNITS_MB;

export const CoresSchema = lazySchema(() =>
  z.strictObject(
    { kind: z.literal('cores'), count: positiveInt(`a positive number of cores (an integer from 1 to ${SPEC_BOUNDS.cores})`, SPEC_BOUNDS.cores) },
    { error: objectError('!Cores', allowedKeys('cores')) },
  ),
);
export const MemorySchema = lazySchema(() =>
  z.strictObject(
    {
      kind: z.literal('memory'),
      size: z.custom<number>((v) => {
        const n = unboxFloat(v);
        return typeof n === 'number' && Number.isFinite(n) && n > 0;
      }, { error: expected('a positive memory size (a number > 0)') }).transform((v) => unboxFloat(v) as number),
      unit: z
        .custom<string>((v) => typeof v === 'string' && Object.prototype.hasOwnProperty.call(MEMORY_UNITS_MB, v.trim().toUpperCase()), {
          error: expected(`a memory unit (${Object.keys(MEMORY_UNITS_MB).join(', ')})`),
        })
        .default('MB'),
    },
    { error: objectError('!Memory', allowedKeys('memory')) },
  ).superRefine((memory, ctx) => {
    const factor = MEMORY_UNITS_MB[memory.unit.trim().toUpperCase() as MemoryUnit];
    const mb = memory.size * factor;
    if (mb < SPEC_BOUNDS.memoryMinMb || mb > SPEC_BOUNDS.memoryMaxMb) {
      ctx.addIssue({
        code: 'custom',
        path: ['size'],
        input: memory.size,
        message: `expected a memory request from 1 KB to 1 PB (${SPEC_BOUNDS.memoryMinMb} to ${SPEC_BOUNDS.memoryMaxMb} MB), found ${memory.size} ${memory.unit.trim().toUpperCase()}`,
      });
    }
  }),
);
export const LicenseSchema = lazySchema(() =>
  z.strictObject(
    {
      kind: z.literal('license'),
      name: z.custom<string>((v) => typeof v === 'string' && v.trim().length > 0, {
        error: expected('a license name (a non-empty string)'),
      }),
      count: positiveInt(`a positive number of seats (an integer from 1 to ${SPEC_BOUNDS.licenseSeats})`, SPEC_BOUNDS.licenseSeats).default(1),
    },
    { error: objectError('!License', allowedKeys('license')) },
  ),
);
export const ResourceSchema = lazySchema(() =>
  z.discriminatedUnion('kind', [CoresSchema, MemorySchema, LicenseSchema], {
    error: expected('a !Cores, !Memory or !License'),
  }),
);
const ResourcesSchema = lazySchema(() => z.array(ResourceSchema, { error: expected('a list of !Cores, !Memory and !License') }).default(() => []));

export type Cores = z.infer<typeof CoresSchema>;
export type Memory = z.infer<typeof MemorySchema>;
export type License = z.infer<typeof LicenseSchema>;
export type Resource = z.infer<typeof ResourceSchema>;
export type LogRule = z.infer<typeof LogRuleSchema>;
export type Limits = z.infer<typeof LimitsSchema>;
export type OutputLimitSetting = z.infer<typeof OutputLimitSchema>;

// ---------------------------------------------------------------- jobs

const commonExtensions = once(() => ({
  timeout: DurationSchema.optional(),
  hang_timeout: DurationSchema.optional(),
  retries: nonNegativeInt(`a number of retries (an integer from 0 to ${SPEC_BOUNDS.retries})`, SPEC_BOUNDS.retries).optional(),
  log_rules: LogRulesSchema.optional(),
  stderr_severity: SeverityNameSchema.optional(),
  output_limit: OutputLimitSchema.optional(),
}));

const jobShape = once(() => ({
  kind: z.literal('job'),
  ident: IdentSchema,
  env: EnvSchema,
  cwd: CwdSchema,
  command: z
    .custom<string>((v) => typeof v === 'string' && v.length > 0, {
      error: (issue) =>
        issue.input === undefined
          ? 'missing: a !Job needs a command (the program to run, e.g. `command: bash` with `args: [-c, "..."]`)'
          : expected('a command (the program to run, a non-empty string)')(issue),
    })
    .superRefine((v, ctx) => {
      const problem = expandableProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', input: v, message: `expected a command Gator can start, found ${describeValue(v)} (${problem})` });
    }),
  args: ArgsSchema,
  resources: ResourcesSchema,
  on_done: DependencySchema,
  on_fail: DependencySchema,
  on_pass: DependencySchema,
  ...commonExtensions(),
}));

const groupShape = once(() => ({
  kind: z.literal('group'),
  ident: IdentSchema,
  env: EnvSchema,
  cwd: CwdSchema,
  on_fail: DependencySchema,
  on_pass: DependencySchema,
  on_done: DependencySchema,
  ...commonExtensions(),
  limits: LimitsSchema.optional(),
}));
const arrayShape = once(() => ({
  kind: z.literal('array'),
  ident: IdentSchema,
  repeats: positiveInt(`a number of repeats (an integer from 1 to ${SPEC_BOUNDS.repeats})`, SPEC_BOUNDS.repeats).default(1),
  env: EnvSchema,
  cwd: CwdSchema,
  on_fail: DependencySchema,
  on_pass: DependencySchema,
  on_done: DependencySchema,
  ...commonExtensions(),
  limits: LimitsSchema.optional(),
  seed: SeedSchema.optional(),
}));
/** Gator's optional extension fields of each tag (mapping form only; omitted from dumps when unset). */
export const EXTENSION_FIELDS = lazyProps({
  job: () => extensionsOf(jobShape(), 'job'),
  group: () => extensionsOf(groupShape(), 'group'),
  array: () => extensionsOf(arrayShape(), 'array'),
  cores: () => [] as never[],
  memory: () => [] as never[],
  license: () => [] as never[],
});

export const JobSchema = lazySchema(() => z.strictObject(jobShape(), { error: objectError('!Job', allowedKeys('job')) }));

// The recursive `jobs` field is typed by hand; everything else is inferred.
const JobGroupBaseSchema = lazySchema(() => z.strictObject(groupShape()));
const JobArrayBaseSchema = lazySchema(() => z.strictObject(arrayShape()));

export type Job = z.infer<typeof JobSchema>;
export type JobGroup = z.infer<typeof JobGroupBaseSchema> & { jobs: Spec[] };
export type JobArray = z.infer<typeof JobArrayBaseSchema> & { jobs: Spec[] };
export type Spec = Job | JobGroup | JobArray;
export type JobInput = Omit<z.input<typeof JobSchema>, 'kind'>;
export type JobGroupInput = Omit<z.input<typeof JobGroupBaseSchema>, 'kind'> & { jobs?: SpecInput[] };
export type JobArrayInput = Omit<z.input<typeof JobArrayBaseSchema>, 'kind'> & { jobs?: SpecInput[] };
export type SpecInput =
  | z.input<typeof JobSchema>
  | (JobGroupInput & { kind: 'group' })
  | (JobArrayInput & { kind: 'array' });

const JobsSchema = lazySchema(
  () =>
    z.lazy(() => z.array(SpecSchema, { error: expected('a list of !Job, !JobGroup and !JobArray') }).default(() => [])) as unknown as z.ZodType<
      Spec[],
      SpecInput[] | undefined
    >,
);

export const JobGroupSchema: z.ZodType<JobGroup, SpecInput & { kind: 'group' }> = lazySchema(() =>
  z.strictObject(
    { ...groupShape(), jobs: JobsSchema },
    { error: objectError('!JobGroup', allowedKeys('group')) },
  ) as never,
);

export const JobArraySchema: z.ZodType<JobArray, SpecInput & { kind: 'array' }> = lazySchema(() =>
  z.strictObject(
    { ...arrayShape(), jobs: JobsSchema },
    { error: objectError('!JobArray', allowedKeys('array')) },
  ) as never,
);

export const SpecSchema: z.ZodType<Spec, SpecInput> = lazySchema(() =>
  z.discriminatedUnion(
    'kind',
    [JobSchema, JobGroupSchema as never, JobArraySchema as never] as never,
    { error: expected('a !Job, !JobGroup or !JobArray') },
  ) as never,
);

export { YamlFloat };

/** fast-check generators of valid specs (in checked, output form) for the property tests. */
import fc from 'fast-check';
import { expansionProblem, identProblem, SEVERITY_NAMES, type Job, type JobArray, type JobGroup, type Resource, type Spec } from '../src/index.js';

/** Strings YAML 1.1 would re-type or that need quoting, plus arbitrary text. */
const TRICKY = [
  'yes', 'no', 'on', 'off', 'Y', 'n', 'true', 'NULL', 'null', '~', '', ' ', '010', '0x1F', '1_000', '1:30', '0:30', '09',
  '1.0', '1e3', '.5', '.inf', '-.inf', '.nan', '<<', '=', '!', '&a', '*a', '2024-01-01', '2024-1-1 10:00:00',
  'a: b', '- x', '#comment', 'x #y', '[a]', '{a: 1}', '"q"', "'s'", '%x', '@x', '`x', '|', '>', '?', ' lead', 'trail ',
  'line\nbreak', 'tab\there', 'uni ☃ 日本', '\\$HOME', '${X:-y}', 'T0', 'kind', 'command',
];

export const text = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
    { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  );
// Valid specs hold no NUL (no program could receive it) and only `$` references that expand.
const word = () => text().filter((s) => !s.includes('\0') && expansionProblem(s) === undefined);
const nonEmpty = () => word().filter((s) => s.length > 0);
/** Idents are plain names (`identProblem`). */
const identText = () => nonEmpty().filter((s) => identProblem(s) === undefined);
const int = () => fc.integer({ min: -(2 ** 31), max: 2 ** 31 });
const positive = () => fc.integer({ min: 1, max: 64 });
const stringOrInt = () => fc.oneof(word(), int());
const env = () =>
  fc.dictionary(
    nonEmpty().filter((k) => k !== '__proto__' && !k.includes('=')),
    stringOrInt(),
    { maxKeys: 3 },
  );
const seconds = () => fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0.001, max: 1e6, noNaN: true, noDefaultInfinity: true }));
const severity = () => fc.constantFrom(...SEVERITY_NAMES);
const logRule = () =>
  fc.oneof(
    fc.record({ preset: fc.constantFrom('uvm' as const, 'xcelium' as const, 'vcs' as const, 'questa' as const, 'verilator' as const) }),
    fc.record({ pattern: fc.string({ minLength: 1, maxLength: 10 }).map((s) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')), severity: severity() }),
  );

/** Optional keys: absent (not `undefined`) when not chosen, as the loader leaves them. */
function withOptional<T extends object>(base: T, optional: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out as T;
}

const extensions = () =>
  fc.record(
    {
      timeout: seconds(),
      hang_timeout: seconds(),
      retries: fc.integer({ min: 0, max: 5 }),
      log_rules: fc.array(logRule(), { maxLength: 3 }),
      stderr_severity: severity(),
    },
    { requiredKeys: [] },
  );
const limits = () =>
  fc.record(
    { warning: fc.nat(100), error: fc.nat(100), critical: fc.nat(100) },
    { requiredKeys: [] },
  );

const resources = (): fc.Arbitrary<Resource[]> =>
  fc
    .tuple(
      fc.option(positive(), { nil: undefined }),
      fc.option(
        fc.record({
          // Within the bounds for every unit: 1 KB to 1 PB (1000 TB).
          size: fc.oneof(positive(), fc.double({ min: 1, max: 1000, noNaN: true, noDefaultInfinity: true })),
          unit: fc.constantFrom('KB', 'MB', 'GB', 'TB', 'gb', ' Mb '),
        }),
        { nil: undefined },
      ),
      fc.uniqueArray(fc.record({ name: nonEmpty().filter((s) => s.trim().length > 0), count: positive() }), {
        maxLength: 2,
        selector: (l) => l.name.trim(),
      }),
    )
    .map(([coreCount, mem, licenses]) => {
      const list: Resource[] = [];
      if (coreCount !== undefined) list.push({ kind: 'cores', count: coreCount });
      if (mem !== undefined) list.push({ kind: 'memory', ...mem });
      for (const l of licenses) list.push({ kind: 'license', ...l });
      return list;
    });

/** Give siblings distinct ids and dependencies only on earlier siblings (so no cycles). */
function arrangeSiblings(generated: Spec[], deps: number[][]): Spec[] {
  const entries = generated.map((entry) => ({ ...entry }));
  const seen = new Set<string>();
  const ids: string[] = [];
  entries.forEach((entry, index) => {
    let ident = entry.ident;
    if (ident !== null && (seen.has(ident) || /^T\d+$/.test(ident))) ident = `${ident}_${index}`;
    while (ident !== null && seen.has(ident)) ident = `${ident}_`;
    const id = ident ?? `T${index}`;
    seen.add(id);
    ids.push(id);
    entry.ident = ident;
  });
  entries.forEach((entry, index) => {
    const picks = (deps[index] ?? []).filter((d) => d < index).map((d) => ids[d]!);
    entry.on_pass = picks.filter((_, i) => i % 3 === 0);
    entry.on_fail = picks.filter((_, i) => i % 3 === 1);
    entry.on_done = picks.filter((_, i) => i % 3 === 2);
  });
  return entries;
}

const job = (): fc.Arbitrary<Job> =>
  fc
    .record({
      ident: fc.option(identText(), { nil: null }),
      env: env(),
      cwd: fc.option(nonEmpty(), { nil: null }),
      command: nonEmpty(),
      args: fc.array(stringOrInt(), { maxLength: 4 }),
      resources: resources(),
      ext: extensions(),
    })
    .map(({ ext, ...fields }) =>
      withOptional<Job>({ kind: 'job', ...fields, on_done: [], on_fail: [], on_pass: [] }, ext),
    );

const { spec: specArb } = fc.letrec<{ spec: Spec; group: JobGroup; array: JobArray; jobs: Spec[] }>((tie) => ({
  spec: fc.oneof({ depthSize: 'small', withCrossShrink: true }, job(), tie('group'), tie('array')),
  jobs: fc
    .tuple(fc.array(tie('spec'), { maxLength: 4 }), fc.array(fc.array(fc.nat(3), { maxLength: 3 }), { maxLength: 4 }))
    .map(([entries, deps]) => arrangeSiblings(entries, deps)),
  group: fc
    .record({
      ident: fc.option(identText(), { nil: null }),
      jobs: tie('jobs'),
      env: env(),
      cwd: fc.option(nonEmpty(), { nil: null }),
      ext: extensions(),
      limits: fc.option(limits(), { nil: undefined }),
    })
    .map(({ ext, limits: lim, ...fields }) =>
      withOptional<JobGroup>({ kind: 'group', ...fields, on_fail: [], on_pass: [], on_done: [] }, { ...ext, limits: lim }),
    ),
  array: fc
    .record({
      ident: fc.option(identText(), { nil: null }),
      repeats: fc.integer({ min: 1, max: 4 }),
      jobs: tie('jobs'),
      env: env(),
      cwd: fc.option(nonEmpty(), { nil: null }),
      ext: extensions(),
      seedKind: fc.constantFrom('none', 'random', 'base', 'list'),
      base: int(),
    })
    .map(({ ext, seedKind, base, ...fields }) => {
      const seed =
        seedKind === 'random' ? 'random' : seedKind === 'base' ? base : seedKind === 'list' ? Array.from({ length: fields.repeats }, (_, i) => base + i) : undefined;
      return withOptional<JobArray>({ kind: 'array', ...fields, on_fail: [], on_pass: [], on_done: [] }, { ...ext, seed });
    }),
}));

/** Any valid spec, in the form `loadSpec` returns. */
export const validSpec = (): fc.Arbitrary<Spec> => specArb;

/**
 * Hostile specs, generated (fast-check, seeded so a failure reproduces):
 * mutations of small valid specs in every field that has a rule or a bound —
 * idents, durations, counts, sizes, seeds, log patterns, `$` references, NUL
 * bytes, dependencies, sizes of the whole tree, random edits of the text —
 * plus special files. Each case knows what it expects when that is certain
 * (`valid`, `invalid`) and whether it is safe to run for real (small, every
 * job `true` or a short `printf`).
 */
import fc from 'fast-check';

export type Expect = 'valid' | 'invalid' | 'either';

export interface TextCase {
  kind: 'text';
  category: string;
  text: string;
  expect: Expect;
  /** Small enough and harmless enough to run with every job passing. */
  runnable: boolean;
}

export interface SpecialCase {
  kind: 'special';
  category: 'special';
  special: SpecialFile;
  expect: 'invalid';
  runnable: false;
}

export type HostileCase = TextCase | SpecialCase;

export const SPECIAL_FILES = [
  'dev-zero',
  'dev-urandom',
  'dev-null',
  'fifo',
  'directory',
  'symlink-to-dev-zero',
  'sparse-too-large',
  'zeros-at-bound',
  'missing',
  'binary',
] as const;
export type SpecialFile = (typeof SPECIAL_FILES)[number];

// ---------------------------------------------------------------- a tiny YAML writer

/** Raw YAML text, written as is (`.inf`, an alias, a bad scalar). */
export class Raw {
  constructor(readonly text: string) {}
}

const TAG: Record<string, string> = { job: '!Job', group: '!JobGroup', array: '!JobArray', cores: '!Cores', memory: '!Memory', license: '!License' };

type Node = { [key: string]: unknown };

/** Flow-style YAML; entries of `jobs` one per line, so problems land on distinct lines. */
export function emit(value: unknown, indent = ''): string {
  if (value instanceof Raw) return value.text;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    // PyYAML reads `1e+21` as a string: write integers in full, and fractions with a dot.
    if (Number.isInteger(value)) return BigInt(value).toString();
    const text = String(value);
    return /e/i.test(text) ? value.toFixed(20).replace(/0+$/, '') : text;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => emit(v, indent)).join(', ')}]`;
  const node = value as Node;
  const tag = typeof node.kind === 'string' ? TAG[node.kind] : undefined;
  const fields = Object.entries(node).filter(([k, v]) => !(tag && k === 'kind') && v !== undefined);
  const inner = `${indent}  `;
  const body = fields
    .map(([k, v]) => {
      if (k === 'jobs' && Array.isArray(v) && tag) {
        return `jobs: [${v.length === 0 ? '' : `\n${v.map((child) => `${inner}${emit(child, inner)}`).join(',\n')}\n${indent}`}]`;
      }
      return `${JSON.stringify(k)}: ${emit(v, inner)}`;
    })
    .join(', ');
  return tag ? `${tag} {${body}}` : `{${body}}`;
}

// ---------------------------------------------------------------- valid starting points

const job = (ident: string | null, extra: Node = {}): Node => ({ kind: 'job', ident, command: 'true', ...extra });

/** Small valid specs, each job `true`: every mutation starts from one of them. */
export const TEMPLATES: (() => Node)[] = [
  () => job('solo'),
  () => ({ kind: 'group', ident: 'top', jobs: [job('a'), job('b', { on_pass: ['a'] }), job('c', { on_done: ['b'] })] }),
  () => ({ kind: 'array', ident: 'arr', repeats: 3, seed: 7, jobs: [job('t')] }),
  () => ({
    kind: 'group',
    ident: 'nest',
    jobs: [
      { kind: 'group', ident: 'inner', jobs: [job('x'), job('y')] },
      { kind: 'array', ident: 'sweep', repeats: 2, jobs: [job('z')] },
      job('w', { on_done: ['inner'] }),
    ],
  }),
  () =>
    job('rich', {
      env: { MODE: 'fast', N: 3 },
      args: [],
      resources: [{ kind: 'cores', count: 1 }, { kind: 'memory', size: 100, unit: 'MB' }],
      timeout: 60,
      retries: 1,
      log_rules: [{ preset: 'uvm' }, { pattern: '^ERROR', severity: 'ERROR' }],
      stderr_severity: 'WARNING',
    }),
];

/** Every tagged node of a tree (root first), with its parent list when it has one. */
function nodesOf(root: Node): { node: Node; siblings: Node[] | undefined }[] {
  const out: { node: Node; siblings: Node[] | undefined }[] = [{ node: root, siblings: undefined }];
  for (let i = 0; i < out.length; i++) {
    const jobs = out[i]!.node.jobs;
    if (Array.isArray(jobs)) for (const child of jobs as Node[]) out.push({ node: child, siblings: jobs as Node[] });
  }
  return out;
}

const jobsOf = (root: Node) => nodesOf(root).filter((n) => n.node.kind === 'job');

// ---------------------------------------------------------------- the values

/** [value, expected] for idents. */
const IDENTS: [unknown, Expect][] = [
  ['../../escaped', 'invalid'],
  ['../../../escaped', 'invalid'],
  ['..', 'invalid'],
  ['.', 'invalid'],
  ['/tmp/escaped', 'invalid'],
  ['a/b', 'invalid'],
  ['a\\b', 'invalid'],
  ['--help', 'invalid'],
  ['-x', 'invalid'],
  ['-', 'invalid'],
  ['', 'invalid'],
  ['a\u0000b', 'invalid'],
  ['line\nbreak', 'invalid'],
  ['tab\there', 'invalid'],
  ['del\u007f', 'invalid'],
  ['c1\u0085', 'invalid'],
  ['sep\u2028', 'invalid'],
  ['\ud800lone', 'invalid'],
  ['x'.repeat(201), 'invalid'],
  ['é'.repeat(101), 'invalid'],
  [42, 'invalid'],
  [['list'], 'invalid'],
  ['ok', 'valid'],
  ['x'.repeat(200), 'valid'],
  ['é'.repeat(100), 'valid'],
  ['v1.2', 'valid'],
  ['...', 'valid'],
  ['a.b.c', 'valid'],
  [' spaced name ', 'valid'],
  ['ünïcödé 日本 🐊', 'valid'],
  ['a-b_c', 'valid'],
  ['$HOME', 'valid'],
  ['`rm -rf x`', 'valid'],
  ['yes', 'valid'],
  ['010', 'valid'],
  [null, 'valid'],
];

const DURATIONS: [unknown, Expect][] = [
  [0.001, 'valid'],
  ['1ms', 'valid'],
  [1, 'valid'],
  ['30d', 'valid'],
  ['24d 21h', 'valid'],
  ['365d', 'valid'],
  [31_536_000, 'valid'],
  [0, 'invalid'],
  [-1, 'invalid'],
  [0.0005, 'invalid'],
  ['0.1ms', 'invalid'],
  ['366d', 'invalid'],
  [31_536_001, 'invalid'],
  ['1y', 'invalid'],
  [Number.POSITIVE_INFINITY, 'invalid'],
  [Number.NaN, 'invalid'],
  [new Raw('1.0e+308'), 'invalid'],
  ['', 'invalid'],
  [true, 'invalid'],
  [[], 'invalid'],
];

const COUNTS: Record<string, [unknown, Expect][]> = {
  retries: [
    [0, 'valid'],
    [100, 'valid'],
    [101, 'invalid'],
    [-1, 'invalid'],
    [1.5, 'invalid'],
    [2 ** 53, 'invalid'],
    ['3', 'invalid'],
    [null, 'invalid'],
  ],
  repeats: [
    [1, 'valid'],
    // 20,000 copies of the largest template (5 jobs) stay within the job bound; 100,000 is in SIZES.
    [20_000, 'valid'],
    [0, 'invalid'],
    [-1, 'invalid'],
    [100_001, 'invalid'],
    [200_000, 'invalid'],
    [2 ** 53, 'invalid'],
    [new Raw('1.0e+20'), 'invalid'],
    [1.5, 'invalid'],
    ['3', 'invalid'],
  ],
  limit: [
    [0, 'valid'],
    [Number.MAX_SAFE_INTEGER, 'valid'],
    [-1, 'invalid'],
    [2 ** 53, 'invalid'],
    [1.5, 'invalid'],
    ['many', 'invalid'],
  ],
  cores: [
    [1, 'valid'],
    [65_536, 'valid'],
    [0, 'invalid'],
    [65_537, 'invalid'],
    [-1, 'invalid'],
    [1.5, 'invalid'],
  ],
  seats: [
    [1, 'valid'],
    [1_000_000, 'valid'],
    [0, 'invalid'],
    [1_000_001, 'invalid'],
  ],
  seed: [
    [0, 'valid'],
    [2 ** 48, 'valid'],
    [-(2 ** 48), 'valid'],
    [2 ** 48 + 1, 'invalid'],
    ['sometimes', 'invalid'],
    [1.5, 'invalid'],
    [[], 'invalid'],
  ],
};

/** [size, unit, expected]. */
const MEMORY: [unknown, unknown, Expect][] = [
  [1, 'KB', 'valid'],
  [1000, 'TB', 'valid'],
  [0.001, 'MB', 'valid'],
  [0.5, 'KB', 'invalid'],
  [1001, 'TB', 'invalid'],
  [0, 'MB', 'invalid'],
  [-1, 'GB', 'invalid'],
  [Number.POSITIVE_INFINITY, 'GB', 'invalid'],
  [Number.NaN, 'GB', 'invalid'],
  [1, 'PB', 'invalid'],
];

/** Words for `command`, `args`, `cwd`, `env` values. */
const WORDS: [string, Expect][] = [
  ['a\u0000b', 'invalid'],
  ['${X', 'invalid'],
  ['${}', 'invalid'],
  ['${X:abc}', 'invalid'],
  ['${X:-default}', 'valid'],
  ['\\${X', 'valid'],
  ['$$', 'valid'],
  ['cost $ 5', 'valid'],
  ['x'.repeat(100_000), 'valid'],
];

const ENV_NAMES: [string, Expect][] = [
  ['', 'invalid'],
  ['=', 'invalid'],
  ['A=B', 'invalid'],
  ['A\u0000', 'invalid'],
  ['GOOD_NAME', 'valid'],
  ['lower.dotted-name', 'valid'],
];

const PATTERNS: [string, Expect][] = [
  ['(a+)+$', 'valid'],
  ['(x+x+)+y', 'valid'],
  ['(a|a)*$', 'valid'],
  ['(.*a){20}', 'valid'],
  ['a{1000}', 'valid'],
  ['[^]', 'valid'],
  ['\\u0041', 'valid'],
  ['a'.repeat(4096), 'valid'],
  ['(a)\\1', 'invalid'],
  ['(?=a)b', 'invalid'],
  ['(?!a)b', 'invalid'],
  ['(?<=a)b', 'invalid'],
  ['(?<!a)b', 'invalid'],
  ['(?<n>a)\\k<n>', 'invalid'],
  ['a{1001}', 'invalid'],
  ['(', 'invalid'],
  ['\\p{L}', 'invalid'],
  ['[]', 'invalid'],
  ['\\x{41}', 'invalid'],
  ['(?i)error', 'invalid'],
  ['a'.repeat(4097), 'invalid'],
  ['', 'invalid'],
];

/** A long line the catastrophic patterns would backtrack on for ever (a job prints it). */
const EVIL_LINE = `${'a'.repeat(20_000)}!`;

// ---------------------------------------------------------------- mutations

/** Changes the tree in place, or returns a new root. */
type Mutation = { category: string; expect: Expect; runnable: boolean; apply: (root: Node, pick: (n: number) => number) => Node | void };


const oneOf = <T>(list: readonly T[]) => fc.constantFrom(...list);

function setIdent(value: unknown, expect: Expect): Mutation {
  return {
    category: 'ident',
    expect,
    runnable: expect === 'valid',
    apply: (root, pick) => {
      const nodes = nodesOf(root);
      const { node, siblings } = nodes[pick(nodes.length)]!;
      const old = node.ident;
      node.ident = value;
      // Siblings that named the old ident name the new one (or the T<n> an entry without ident gets).
      const renamed = typeof value === 'string' ? value : value === null && siblings ? `T${siblings.indexOf(node)}` : undefined;
      for (const sibling of siblings ?? []) {
        for (const cond of ['on_pass', 'on_fail', 'on_done']) {
          const list = sibling[cond];
          if (Array.isArray(list)) sibling[cond] = list.map((name) => (name === old ? renamed : name));
        }
      }
    },
  };
}

/** Durations a job of `true` finishes well within (a shorter one may rightly stop it). */
const isLongEnough = (value: unknown) => (typeof value === 'number' && value >= 60) || (typeof value === 'string' && /d/.test(value));

function setField(field: string, value: unknown, expect: Expect, on: 'job' | 'array' | 'tier' | 'any'): Mutation {
  return {
    category: `value:${field}`,
    expect,
    // Runs only what finishes fast and passes: no large repeats, no duration a job of `true` could outlast.
    runnable: expect === 'valid' && field !== 'repeats' && (!field.endsWith('timeout') || isLongEnough(value)),
    apply: (root, pick) => {
      const matches = ({ node }: { node: Node }) => on === 'any' || node.kind === on || (on === 'tier' && node.kind !== 'job');
      const nodes = nodesOf(root).filter(matches);
      if (nodes.length > 0) {
        nodes[pick(nodes.length)]!.node[field] = value;
        return;
      }
      // The template has no such node: wrap it in one that has the field.
      const wrapper: Node = { kind: on === 'array' ? 'array' : 'group', ident: 'added', jobs: [root] };
      wrapper[field] = value;
      return wrapper;
    },
  };
}

function setResource(resource: Node, expect: Expect, category: string): Mutation {
  return {
    category,
    expect,
    runnable: false, // a scheduler may refuse a request it can never meet (checked by `gator run` only)
    apply: (root, pick) => {
      const jobs = jobsOf(root);
      const target = jobs[pick(jobs.length)]!.node;
      const others = ((target.resources as Node[] | undefined) ?? []).filter((r) => r.kind !== resource.kind);
      target.resources = [...others, resource];
    },
  };
}

function setWord(where: 'command' | 'arg' | 'cwd' | 'env', word: string, expect: Expect): Mutation {
  return {
    category: `word:${where}`,
    expect,
    runnable: false, // a valid word still changes what the job runs
    apply: (root, pick) => {
      const jobs = jobsOf(root);
      const target = jobs[pick(jobs.length)]!.node;
      if (where === 'command') target.command = word;
      else if (where === 'arg') target.args = [word];
      else if (where === 'cwd') target.cwd = word;
      else target.env = { VALUE: word };
    },
  };
}

function setEnvName(name: string, expect: Expect): Mutation {
  return {
    category: 'env-name',
    expect,
    runnable: expect === 'valid',
    apply: (root, pick) => {
      const nodes = nodesOf(root);
      nodes[pick(nodes.length)]!.node.env = { [name]: 'value' };
    },
  };
}

function setPattern(pattern: string, expect: Expect): Mutation {
  return {
    category: 'log-pattern',
    expect,
    runnable: expect === 'valid',
    apply: (root, pick) => {
      const jobs = jobsOf(root);
      const target = jobs[pick(jobs.length)]!.node;
      target.log_rules = [{ pattern, severity: 'WARNING' }];
      // The line that would freeze a backtracking engine, printed by the job (WARNING on a match: it still passes).
      target.command = 'printf';
      target.args = ['%s\\n', EVIL_LINE];
    },
  };
}

const RULE_COUNTS: [Node[], Expect][] = [
  [Array.from({ length: 100 }, (_, i) => ({ pattern: `^rule${i}`, severity: 'INFO' })), 'valid'],
  [Array.from({ length: 101 }, (_, i) => ({ pattern: `^rule${i}`, severity: 'INFO' })), 'invalid'],
  [Array.from({ length: 34 }, () => ({ preset: 'uvm' })), 'invalid'],
  [[{ preset: 'nope' }], 'invalid'],
];

const STRUCTURE: Mutation[] = [
  { category: 'structure', expect: 'invalid', runnable: false, apply: (root) => void (root.colour = 'red') },
  { category: 'structure', expect: 'invalid', runnable: false, apply: (root, pick) => void delete jobsOf(root)[pick(jobsOf(root).length)]!.node.command },
  {
    category: 'structure',
    expect: 'invalid',
    runnable: false,
    apply: (root, pick) => {
      const nodes = nodesOf(root);
      nodes[pick(nodes.length)]!.node.kind = 'task';
    },
  },
  ...(['ghost', 'self'] as const).map(
    (name): Mutation => ({
      category: 'dependency',
      expect: 'invalid',
      runnable: false,
      apply: (root) => {
        const list = nodesOf(root).find((n) => n.siblings)?.siblings ?? [];
        const target = list[list.length - 1];
        if (!target) return void (root.colour = 'no siblings to depend on');
        target.on_pass = [name === 'self' ? (target.ident as string) : 'ghost'];
      },
    }),
  ),
  {
    category: 'dependency',
    expect: 'invalid',
    runnable: false,
    apply: (root) => {
      const list = nodesOf(root).find((n) => n.siblings)?.siblings ?? [];
      if (list.length < 2) return void (root.colour = 'no cycle possible');
      list.forEach((entry, i) => (entry.on_done = [list[(i + 1) % list.length]!.ident as string]));
    },
  },
  {
    category: 'duplicate-id',
    expect: 'invalid',
    runnable: false,
    apply: (root) => {
      const list = nodesOf(root).find((n) => n.siblings)?.siblings;
      if (!list || list.length < 2) return void (root.colour = 'no siblings');
      list[1]!.ident = list[0]!.ident;
      for (const entry of list) delete entry.on_pass, delete entry.on_done;
    },
  },
  {
    category: 'duplicate-id',
    expect: 'invalid',
    runnable: false,
    // An explicit `T1` next to an entry without ident at position 1.
    apply: () => ({ kind: 'group', ident: 'g', jobs: [job('T1'), job(null)] }),
  },
  {
    category: 'derived-id',
    expect: 'valid',
    runnable: true,
    // Copies a_0, a_1 and a_1_0, a_1_1 never collide.
    apply: () => ({ kind: 'array', ident: 'd', repeats: 2, jobs: [job('a'), job('a_1'), job(null), job('T3')] }),
  },
];

/** Trees whose size is at or past the bounds. */
const SIZES: [Node, Expect][] = [
  [{ kind: 'array', ident: 'outer', repeats: 1000, jobs: [{ kind: 'array', ident: 'inner', repeats: 100, jobs: [job('t')] }] }, 'valid'],
  [{ kind: 'array', ident: 'outer', repeats: 1000, jobs: [{ kind: 'array', ident: 'inner', repeats: 101, jobs: [job('t')] }] }, 'invalid'],
  [{ kind: 'array', ident: 'outer', repeats: 100_000, jobs: [{ kind: 'array', ident: 'inner', repeats: 100_000, jobs: [job('t')] }] }, 'invalid'],
  [{ kind: 'array', ident: 'empty', repeats: 99_999, jobs: [{ kind: 'group', ident: 'g', jobs: [] }] }, 'valid'],
  [{ kind: 'array', ident: 'empty', repeats: 100_000, jobs: [{ kind: 'group', ident: 'g', jobs: [] }] }, 'invalid'],
  [{ kind: 'array', ident: 'none', repeats: 100_000, jobs: [] }, 'valid'],
  [{ kind: 'array', ident: 'bound', repeats: 100_000, jobs: [job('t')] }, 'valid'],
  [{ kind: 'array', ident: 'past', repeats: 50_001, jobs: [job('t'), job('u')] }, 'invalid'],
  [{ kind: 'group', ident: 'wide', jobs: Array.from({ length: 2000 }, (_, i) => job(`j${i}`)) }, 'valid'],
];

function nested(depth: number, width = 0): Node {
  let node: Node = job('leaf');
  for (let i = 0; i < depth; i++) node = { kind: 'group', ident: width > 0 ? `${i}`.padStart(width, 'g') : `g${i}`, jobs: [node] };
  return node;
}

const TEXTS: [string, Expect][] = [
  ['', 'invalid'],
  ['\n\n# only a comment\n', 'invalid'],
  ['!Job {ident: a, command: true, ident: b}\n', 'invalid'],
  [`a: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\nroot: !Job {command: true, args: *j}\n`, 'invalid'],
  ['!Job {command: true, "__proto__": {polluted: 1}}\n', 'invalid'],
  ['!Job {command: true, kind: group}\n', 'invalid'],
  ['!Job 4\n', 'invalid'],
  ['!!python/object/apply:os.system ["true"]\n', 'invalid'],
  ['[!Job {command: true}]\n', 'invalid'],
  ['{ident: untagged, command: true}\n', 'invalid'],
  ['!JobGroup {jobs: [&x !Job {ident: a, command: "true"}, !Job {<<: *x, ident: b}]}\n', 'valid'],
];

const EDIT_CHARS = [':', '{', '}', '[', ']', '"', "'", '\t', '\n', '!', '&', '*', '\u0000', '-', '#', ',', '\\', '%', '@', '`', '|', '>'];

// ---------------------------------------------------------------- the generator

const mutation: fc.Arbitrary<Mutation | { text: string; category: string; expect: Expect; runnable: boolean }> = fc.oneof(
  { weight: 4, arbitrary: oneOf(IDENTS).map(([v, e]) => setIdent(v, e)) },
  {
    weight: 3,
    arbitrary: fc.tuple(oneOf(['timeout', 'hang_timeout'] as const), oneOf(DURATIONS), oneOf(['job', 'tier'] as const)).map(([field, [v, e], on]) =>
      setField(field, v, e, on),
    ),
  },
  { weight: 1, arbitrary: oneOf(COUNTS.retries!).map(([v, e]) => setField('retries', v, e, 'any')) },
  { weight: 1, arbitrary: oneOf(COUNTS.repeats!).map(([v, e]) => setField('repeats', v, e, 'array')) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(oneOf(['warning', 'error', 'critical'] as const), oneOf(COUNTS.limit!))
      .map(([key, [v, e]]) => ({ ...setField('limits', { [key]: v }, e, 'tier'), category: 'value:limits' })),
  },
  { weight: 1, arbitrary: oneOf(COUNTS.seed!).map(([v, e]) => setField('seed', v, e, 'array')) },
  { weight: 1, arbitrary: oneOf(COUNTS.cores!).map(([v, e]) => setResource({ kind: 'cores', count: v }, e, 'value:cores')) },
  { weight: 1, arbitrary: oneOf(COUNTS.seats!).map(([v, e]) => setResource({ kind: 'license', name: 'tool', count: v }, e, 'value:seats')) },
  { weight: 1, arbitrary: oneOf(MEMORY).map(([size, unit, e]) => setResource({ kind: 'memory', size, unit }, e, 'value:memory')) },
  {
    weight: 2,
    arbitrary: fc.tuple(oneOf(['command', 'arg', 'cwd', 'env'] as const), oneOf(WORDS)).map(([where, [w, e]]) =>
      // Gator expands `command` and `args` only: in `env` and `cwd` a `$` is just a character; a NUL is wrong anywhere.
      setWord(where, w, where === 'env' || where === 'cwd' ? (w.includes('\u0000') ? 'invalid' : 'valid') : e),
    ),
  },
  { weight: 1, arbitrary: oneOf(ENV_NAMES).map(([n, e]) => setEnvName(n, e)) },
  { weight: 2, arbitrary: oneOf(PATTERNS).map(([p, e]) => setPattern(p, e)) },
  {
    weight: 1,
    arbitrary: oneOf(RULE_COUNTS).map(
      ([rules, e]): Mutation => ({ category: 'log-rule-count', expect: e, runnable: e === 'valid', apply: (root) => void (root.log_rules = rules) }),
    ),
  },
  { weight: 2, arbitrary: oneOf(STRUCTURE) },
  // Whole documents: sizes at and past the bounds, deep nesting, odd YAML (slower to parse: fewer of them).
  {
    weight: 2,
    arbitrary: fc.oneof(
      { weight: 3, arbitrary: oneOf(SIZES).map(([tree, e]) => ({ text: `${emit(tree)}\n`, category: 'size', expect: e, runnable: false })) },
      {
        weight: 1,
        arbitrary: oneOf([[3, 'valid'], [63, 'valid'], [64, 'invalid'], [200, 'invalid']] as [number, Expect][]).map(([depth, e]) => ({
          text: `${emit(nested(depth))}\n`,
          category: 'depth',
          expect: e,
          runnable: depth <= 4,
        })),
      },
      { weight: 3, arbitrary: oneOf(TEXTS).map(([text, e]) => ({ text, category: 'text', expect: e, runnable: e === 'valid' })) },
      {
        weight: 1,
        // Idents at their length bound, nested: 15 levels of 201 bytes below the root fit below --tracking, 16 do not.
        arbitrary: oneOf([[16, 'valid'], [17, 'invalid']] as [number, Expect][]).map(([depth, e]) => ({
          text: `${emit(nested(depth, 200))}\n`,
          category: 'tracking-path',
          expect: e,
          runnable: false,
        })),
      },
    ),
  },
  {
    weight: 1,
    arbitrary: oneOf(['true', 'on', '010']).map((word) => ({
      // A YAML 1.1 boolean or octal where a string is wanted (PyYAML's reading).
      text: `!JobGroup {ident: top, jobs: [\n  !Job {ident: ${word}, command: "true"}\n]}\n`,
      category: 'yaml-typing',
      expect: 'invalid' as Expect,
      runnable: false,
    })),
  },
);

/** A random edit of a valid spec's text. */
const edit = fc.record({
  template: fc.nat(TEMPLATES.length - 1),
  op: oneOf(['delete', 'insert', 'truncate', 'duplicate-line'] as const),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  char: oneOf(EDIT_CHARS),
});

function applyEdit(e: { template: number; op: string; at: number; char: string }): string {
  const text = `${emit(TEMPLATES[e.template]!())}\n`;
  const i = Math.min(text.length - 1, Math.floor(e.at * text.length));
  switch (e.op) {
    case 'delete':
      return text.slice(0, i) + text.slice(i + 1);
    case 'insert':
      return text.slice(0, i) + e.char + text.slice(i);
    case 'truncate':
      return text.slice(0, i);
    default: {
      const lines = text.split('\n');
      const n = Math.min(lines.length - 1, Math.floor(e.at * lines.length));
      lines.splice(n, 0, lines[n]!);
      return lines.join('\n');
    }
  }
}

const textCase: fc.Arbitrary<TextCase> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(fc.nat(TEMPLATES.length - 1), mutation, fc.infiniteStream(fc.nat(1000))).map(([t, m, picks]): TextCase => {
      if ('text' in m) return { kind: 'text', category: m.category, text: m.text, expect: m.expect, runnable: m.runnable };
      const iterator = picks[Symbol.iterator]();
      const template = TEMPLATES[t]!();
      const root = m.apply(template, (n) => (iterator.next().value as number) % Math.max(1, n)) ?? template;
      return { kind: 'text', category: m.category, text: `${emit(root)}\n`, expect: m.expect, runnable: m.runnable };
    }),
  },
  // Random edits can still give a valid spec of `true` jobs (a shorter ident, a dropped field): run them too.
  { weight: 1, arbitrary: edit.map((e): TextCase => ({ kind: 'text', category: `edit:${e.op}`, text: applyEdit(e), expect: 'either', runnable: true })) },
);

/** `count` hostile cases (the special files first, once each), the same for the same seed. */
export function hostileSpecs(count: number, seed: number): HostileCase[] {
  const specials: HostileCase[] = SPECIAL_FILES.map((special) => ({ kind: 'special', category: 'special', special, expect: 'invalid', runnable: false }));
  return [...specials, ...fc.sample(textCase, { numRuns: Math.max(0, count - specials.length), seed })];
}

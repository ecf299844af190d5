import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  childEntries,
  expectedJobs,
  isGatorError,
  formatSpecIssue,
  loadSpec,
  loadSpecFile,
  SpecError,
  type Job,
  type JobArray,
  type JobGroup,
  type Spec,
} from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const examples = path.join(repo, 'examples');

/** The SpecError thrown by `fn` (fails the test if it returns or throws anything else). */
function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return error as SpecError;
  }
  throw new Error('expected a SpecError');
}

const lines = (text: string) => specError(() => loadSpec(text, 'spec.yaml')).message.split('\n').slice(1);

describe('reference examples (spec-format.md §11)', () => {
  const nightly = readFileSync(path.join(examples, 'reference/nightly.yaml'), 'utf8');
  const sweep = readFileSync(path.join(examples, 'reference/sweep.yaml'), 'utf8');

  it('are the verbatim text of the reference document (when shared/ is present)', () => {
    const md = path.resolve(repo, '../shared/reference/spec-format.md');
    if (!existsSync(md)) return;
    const section = readFileSync(md, 'utf8').split('## 11. Examples')[1]!;
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([nightly, sweep]);
  });

  it('loads the nightly flow: 11 expected jobs, its children and dependencies', () => {
    const spec = loadSpec(nightly, 'nightly.yaml') as JobGroup;
    expect(spec.kind).toBe('group');
    expect(spec.ident).toBe('nightly');
    expect(spec.env).toEqual({ PROJECT_ROOT: '/data/proj', PATH: '/usr/local/bin:/usr/bin:/bin' });
    expect(expectedJobs(spec)).toBe(11);
    const children = childEntries(spec);
    expect(children.map((c) => [c.id, c.trackingSubdir])).toEqual([
      ['compile', 'compile'],
      ['tests', 'tests'],
      ['report', 'report'],
      ['bisect', 'bisect'],
    ]);
    expect(children[1]!.dependencies).toEqual({ on_pass: ['compile'], on_fail: [], on_done: [] });
    const compile = spec.jobs[0] as Job;
    expect(compile.args).toEqual(['-C', '${PROJECT_ROOT}', 'all']);
    expect(compile.resources).toEqual([
      { kind: 'cores', count: 8 },
      { kind: 'memory', size: 16, unit: 'GB' },
    ]);
    const tests = children[1]!.spec as JobArray;
    const seeds = childEntries(tests, { random: () => 0.5 });
    expect(seeds.map((c) => c.id)).toEqual(['seed_0', 'seed_1', 'seed_2', 'seed_3', 'seed_4', 'seed_5', 'seed_6', 'seed_7']);
    expect(seeds.map((c) => c.trackingSubdir)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `seed/${i}`));
    expect(seeds[3]!.spec.env).toMatchObject({ PROJECT_ROOT: '/data/proj', GATOR_ARRAY_INDEX: 3 });
    expect((seeds[3]!.spec as Job).resources).toEqual([{ kind: 'license', name: 'simulator', count: 1 }]);
  });

  it('loads the positional sweep', () => {
    const spec = loadSpec(sweep, 'sweep.yaml') as JobArray;
    expect(spec).toMatchObject({ kind: 'array', ident: 'sweep', repeats: 3 });
    expect((spec.jobs[0] as Job).resources).toEqual([
      { kind: 'cores', count: 1 },
      { kind: 'memory', size: 512, unit: 'MB' },
      { kind: 'license', name: 'fpga_tool', count: 2 },
    ]);
    expect(expectedJobs(spec)).toBe(3);
  });
});

describe('the examples directory', () => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s validates and starts with a comment', (file) => {
    const text = readFileSync(path.join(examples, file), 'utf8');
    expect(text.startsWith('#')).toBe(true);
    expect(() => loadSpecFile(path.join(examples, file))).not.toThrow();
  });
  it('covers the required topics', () => {
    expect(files).toEqual(expect.arrayContaining(['hello.yaml', 'nested.yaml', 'array.yaml', 'dependencies.yaml', 'resources.yaml']));
  });
});

describe('both forms of every tag', () => {
  it('!Job in mapping and sequence form', () => {
    const mapping = loadSpec(`!Job
ident: a
env: {X: 1}
cwd: /tmp
command: echo
args: [hi]
resources: [!Cores [1]]
on_done: [x]
on_fail: [y]
on_pass: [z]
`);
    const sequence = loadSpec('!Job [a, {X: 1}, /tmp, echo, [hi], [!Cores [1]], [x], [y], [z]]');
    expect(sequence).toEqual(mapping);
    expect(mapping).toMatchObject({ on_done: ['x'], on_fail: ['y'], on_pass: ['z'] });
  });

  it('!JobGroup in mapping and sequence form (order: ident jobs env cwd on_fail on_pass on_done)', () => {
    const sequence = loadSpec('!JobGroup [g, [!Job {command: a}], {E: e}, /w, [f], [p], [d]]');
    expect(sequence).toEqual(
      loadSpec('!JobGroup {ident: g, jobs: [!Job {command: a}], env: {E: e}, cwd: /w, on_fail: [f], on_pass: [p], on_done: [d]}'),
    );
    expect(sequence).toMatchObject({ on_fail: ['f'], on_pass: ['p'], on_done: ['d'] });
  });

  it('!JobArray in mapping and sequence form (order: ident repeats jobs env cwd on_fail on_pass on_done)', () => {
    const sequence = loadSpec('!JobArray [r, 3, [!Job [~, {}, ~, echo]], {E: e}, /w, [f], [p], [d]]');
    expect(sequence).toEqual(
      loadSpec('!JobArray {ident: r, repeats: 3, jobs: [!Job {command: echo}], env: {E: e}, cwd: /w, on_fail: [f], on_pass: [p], on_done: [d]}'),
    );
  });

  it('resources in both forms, with defaults', () => {
    const job = loadSpec(`!Job
command: x
resources:
  - !Cores [2]
  - !Memory [1.5, ' gb ']
  - !License [simtool]
  - !License {name: other, count: 3}
`) as Job;
    expect(job.resources).toEqual([
      { kind: 'cores', count: 2 },
      { kind: 'memory', size: 1.5, unit: ' gb ' },
      { kind: 'license', name: 'simtool', count: 1 },
      { kind: 'license', name: 'other', count: 3 },
    ]);
    expect((loadSpec('!Job {command: x, resources: [!Memory {size: 4}]}') as Job).resources).toEqual([{ kind: 'memory', size: 4, unit: 'MB' }]);
  });

  it('fills Python defaults', () => {
    expect(loadSpec('!Job {command: x}')).toEqual({
      kind: 'job',
      ident: null,
      env: {},
      cwd: null,
      command: 'x',
      args: [],
      resources: [],
      on_done: [],
      on_fail: [],
      on_pass: [],
    });
    expect(loadSpec('!JobArray {}')).toEqual({
      kind: 'array',
      ident: null,
      repeats: 1,
      jobs: [],
      env: {},
      cwd: null,
      on_fail: [],
      on_pass: [],
      on_done: [],
    });
  });

  it('rejects a scalar form and too many positional values', () => {
    expect(lines('!Job\ncommand: x\nresources: [!Cores 4]\n')).toEqual([
      'spec.yaml:3:13  resources[0]: !Cores needs a mapping or a list (e.g. !Cores [4] or !Cores {count: 4}), found the scalar "4"',
    ]);
    expect(lines('!Job\ncommand: x\nresources: [!License [a, 1, 2]]\n')).toEqual([
      'spec.yaml:3:29  resources[0][2]: too many values for !License: its list form takes name, count (in this order)',
    ]);
  });
});

describe('YAML 1.1 typing (as PyYAML)', () => {
  it('reads yes/no/on/off as booleans, 010 as octal, 0x1F, 1_000 and 1:30 as integers, ~ as null, dates', () => {
    const job = loadSpec(`!Job
command: x
env: {OCT: 010, HEX: 0x1F, SEP: 1_000, SEXA: 1:30, BIN: 0b11, Q: "yes", NUM: 42}
cwd: ~
`) as Job;
    expect(job.env).toEqual({ OCT: 8, HEX: 31, SEP: 1000, SEXA: 90, BIN: 3, Q: 'yes', NUM: 42 });
    expect(job.cwd).toBeNull();
    expect(lines('!Job\ncommand: x\nargs: [yes, no, on, off, 2024-01-01, 1.0, 1.0e+3, .5]\n')).toEqual([
      'spec.yaml:3:8  args[0]: expected a string or an integer, found a boolean (true; YAML 1.1 reads yes/no/on/off as booleans, quote it for a string)',
      'spec.yaml:3:13  args[1]: expected a string or an integer, found a boolean (false; YAML 1.1 reads yes/no/on/off as booleans, quote it for a string)',
      'spec.yaml:3:17  args[2]: expected a string or an integer, found a boolean (true; YAML 1.1 reads yes/no/on/off as booleans, quote it for a string)',
      'spec.yaml:3:21  args[3]: expected a string or an integer, found a boolean (false; YAML 1.1 reads yes/no/on/off as booleans, quote it for a string)',
      'spec.yaml:3:26  args[4]: expected a string or an integer, found a date (2024-01-01; quote it for a string)',
      'spec.yaml:3:38  args[5]: expected a string or an integer, found the float 1.0',
      'spec.yaml:3:43  args[6]: expected a string or an integer, found the float 1.0e+3',
      'spec.yaml:3:51  args[7]: expected a string or an integer, found the float 0.5',
    ]);
  });

  it('types plain scalars as PyYAML does where the yaml package differs (y/n, 09, 0:30, 1e3 are strings)', () => {
    const job = loadSpec('!Job\ncommand: x\nargs: [y, n, Y, 09, 0:30, 1e3]\nenv: {y: 1}\n') as Job;
    expect(job.args).toEqual(['y', 'n', 'Y', '09', '0:30', '1e3']);
    expect(job.env).toEqual({ y: 1 });
  });

  it('accepts ints in env and args (as Python) and floats where numbers are sizes', () => {
    const job = loadSpec('!Job {command: x, args: [1, "2", -3], env: {A: 0}, resources: [!Memory [0.5, GB]]}') as Job;
    expect(job.args).toEqual([1, '2', -3]);
    expect(job.resources[0]).toEqual({ kind: 'memory', size: 0.5, unit: 'GB' });
  });

  it('supports anchors, aliases and << merge keys', () => {
    const spec = loadSpec(`!JobGroup
jobs:
  - &sim !Job
    ident: sim_a
    command: run
    env: &env {TOOL: sim}
  - !Job
    <<: *sim
    ident: sim_b
  - !Job {ident: other, command: x, env: *env}
`) as JobGroup;
    expect(spec.jobs.map((j) => [j.ident, (j as Job).command, j.env])).toEqual([
      ['sim_a', 'run', { TOOL: 'sim' }],
      ['sim_b', 'run', { TOOL: 'sim' }],
      ['other', 'x', { TOOL: 'sim' }],
    ]);
  });
});

describe('errors: every problem, one line each, at its position', () => {
  it('reports three independent mistakes on three lines', () => {
    const error = specError(() =>
      loadSpec(
        `!JobGroup
ident: regress
jobs:
  - !Job
    ident: build
    command: make
    args: [all, 42, yes]
  - !Job
    ident: test
    command: ./test.sh
    on_pass: [biuld]
  - !JobArray
    ident: sweep
    repeats: 0
    jobs: []
`,
        'regress.yaml',
      ),
    );
    expect(error.code).toBe('GATOR_SPEC_INVALID');
    expect(error.issues.map((i) => [i.line, i.column, i.path])).toEqual([
      [7, 21, 'jobs[0].args[2]'],
      [11, 15, 'jobs[1].on_pass[0]'],
      [14, 14, 'jobs[2].repeats'],
    ]);
    expect(error.message).toMatchInlineSnapshot(`
      "3 problems were found in the spec:
      regress.yaml:7:21  jobs[0].args[2]: expected a string or an integer, found a boolean (true; YAML 1.1 reads yes/no/on/off as booleans, quote it for a string)
      regress.yaml:11:15  jobs[1].on_pass[0]: no sibling named 'biuld' (dependencies name entries of the same jobs list; siblings: build, sweep)
      regress.yaml:14:14  jobs[2].repeats: expected a number of repeats (an integer from 1 to 100000), found 0"
    `);
  });

  it('a YAML syntax error', () => {
    expect(lines('!Job\ncommand: x\nargs: [a, b\nenv: {}\n')).toEqual([expect.stringMatching(/^spec\.yaml:[34]:\d+ {2}YAML syntax error: /)]);
    expect(lines('!Job\n  command: x\n bad: - y\n')[0]).toMatch(/^spec\.yaml:\d+:\d+ {2}YAML syntax error: /);
    expect(lines('!Job\ncommand: x\ncommand: y\n')).toEqual(['spec.yaml:3:1  YAML syntax error: Map keys must be unique']);
  });

  it('an unknown tag, naming the allowed ones', () => {
    expect(lines('!JobGroup\njobs:\n  - !Task {command: x}\n')).toEqual([
      'spec.yaml:3:5  jobs[0]: unknown tag !Task; the allowed tags are !Job, !JobGroup, !JobArray, !Cores, !Memory, !License',
    ]);
    expect(lines('!Job\ncommand: !!python/object:os.system x\n')).toEqual([
      'spec.yaml:2:10  command: unsupported tag !!python/object:os.system on a scalar; the allowed tags are !Job, !JobGroup, !JobArray, !Cores, !Memory, !License',
    ]);
  });

  it('an unknown key, naming the allowed keys of that tag', () => {
    expect(lines('!Job\ncommand: x\ntimeut: 5\n')).toEqual([
      "spec.yaml:3:1  timeut: unknown key 'timeut'; allowed keys of !Job: ident, env, cwd, command, args, resources, on_done, on_fail, on_pass, timeout, hang_timeout, retries, log_rules, stderr_severity, output_limit",
    ]);
    expect(lines('!Job\ncommand: x\nresources: [!Cores {cores: 2}]\n')).toEqual([
      "spec.yaml:3:21  resources[0].cores: unknown key 'cores'; allowed keys of !Cores: count",
      'spec.yaml:3:13  resources[0].count: missing: expected a positive number of cores (an integer from 1 to 65536)',
    ].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
    expect(lines('!JobGroup\ncommand: x\n')[0]).toContain("unknown key 'command'; allowed keys of !JobGroup: ident, jobs, env, cwd, on_fail, on_pass, on_done");
    expect(lines('!Job\ncommand: x\nkind: group\n')[0]).toContain("spec.yaml:3:1  kind: unknown key 'kind'");
  });

  it('wrong types', () => {
    expect(lines('!Job\ncommand: x\non_pass: 42\n')).toEqual(['spec.yaml:3:10  on_pass: expected a list of sibling names (strings), found 42']);
    expect(lines('!Job\ncommand: [echo, hi]\n')).toEqual(['spec.yaml:2:10  command: expected a command (the program to run, a non-empty string), found a list']);
    expect(lines('!Job\ncommand: x\nenv: [A]\n')).toEqual(['spec.yaml:3:6  env: expected a mapping of variable names to strings or integers, found a list']);
    expect(lines('!Job\ncommand: x\nenv: {A: 1.5, B: true, C: ~}\n')).toHaveLength(3);
    expect(lines('!Job\ncommand: x\nident: 7\n')).toEqual(['spec.yaml:3:8  ident: expected a non-empty string (or no ident), found 7']);
  });

  it('a !Job without command', () => {
    expect(lines('!JobGroup\njobs:\n  - !Job\n    ident: a\n')).toEqual([
      'spec.yaml:3:5  jobs[0].command: missing: a !Job needs a command (the program to run, e.g. `command: bash` with `args: [-c, "..."]`)',
    ]);
  });

  it('duplicate ids among siblings, including two entries without ident colliding with T<n>', () => {
    expect(lines('!JobGroup\njobs:\n  - !Job {ident: a, command: x}\n  - !Job {ident: a, command: y}\n')).toEqual([
      "spec.yaml:4:18  jobs[1].ident: duplicate id 'a' (also jobs[0]); siblings need distinct idents (an entry without ident is named T<position>)",
    ]);
    expect(loadSpec('!JobGroup\njobs:\n  - !Job {command: x}\n  - !Job {command: y}\n')).toMatchObject({ jobs: [{ ident: null }, { ident: null }] });
    expect(lines('!JobGroup\njobs:\n  - !Job {command: x}\n  - !Job {ident: T0, command: y}\n')[0]).toContain("duplicate id 'T0'");
  });

  it('dangling dependencies name the siblings; self-dependency; cycles of any length', () => {
    expect(lines('!JobGroup\njobs:\n  - !Job {ident: a, command: x}\n  - !Job {ident: b, command: x, on_done: [c]}\n')).toEqual([
      "spec.yaml:4:43  jobs[1].on_done[0]: no sibling named 'c' (dependencies name entries of the same jobs list; siblings: a)",
    ]);
    expect(lines('!JobGroup\njobs:\n  - !Job {ident: a, command: x, on_pass: [a]}\n')).toEqual([
      "spec.yaml:3:43  jobs[0].on_pass[0]: 'a' depends on itself, so it could never start",
    ]);
    expect(
      lines(`!JobGroup
jobs:
  - !Job {ident: a, command: x, on_pass: [c]}
  - !Job {ident: b, command: x, on_fail: [a]}
  - !Job {ident: c, command: x, on_done: [b]}
  - !Job {ident: d, command: x, on_done: [e]}
  - !Job {ident: e, command: x, on_done: [d]}
`),
    ).toEqual([
      'spec.yaml:3:43  jobs[0].on_pass[0]: dependency cycle a -> c -> b -> a: these entries would wait for each other forever',
      'spec.yaml:6:43  jobs[3].on_done[0]: dependency cycle d -> e -> d: these entries would wait for each other forever',
    ]);
  });

  it("ignores the root's own dependencies (a child's spec keeps its entry's)", () => {
    expect(loadSpec('!Job {command: x, on_pass: [compile]}')).toMatchObject({ on_pass: ['compile'] });
  });

  it('resource amounts, units and repetitions', () => {
    expect(
      lines(`!Job
command: x
resources:
  - !Cores [0]
  - !Memory [2, PB]
  - !License [simtool, -1]
  - !Cores [2]
  - !License {name: simtool}
`),
    ).toEqual([
      'spec.yaml:4:13  resources[0].count: expected a positive number of cores (an integer from 1 to 65536), found 0',
      'spec.yaml:5:17  resources[1].unit: expected a memory unit (KB, MB, GB, TB), found the string "PB"',
      'spec.yaml:6:24  resources[2].count: expected a positive number of seats (an integer from 1 to 1000000), found -1',
      'spec.yaml:7:5  resources[3]: more than one !Cores (the first is resources[0]); request cores once per job',
      "spec.yaml:8:21  resources[4].name: license 'simtool' is requested twice (the first is resources[2]); use one !License with a count",
    ]);
    expect(lines('!JobGroup\njobs: [!Cores [1]]\n')).toEqual(['spec.yaml:2:8  jobs[0]: expected a !Job, !JobGroup or !JobArray, found a !Cores']);
    expect(lines('!Job\ncommand: x\nresources: [!Job {command: y}]\n')).toEqual(['spec.yaml:3:13  resources[0]: expected a !Cores, !Memory or !License, found a !Job']);
  });

  it('extension fields', () => {
    expect(
      lines(`!JobArray
repeats: 2
timeout: 10 minutes
hang_timeout: -1
retries: 1.5
log_rules:
  - {pattern: "([a-z]", severity: ERROR}
  - {pattern: x, severity: LOUD}
  - {preset: nope}
stderr_severity: NOISY
limits: {error: -1}
seed: [1, 2, 3]
jobs: []
`),
    ).toEqual([
      'spec.yaml:3:10  timeout: expected a duration such as 90s, 30m, 2h or 1h30m (units ms, s, m, h, d), found "10 minutes"',
      'spec.yaml:4:15  hang_timeout: expected a positive duration, found -1',
      'spec.yaml:5:10  retries: expected a number of retries (an integer from 0 to 100), found the float 1.5',
      'spec.yaml:7:15  log_rules[0].pattern: expected a valid regular expression, found the string "([a-z]" (Invalid regular expression: /([a-z]/: Unterminated group)',
      'spec.yaml:8:28  log_rules[1].severity: expected a severity name (DEBUG, INFO, WARNING, ERROR, CRITICAL), found the string "LOUD"',
      'spec.yaml:9:14  log_rules[2].preset: expected a preset name (uvm, xcelium, vcs, questa, verilator), found the string "nope"',
      'spec.yaml:10:18  stderr_severity: expected a severity name (DEBUG, INFO, WARNING, ERROR, CRITICAL), found the string "NOISY"',
      'spec.yaml:11:17  limits.error: expected an integer >= 0, found -1',
      'spec.yaml:12:7  seed: expected one seed per index (2 for repeats: 2), found 3 seeds',
    ]);
    const spec = loadSpec(`!JobGroup
timeout: 1h30m
hang_timeout: 90
retries: 2
stderr_severity: info
log_rules: [{preset: Questa}, {pattern: "^NOTE", severity: warn}]
limits: {warning: 5}
jobs: [!JobArray {seed: 7, jobs: [], repeats: 2}]
`) as JobGroup;
    expect(spec).toMatchObject({
      timeout: 5400,
      hang_timeout: 90,
      retries: 2,
      stderr_severity: 'INFO',
      log_rules: [{ preset: 'questa' }, { pattern: '^NOTE', severity: 'WARNING' }],
      limits: { warning: 5 },
      jobs: [{ seed: 7 }],
    });
    expect(lines('!Job\ncommand: x\nlimits: {error: 1}\n')[0]).toContain("unknown key 'limits'");
    expect(lines('!JobGroup\nseed: 1\n')[0]).toContain("unknown key 'seed'");
  });

  it('untagged mappings in jobs, a root that is not a job, garbage, binary and empty input', () => {
    expect(lines('!JobGroup\njobs:\n  - command: x\n')).toEqual(['spec.yaml:3:5  jobs[0]: expected a !Job, !JobGroup or !JobArray, found an untagged mapping']);
    expect(lines('command: x\n')).toEqual([
      'spec.yaml:1:1  expected the root to be !Job, !JobGroup or !JobArray, found an untagged mapping (start the document with a tag, e.g. !Job)',
    ]);
    expect(lines('!Cores [1]\n')).toEqual(['spec.yaml:1:1  expected the root to be !Job, !JobGroup or !JobArray, found !Cores']);
    expect(lines('just words')).toEqual(['spec.yaml:1:1  expected the root to be !Job, !JobGroup or !JobArray, found the scalar "just words"']);
    expect(lines('!Job\ncommand: x\u0000\u0001')).toEqual(['spec.yaml:2:11  expected YAML text, found binary data (control character U+0000)']);
    expect(lines('')).toEqual(['spec.yaml  the spec is empty: expected a document whose root is !Job, !JobGroup or !JobArray']);
    expect(lines('# only a comment\n\n')).toEqual(['spec.yaml  the spec is empty: expected a document whose root is !Job, !JobGroup or !JobArray']);
    expect(lines('!Job {command: x}\n---\n!Job {command: y}\n')[0]).toMatch(/^spec\.yaml:2:1 {2}YAML syntax error: Source contains multiple documents/);
  });

  it('guards huge and deeply nested documents', () => {
    const deep = `!Job\ncommand: x\nargs: ${'['.repeat(20000)}${']'.repeat(20000)}\n`;
    expect(lines(deep)[0]).toMatch(/nested too deeply/);
    let nested = '!JobGroup\njobs:\n';
    let indent = '  ';
    for (let i = 0; i < 100; i++) {
      nested += `${indent}- !JobGroup\n${indent}  jobs:\n`;
      indent += '    ';
    }
    expect(lines(nested)[0]).toMatch(/nested too deeply \(more than 128 levels\)/);
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      laughs.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    expect(lines(`!Job\ncommand: x\nenv:\n${laughs.map((l) => `  ${l}`).join('\n')}\n`)[0]).toMatch(/too large once aliases are expanded/);
  });
});

describe('loadSpecFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gator-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and uses its path in issues', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, '!Job\nident: x\n');
    const error = specError(() => loadSpecFile(file));
    expect(error.issues[0]).toMatchObject({ file, line: 1, column: 1, path: 'command' });
    writeFileSync(file, '!Job {command: echo}\n');
    expect(loadSpecFile(file)).toMatchObject({ command: 'echo' });
  });

  it('a missing file is GATOR_SPEC_NOT_FOUND naming the path', () => {
    const missing = path.join(dir, 'nope.yaml');
    let caught: unknown;
    try {
      loadSpecFile(missing);
    } catch (error) {
      caught = error;
    }
    expect(isGatorError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'GATOR_SPEC_NOT_FOUND' });
    expect((caught as Error).message).toContain(missing);
    expect(() => loadSpecFile(dir)).toThrow(/is a directory/);
  });

  it('binary files are spec errors', () => {
    const file = path.join(dir, 'binary.yaml');
    writeFileSync(file, Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x9f]));
    expect(specError(() => loadSpecFile(file)).issues[0]!.message).toMatch(/binary data/);
  });
});

export type { Spec };

describe('output_limit (issue 17)', () => {
  it('reads lines and sizes, and refuses what is not a limit with file:line', () => {
    const spec = loadSpec('!Job\nident: j\ncommand: "true"\noutput_limit: {lines: 5000, bytes: 64MiB}\n', 'spec.yaml');
    expect(spec.kind === 'job' && spec.output_limit).toEqual({ lines: 5000, bytes: 64 * 1024 * 1024 });
    expect(loadSpec('!Job\ncommand: "true"\noutput_limit: {bytes: 2 MB}\n', 'spec.yaml')).toMatchObject({ output_limit: { bytes: 2_000_000 } });
    const problems = (text: string) => {
      try {
        loadSpec(text, 'spec.yaml');
        return [];
      } catch (error) {
        return (error as SpecError).issues.map((i) => formatSpecIssue(i));
      }
    };
    expect(problems('!Job\ncommand: "true"\noutput_limit: {lines: 3}\n')[0]).toMatch(/^spec\.yaml:3:\d+ +output_limit\.lines: expected a number of lines \(an integer >= 10\), found 3/);
    expect(problems('!Job\ncommand: "true"\noutput_limit: {bytes: 12 parsecs}\n')[0]).toMatch(/output_limit\.bytes: expected a size such as 64MiB/);
    expect(problems('!Job\ncommand: "true"\noutput_limit: {bytes: 100}\n')[0]).toMatch(/output_limit\.bytes: expected a size of at least 1024 bytes/);
    expect(problems('!Job\ncommand: "true"\noutput_limit: {size: 1}\n')[0]).toMatch(/unknown key 'size'; allowed keys of output_limit: lines, bytes/);
  });

  it('is inherited key by key: the nearest setting of each key wins', () => {
    const spec = loadSpec(
      '!JobGroup\nident: g\noutput_limit: {lines: 100, bytes: 1MiB}\njobs:\n  - !Job {ident: a, command: "true", output_limit: {lines: 20}}\n  - !Job {ident: b, command: "true"}\n',
      'spec.yaml',
    );
    const [a, b] = childEntries(spec as JobGroup);
    expect(a!.spec.output_limit).toEqual({ lines: 20, bytes: 1024 * 1024 });
    expect(b!.spec.output_limit).toEqual({ lines: 100, bytes: 1024 * 1024 });
  });
});

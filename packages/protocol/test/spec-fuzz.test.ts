/**
 * Malformed specs of every kind must end in a SpecError whose issues all name
 * the file and (where the text has a position) a line: never another
 * exception, never a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpSpec, loadSpec, SpecError, validateSpec, type Spec } from '../src/index.js';
import { validSpec } from './arbitraries.js';

const FILE = 'fuzz.yaml';

function expectSpecError(text: string, options: { positioned: boolean }): void {
  let caught: unknown;
  try {
    loadSpec(text, FILE);
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof SpecError)) {
    throw new Error(`expected a SpecError for:\n${text.slice(0, 2000)}\ngot: ${caught === undefined ? 'no error' : String(caught)}`);
  }
  expect(caught.issues.length).toBeGreaterThan(0);
  for (const issue of caught.issues) {
    expect(issue.file).toBe(FILE);
    expect(issue.line).toBeGreaterThanOrEqual(0);
    if (options.positioned) expect(issue.line, `${issue.path}: ${issue.message}`).toBeGreaterThan(0);
  }
}

/** Values that are wrong for each field, whatever the rest of the spec is. */
const BAD: Record<string, unknown[]> = {
  ident: [42, true, [], {}, ''],
  env: [[], 'x', 42, { A: true }, { A: 1.5 }, { A: null }, { A: [] }],
  cwd: [42, [], {}, ''],
  command: [42, true, [], {}, '', null, 1.5],
  args: ['x', 42, {}, [true], [1.5], [null], [[]]],
  resources: [
    'x',
    [{}],
    [42],
    [{ kind: 'cores', count: 0 }],
    [{ kind: 'memory', size: 1, unit: 'PB' }],
    [{ kind: 'memory', size: -2 }],
    [{ kind: 'cores', count: 1 }, { kind: 'cores', count: 2 }],
    [{ kind: 'license', name: 'a', count: 1 }, { kind: 'license', name: 'a', count: 1 }],
    [{ kind: 'job', command: 'x' }],
  ],
  on_done: ['x', 42, [42], [true], [{}]],
  on_fail: ['x', 42, [42], [true], [{}]],
  on_pass: ['x', 42, [42], [true], [{}]],
  jobs: ['x', 42, [42], [{}], [{ command: 'x' }], [{ kind: 'cores', count: 1 }]],
  repeats: [0, -1, 'x', 1.5, true],
  timeout: ['x', 0, -5, [], '10y'],
  hang_timeout: ['1h30', -1, {}],
  retries: [-1, 1.5, 'x'],
  log_rules: ['x', [{}], [{ pattern: '(' , severity: 'ERROR' }], [{ preset: 'x' }], [{ pattern: 'a', severity: 'LOUD' }], [42]],
  stderr_severity: ['LOUD', 42],
  limits: [{ error: -1 }, 'x', { foo: 1 }],
  seed: ['x', [], [true], 1.5],
};
const FIELDS_OF: Record<string, string[]> = {
  job: ['ident', 'env', 'cwd', 'command', 'args', 'resources', 'on_done', 'on_fail', 'on_pass', 'timeout', 'hang_timeout', 'retries', 'log_rules', 'stderr_severity'],
  group: ['ident', 'env', 'cwd', 'on_done', 'on_fail', 'on_pass', 'jobs', 'timeout', 'hang_timeout', 'retries', 'log_rules', 'stderr_severity', 'limits'],
  array: ['ident', 'env', 'cwd', 'on_done', 'on_fail', 'on_pass', 'jobs', 'repeats', 'timeout', 'retries', 'log_rules', 'limits', 'seed'],
};

function nodesOf(spec: Spec): Spec[] {
  const out: Spec[] = [spec];
  if (spec.kind !== 'job') for (const child of spec.jobs) out.push(...nodesOf(child));
  return out;
}

/** A copy of `spec` with one field of one node set to a wrong value. */
function breakOneField(spec: Spec, pick: [number, number, number]): Spec {
  const copy = structuredClone(spec);
  const nodes = nodesOf(copy);
  const node = nodes[pick[0] % nodes.length]! as unknown as Record<string, unknown>;
  const fields = FIELDS_OF[node.kind as string]!;
  const field = fields[pick[1] % fields.length]!;
  const bad = BAD[field]!;
  node[field] = structuredClone(bad[pick[2] % bad.length]);
  return copy;
}

const BAD_TAGS = ['!Task', '!job', '!Jobs', '!!python/object:os.system', '!JobGroup2', '!Core', '!!map'];
const TAG_RE = /!(?:JobGroup|JobArray|Job|Cores|Memory|License)\b/g;

describe('malformed specs always end in a SpecError', () => {
  it('a wrong value in one field of a valid spec (200 cases)', () => {
    fc.assert(
      fc.property(validSpec(), fc.tuple(fc.nat(), fc.nat(), fc.nat()), (spec, pick) => {
        const broken = breakOneField(spec, pick);
        expectSpecError(dumpSpec(broken), { positioned: true });
        expect(() => validateSpec(broken)).toThrow(SpecError);
      }),
      { numRuns: 200 },
    );
  });

  it('an unknown key, a missing command or a bad tag in a valid spec (100 cases)', () => {
    fc.assert(
      fc.property(validSpec(), fc.nat(), fc.constantFrom('key', 'command', 'tag'), (spec, n, how) => {
        let text = dumpSpec(spec);
        if (how === 'key') {
          text = text.replace(/^(!\w+)\n/, `$1\nbogus_${n % 7}: 1\n`);
        } else if (how === 'command') {
          if (spec.kind !== 'job') return;
          text = text.replace(/^command: .*\n/m, '');
        } else {
          const tags = [...text.matchAll(TAG_RE)];
          const target = tags[n % tags.length]!;
          text = text.slice(0, target.index) + BAD_TAGS[n % BAD_TAGS.length]! + text.slice(target.index! + target[0].length);
        }
        expectSpecError(text, { positioned: true });
      }),
      { numRuns: 100 },
    );
  });

  it('dependency cycles of any length (50 cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 4 }), fc.constantFrom('on_pass', 'on_fail', 'on_done'), (length, extra, cond) => {
        const jobs = Array.from({ length }, (_, i) => `  - !Job {ident: j${i}, command: x, ${cond}: [j${(i + 1) % length}]}`);
        for (let i = 0; i < extra; i++) jobs.push(`  - !Job {ident: free${i}, command: x}`);
        expectSpecError(`!JobGroup\njobs:\n${jobs.join('\n')}\n`, { positioned: true });
      }),
      { numRuns: 50 },
    );
  });

  it('huge and deeply nested documents (40 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 130, max: 30_000 }).map((depth) => `!Job\ncommand: x\nargs: ${'['.repeat(depth)}${']'.repeat(depth)}\n`),
          fc.integer({ min: 130, max: 5_000 }).map((depth) => `!Job\ncommand: x\nenv: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`),
          fc.integer({ min: 65, max: 120 }).map((depth) => {
            let text = '!JobGroup\njobs:\n';
            let indent = '  ';
            for (let i = 0; i < depth; i++) {
              text += `${indent}- !JobGroup\n${indent}  jobs:\n`;
              indent += '    ';
            }
            return text;
          }),
          fc.tuple(fc.integer({ min: 6, max: 10 }), fc.integer({ min: 6, max: 12 })).map(([width, levels]) => {
            const lines = [`  l0: &l0 [${Array(width).fill('x').join(', ')}]`];
            for (let i = 1; i < levels; i++) lines.push(`  l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
            return `!Job\ncommand: x\nenv:\n${lines.join('\n')}\n`;
          }),
          fc.integer({ min: 1_000, max: 20_000 }).map((n) => `!JobGroup\njobs:\n${'  - !Job {command: x}\n'.repeat(n)}  - !Job {command: 42}\n`),
        ),
        (text) => expectSpecError(text, { positioned: true }),
      ),
      { numRuns: 40 },
    );
  });

  it('random binary and random text (200 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
          fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ maxLength: 200 }),
        ),
        (text) => {
          // Random input is never a valid spec: it has no root tag.
          expectSpecError(text, { positioned: false });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random edits of valid specs either load or throw a SpecError (200 cases)', () => {
    fc.assert(
      fc.property(validSpec(), fc.nat(), fc.nat({ max: 20 }), fc.string({ unit: 'binary', maxLength: 6 }), (spec, at, cut, insert) => {
        const text = dumpSpec(spec);
        const position = at % (text.length + 1);
        const edited = text.slice(0, position) + insert + text.slice(position + cut);
        try {
          loadSpec(edited, FILE);
        } catch (error) {
          expect(error).toBeInstanceOf(SpecError);
          for (const issue of (error as SpecError).issues) expect(issue.file).toBe(FILE);
        }
      }),
      { numRuns: 200 },
    );
  });
});

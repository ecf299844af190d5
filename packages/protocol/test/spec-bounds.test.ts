/**
 * Issue 17 at the spec: idents are names, values have bounds, a spec file is
 * a regular file of bounded size, log patterns run in linear time, and what
 * a tier derives (child ids) is checked by the same rules.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GatorError,
  SPEC_BOUNDS,
  SpecError,
  checkChildIds,
  childEntries,
  compileLogPattern,
  expansionProblem,
  identProblem,
  loadSpec,
  loadSpecFile,
  parseDuration,
  validateSpec,
} from '../src/index.js';
import { treeSize } from '../src/spec/check.js';
import { MAX_ID_BYTES } from '../src/spec/ident.js';
import { validSpec } from './arbitraries.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-bounds-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function problems(text: string): string[] {
  try {
    loadSpec(text, 'spec.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
  }
}

describe('idents', () => {
  it.each([
    ['../../x', 'path separator'],
    ['.', 'names a directory'],
    ['..', 'names a directory'],
    ['a/b', "separator '/'"],
    ['a\\b', "separator '\\'"],
    ['--help', 'starts with -'],
    ['-', 'starts with -'],
    ['', 'empty'],
    ['a\u0000b', 'U+0000'],
    ['a\nb', 'U+000A'],
    ['\u007f', 'U+007F'],
    ['\u0085', 'U+0085'],
    ['\u2028', 'U+2028'],
    ['\ud800', 'lone surrogate'],
    ['x'.repeat(201), '201 bytes'],
    ['é'.repeat(101), '202 bytes'],
  ])('%j is refused (%s)', (ident, why) => {
    expect(identProblem(ident)).toContain(why);
  });

  it.each(['ok', 'v1.2', '...', 'a.b', ' spaced ', 'ünï 日本 🐊', 'a-b', 'T0', '$HOME', 'x'.repeat(200), 'é'.repeat(100)])('%j is a name', (ident) => {
    expect(identProblem(ident)).toBeUndefined();
  });

  it('is a spec error at the ident, on every level, with the rule', () => {
    expect(problems('!JobGroup\nident: top\njobs:\n  - !Job {ident: "../../x", command: "true"}\n  - !JobArray {ident: "-x", jobs: []}\n')).toEqual([
      '4:18 jobs[0].ident: expected a plain name: not empty, not . or .., no / or \\, no leading -, no control characters, at most 200 bytes, found the string "../../x" (it contains the path separator \'/\')',
      '5:23 jobs[1].ident: expected a plain name: not empty, not . or .., no / or \\, no leading -, no control characters, at most 200 bytes, found the string "-x" (it starts with -, so a child would read it as an option)',
    ]);
    expect(problems('!Job {ident: ".", command: "true"}\n')[0]).toMatch(/^1:14 ident: .*'\.' names a directory/);
  });

  it('ids a tier derives from valid idents are valid and distinct (generated specs)', () => {
    fc.assert(
      fc.property(validSpec(), (spec) => {
        const stack = [spec];
        while (stack.length > 0) {
          const node = stack.pop()!;
          if (node.kind === 'job') continue;
          const entries = childEntries(node, { random: () => 0 });
          expect(() => checkChildIds(entries)).not.toThrow();
          stack.push(...node.jobs);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the longest derived id (an ident at the bound, the last copy) is a valid --id', () => {
    const id = `${'x'.repeat(SPEC_BOUNDS.identBytes)}_${SPEC_BOUNDS.repeats - 1}`;
    expect(Buffer.byteLength(id)).toBe(MAX_ID_BYTES);
    expect(identProblem(id, 'id')).toBeUndefined();
    expect(identProblem(id, 'ident')).toMatch(/bytes long/);
  });

  it('checkChildIds refuses duplicates and ids that are not names (a spec built in code)', () => {
    expect(() => checkChildIds([{ id: 'a', baseId: 'a' }, { id: 'a', baseId: 'a' }])).toThrow(/two children have the id 'a'/);
    expect(() => checkChildIds([{ id: '../x', baseId: '../x' }])).toThrow(/not a plain name/);
    const built = { kind: 'group', ident: 'g', jobs: [{ kind: 'job', ident: '../x', command: 'true' }] };
    expect(() => validateSpec(built)).toThrow(/jobs\[0\]\.ident: expected a plain name/);
  });
});

describe('bounds of values', () => {
  it('durations: 1 ms to 365 days', () => {
    expect(parseDuration('1ms')).toBe(0.001);
    expect(parseDuration('365d')).toBe(SPEC_BOUNDS.durationMaxSeconds);
    expect(parseDuration('30d')).toBe(30 * 86_400);
    expect(() => parseDuration('366d')).toThrow(/a duration from 1ms to 365d, found "366d"/);
    expect(() => parseDuration(0.0005)).toThrow(/from 1ms to 365d/);
    expect(() => parseDuration(1e308)).toThrow(/from 1ms to 365d/);
  });

  it('counts and sizes, at and past each bound', () => {
    const job = (extra: string) => `!Job {ident: j, command: "true", ${extra}}\n`;
    expect(problems(job('retries: 100'))).toEqual([]);
    expect(problems(job('retries: 101'))[0]).toMatch(/retries: expected a number of retries \(an integer from 0 to 100\), found 101/);
    expect(problems(job('resources: [!Cores [65536], !License [t, 1000000], !Memory [1000, TB]]'))).toEqual([]);
    expect(problems(job('resources: [!Memory [1, KB]]'))).toEqual([]);
    expect(problems(job('resources: [!Cores [65537]]'))[0]).toMatch(/count: expected a positive number of cores \(an integer from 1 to 65536\)/);
    expect(problems(job('resources: [!License [t, 1000001]]'))[0]).toMatch(/count: expected a positive number of seats/);
    expect(problems(job('resources: [!Memory [1001, TB]]'))[0]).toMatch(/size: expected a memory request from 1 KB to 1 PB .*found 1001 TB/);
    expect(problems(job('resources: [!Memory [0.5, KB]]'))[0]).toMatch(/size: expected a memory request from 1 KB/);
    const group = (extra: string) => `!JobGroup {ident: g, jobs: [], ${extra}}\n`;
    expect(problems(group(`limits: {warning: ${Number.MAX_SAFE_INTEGER}}`))).toEqual([]);
    expect(problems(group(`limits: {warning: ${2 ** 53}}`))[0]).toMatch(/limits\.warning: expected an integer >= 0/);
    const array = (extra: string) => `!JobArray {ident: a, jobs: [], ${extra}}\n`;
    expect(problems(array('repeats: 100000'))).toEqual([]);
    expect(problems(array('repeats: 100001'))[0]).toMatch(/repeats: expected a number of repeats \(an integer from 1 to 100000\)/);
    expect(problems(array(`seed: ${2 ** 48}`))).toEqual([]);
    expect(problems(array(`seed: ${2 ** 48 + 1}`))[0]).toMatch(/seed: expected random, an integer/);
  });

  it('the whole tree: at most 100,000 jobs and 100,000 groups and arrays, counting copies', () => {
    const nested = (outer: number, inner: number) => `!JobArray {ident: o, repeats: ${outer}, jobs: [!JobArray {ident: i, repeats: ${inner}, jobs: [!Job {command: "true"}]}]}\n`;
    expect(problems(nested(1000, 100))).toEqual([]);
    expect(problems(nested(1000, 101))).toEqual(['1:1 : the spec expands to 101,000 jobs (counting every array copy); at most 100,000 are supported']);
    expect(problems(nested(100_000, 100_000))[0]).toMatch(/expands to 10,000,000,000 jobs/);
    expect(problems('!JobArray {ident: e, repeats: 100000, jobs: [!JobGroup {jobs: []}]}\n')).toEqual([
      '1:1 : the spec expands to 100,001 groups and arrays (counting every array copy); at most 100,000 are supported',
    ]);
    expect(treeSize(loadSpec(nested(3, 4)))).toEqual({ jobs: 12, tiers: 4 });
  });

  it('a deep tree built in code is sized without recursion', () => {
    let node: unknown = { kind: 'job', command: 'true' };
    for (let i = 0; i < 50_000; i++) node = { kind: 'group', jobs: [node] };
    expect(treeSize(node)).toEqual({ jobs: 1, tiers: 50_000 });
  });
});

describe('words Gator passes to a program', () => {
  it('NUL bytes, unexpandable `$` references and bad environment names are spec errors', () => {
    const out = problems('!Job\nident: j\ncommand: "tr\\0ue"\nargs: ["${X", "${X:bad}", "${X:-ok}", "$$", "\\\\${X"]\ncwd: "a\\0"\nenv: {"A=B": 1, "": 2, OK: "v\\0"}\n');
    expect(out).toEqual([
      '3:10 command: expected a command Gator can start, found the string "tr\\u0000ue" (contains a NUL character, which no program can receive)',
      '4:8 args[0]: expected an argument Gator can pass on, found the string "${X" (Unclosed ${ for variable X in "${X")',
      '4:15 args[1]: expected an argument Gator can pass on, found the string "${X:bad}" (Bad substring ${X:bad}: expected :offset or :offset:length)',
      '5:6 cwd: expected a directory path, found the string "a\\u0000" (contains a NUL character, which no program can receive)',
      '6:7 env["A=B"]: expected an environment variable name, found the string "A=B" (it contains \'=\')',
      '6:17 env[""]: expected an environment variable name, found the string "" (it is empty)',
      '6:28 env.OK: expected an environment value, found the string "v\\u0000" (contains a NUL character, which no program can receive)',
    ]);
    // Only the syntax: whether X is set is known when the job starts.
    expect(expansionProblem('${X:?X must be set}')).toBeUndefined();
  });
});

describe('log patterns', () => {
  it('catastrophic patterns match in linear time', () => {
    const line = `${'a'.repeat(100_000)}!`;
    for (const source of ['(a+)+$', '(a|a)*$', '(a|aa)+$', '(.*a){20}']) {
      const compiled = compileLogPattern(source);
      expect(compiled.problem, source).toBeUndefined();
      // A backtracking engine would not return from this in any useful time.
      compiled.pattern!.test(line);
    }
    expect(compileLogPattern('(a+)+$').pattern!.test(line)).toBe(false);
    expect(compileLogPattern('(a|a)*$').pattern!.test(line)).toBe(true);
  });

  it('match as JavaScript would on what both accept', () => {
    const cases: [string, string, boolean][] = [
      ['^\\s*UVM_ERROR(?:\\s+[^\\s:]|\\s*$)', 'UVM_ERROR @ 10ns: bad', true],
      ['^\\s*UVM_ERROR(?:\\s+[^\\s:]|\\s*$)', 'UVM_ERROR :    0', false],
      ['\\*E,\\w+', 'xmsim: *E,ASRTST: failed', true],
      ['^NOTE:', 'note: lower', false],
      ['\\u0041', 'A', true],
      ['[^]', 'x', true],
      ['a{3}', 'aa', false],
      ['\\d+\\.\\d+', 'v1.25', true],
      ['(?<name>x)y', 'xy', true],
      ['\\bword\\b', 'a word here', true],
      ['\\$HOME', '$HOME', true],
    ];
    for (const [source, line, expected] of cases) {
      expect(new RegExp(source).test(line), `RegExp ${source}`).toBe(expected);
      expect(compileLogPattern(source).pattern?.test(line), `linear ${source}`).toBe(expected);
    }
  });

  it.each([
    ['(a)\\1', /linear time/],
    ['(?=a)b', /linear time/],
    ['(?!a)b', /linear time/],
    ['(?<=a)b', /linear time/],
    ['(?<!a)b', /linear time/],
    ['a{1001}', /linear time/],
    ['(', /Unterminated group/],
    ['(?i)abc', /Invalid group/],
    ['\\p{L}', /\\p is not an escape in JavaScript/],
    ['\\z', /\\z is not an escape/],
    ['\\x{41}', /\\x must be followed by two hex digits/],
    ['[]', /empty class/],
    ['[[:alpha:]]', /POSIX class/],
  ])('%j is refused: %s', (source, why) => {
    expect(compileLogPattern(source).problem).toMatch(why);
  });

  it('a pattern past the length bound and a rule list past the count bound are spec errors', () => {
    expect(compileLogPattern('a'.repeat(SPEC_BOUNDS.logPatternChars)).problem).toBeUndefined();
    expect(compileLogPattern('a'.repeat(SPEC_BOUNDS.logPatternChars + 1)).problem).toMatch(/at most 4096/);
    const rules = (n: number) => `[${Array.from({ length: n }, (_, i) => `{pattern: "^r${i}", severity: INFO}`).join(', ')}]`;
    expect(problems(`!Job {ident: j, command: "true", log_rules: ${rules(100)}}\n`)).toEqual([]);
    expect(problems(`!Job {ident: j, command: "true", log_rules: ${rules(101)}}\n`)[0]).toMatch(/log_rules: expected at most 100 log rules .* found 101/);
    expect(problems(`!Job {ident: j, command: "true", log_rules: [${Array(34).fill('{preset: uvm}').join(', ')}]}\n`)[0]).toMatch(/found 102/);
  });
});

describe('the spec file', () => {
  const refuse = (file: string) => {
    try {
      loadSpecFile(file);
    } catch (error) {
      return error as GatorError;
    }
    throw new Error(`${file} loaded`);
  };

  it('a device, a FIFO, a directory or a socket is refused without reading (and without waiting for a writer)', () => {
    expect(refuse('/dev/zero').message).toBe('Spec file /dev/zero is a character device, not a regular file');
    expect(refuse('/dev/urandom').code).toBe('GATOR_SPEC_NOT_FOUND');
    const fifo = path.join(tmp, 'spec.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(refuse(fifo).message).toMatch(/is a FIFO \(named pipe\), not a regular file/);
    expect(refuse(tmp).message).toMatch(/is a directory, not a regular file/);
    const link = path.join(tmp, 'zero.yaml');
    fs.symlinkSync('/dev/zero', link);
    expect(refuse(link).message).toMatch(/character device/);
  });

  it('a file past the bound is refused by its size, one at the bound is read (and judged on its content)', () => {
    const big = path.join(tmp, 'big.yaml');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, SPEC_BOUNDS.fileBytes + 1);
    const error = refuse(big);
    expect(error).toBeInstanceOf(SpecError);
    expect(error.message).toMatch(/too large \(more than 33554432 bytes/);
    fs.truncateSync(big, SPEC_BOUNDS.fileBytes);
    expect(refuse(big).message).toMatch(/binary data/);
  });

  it('a regular file that reports size 0 (as in /proc) is still read', () => {
    expect(refuse('/proc/self/environ').message).toMatch(/binary data|control character/);
  });
});

describe('tracking paths', () => {
  it('the deepest tracking directory stays within the bound (ids joined by /)', () => {
    const nested = (levels: number) => {
      let text = '!Job {ident: leaf, command: "true"}';
      for (let i = 0; i < levels; i++) text = `!JobGroup {ident: ${`${i}`.padStart(200, 'g')}, jobs: [${text}]}`;
      return `${text}\n`;
    };
    // Below the root: 14 groups of 200 bytes and the leaf, each with its `/`.
    expect(problems(nested(15))).toEqual([]);
    expect(problems(nested(16))).toEqual([]);
    expect(problems(nested(17))[0]).toMatch(/jobs\[0\](\.jobs\[0\])*: this entry's tracking directory would be 3216 bytes below --tracking .* at most 3072/);
  });
});

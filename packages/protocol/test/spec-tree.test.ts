import { describe, expect, it } from 'vitest';
import {
  array,
  childEntries,
  cores,
  expectedJobs,
  group,
  job,
  jobResources,
  license,
  loadSpec,
  LOG_RULE_PRESETS,
  memory,
  memoryMb,
  parseDuration,
  resolveLogRules,
  SpecError,
  validateSpec,
  type JobArray,
  type JobGroup,
} from '../src/index.js';

describe('builders and validateSpec', () => {
  it('fill defaults and normalise extension values', () => {
    expect(job({ command: 'echo', timeout: '2m', stderr_severity: 'warn' })).toEqual({
      kind: 'job',
      ident: null,
      env: {},
      cwd: null,
      command: 'echo',
      args: [],
      resources: [],
      on_done: [],
      on_fail: [],
      on_pass: [],
      timeout: 120,
      stderr_severity: 'WARNING',
    });
    expect(cores(2)).toEqual({ kind: 'cores', count: 2 });
    expect(memory(4)).toEqual({ kind: 'memory', size: 4, unit: 'MB' });
    expect(license('simtool')).toEqual({ kind: 'license', name: 'simtool', count: 1 });
    const tree = group({ ident: 'g', jobs: [job({ ident: 'a', command: 'x' }), array({ ident: 'b', repeats: 2, jobs: [job({ command: 'y' })], on_pass: ['a'] })] });
    expect(validateSpec(tree)).toEqual(tree);
  });

  it('throw SpecError with paths and line 0', () => {
    let caught: unknown;
    try {
      group({ jobs: [job({ ident: 'a', command: 'x' }), { kind: 'job', ident: 'a', command: 3 } as never] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).issues).toEqual([
      { file: '<spec>', line: 0, column: 0, path: 'jobs[1].command', message: 'expected a command (the program to run, a non-empty string), found 3' },
      {
        file: '<spec>',
        line: 0,
        column: 0,
        path: 'jobs[1].ident',
        message: "duplicate id 'a' (also jobs[0]); siblings need distinct idents (an entry without ident is named T<position>)",
      },
    ]);
    expect(() => cores(0)).toThrow(SpecError);
    expect(() => memory(1, 'PB')).toThrow(/memory unit/);
    expect(() => license('', 1)).toThrow(SpecError);
    expect(() => validateSpec(null)).toThrow(SpecError);
    expect(() => validateSpec({ kind: 'job', command: 'x', bogus: 1 }, 'obj')).toThrow(/obj {2}bogus: unknown key 'bogus'/);
  });
});

describe('childEntries', () => {
  const spec = loadSpec(`!JobGroup
ident: top
env: {A: top, B: top}
cwd: /work
timeout: 10m
log_rules: [{preset: uvm}]
jobs:
  - !Job {ident: build, command: make, env: {B: mine}}
  - !JobArray
    ident: sims
    on_pass: [build]
    repeats: 3
    seed: 100
    cwd: /sims
    retries: 1
    jobs:
      - !Job {ident: sim, command: run, timeout: 30s}
      - !Job {command: other}
  - !Job {command: report, on_done: [sims]}
`) as JobGroup;

  it('expands a group: ids, tracking dirs, merged env and cwd, inherited extensions, dependencies', () => {
    const children = childEntries(spec);
    expect(children.map((c) => [c.id, c.baseId, c.trackingSubdir, c.index])).toEqual([
      ['build', 'build', 'build', undefined],
      ['sims', 'sims', 'sims', undefined],
      ['T2', 'T2', 'T2', undefined],
    ]);
    expect(children[0]!.spec).toMatchObject({ env: { A: 'top', B: 'mine' }, cwd: '/work', timeout: 600, log_rules: [{ preset: 'uvm' }] });
    expect(children[1]!.spec).toMatchObject({ cwd: '/sims', timeout: 600, retries: 1 });
    expect(children[1]!.dependencies).toEqual({ on_pass: ['build'], on_fail: [], on_done: [] });
    expect(children[2]!.dependencies).toEqual({ on_pass: [], on_fail: [], on_done: ['sims'] });
    // The parent is not changed.
    expect(spec.jobs[0]!.env).toEqual({ B: 'mine' });
  });

  it('expands an array: <base>_<i>, <base>/<i>, GATOR_ARRAY_INDEX, seeds', () => {
    const sims = childEntries(spec)[1]!.spec as JobArray;
    const copies = childEntries(sims);
    expect(copies.map((c) => [c.id, c.trackingSubdir, c.index, c.arraySize])).toEqual([
      ['sim_0', 'sim/0', 0, 3],
      ['sim_1', 'sim/1', 1, 3],
      ['sim_2', 'sim/2', 2, 3],
      ['T1_0', 'T1/0', 0, 3],
      ['T1_1', 'T1/1', 1, 3],
      ['T1_2', 'T1/2', 2, 3],
    ]);
    expect(copies[1]!.spec.env).toEqual({ A: 'top', B: 'top', GATOR_ARRAY_INDEX: 1, GATOR_SEED: 101 });
    expect(copies[0]!.spec).toMatchObject({ timeout: 30, retries: 1, cwd: '/sims' });
    expect(copies[3]!.spec).toMatchObject({ timeout: 600 });
  });

  it('seeds: random (from options.random), a list, and the innermost array index wins', () => {
    const random = array({ repeats: 2, jobs: [job({ command: 'x' })] });
    const values = [0.5, 0.25];
    expect(childEntries(random, { random: () => values.shift()! }).map((c) => c.spec.env.GATOR_SEED)).toEqual([2 ** 30, 2 ** 29]);
    const listed = array({ repeats: 2, seed: [7, 3], jobs: [job({ command: 'x' })] });
    expect(childEntries(listed).map((c) => c.spec.env.GATOR_SEED)).toEqual([7, 3]);
    const nested = array({ repeats: 2, jobs: [array({ repeats: 2, jobs: [job({ command: 'x' })] })] });
    const inner = childEntries(nested)[1]!.spec as JobArray;
    expect(inner.env.GATOR_ARRAY_INDEX).toBe(1);
    expect(childEntries(inner).map((c) => c.spec.env.GATOR_ARRAY_INDEX)).toEqual([0, 1]);
  });
});

describe('counting and resources', () => {
  it("expectedJobs counts as Python's tier", () => {
    expect(expectedJobs(job({ command: 'x' }))).toBe(1);
    expect(expectedJobs(group({ jobs: [] }))).toBe(0);
    const tree = group({
      jobs: [job({ command: 'a' }), array({ repeats: 3, jobs: [job({ command: 'b' }), group({ jobs: [job({ command: 'c' }), job({ command: 'd' })] })] })],
    });
    expect(expectedJobs(tree)).toBe(1 + 3 * (1 + 2));
  });

  it('jobResources and memoryMb (KB = 0.001 MB, decimal units)', () => {
    expect(jobResources(job({ command: 'x' }))).toEqual({ cores: 0, memoryMb: 0, licenses: {} });
    expect(jobResources(job({ command: 'x', resources: [cores(4), memory(2, ' gb'), license('sim', 2), license('wave')] }))).toEqual({
      cores: 4,
      memoryMb: 2000,
      licenses: { sim: 2, wave: 1 },
    });
    expect(memoryMb(memory(500, 'KB'))).toBeCloseTo(0.5);
    expect(memoryMb(memory(1, 'TB'))).toBe(1_000_000);
  });
});

describe('parseDuration and log rules', () => {
  it('parses seconds and duration strings', () => {
    expect(parseDuration(90)).toBe(90);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1d 2h')).toBe(93600);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('1.5h')).toBe(5400);
    for (const bad of ['', 'x', '10y', '1h30', 0, -1, Number.NaN, null, [], 'm']) expect(() => parseDuration(bad)).toThrow(/expected/);
  });

  it('presets match their tools and not the summaries', () => {
    const match = (preset: keyof typeof LOG_RULE_PRESETS, line: string) =>
      resolveLogRules([{ preset }]).find((rule) => new RegExp(rule.pattern).test(line))?.severity;
    expect(match('uvm', 'UVM_ERROR /tb/env.sv(12) @ 100: reporter [ID] bad')).toBe('ERROR');
    expect(match('uvm', 'UVM_FATAL @ 0: reporter [X] dead')).toBe('CRITICAL');
    expect(match('uvm', 'UVM_WARNING :    3')).toBeUndefined();
    expect(match('uvm', 'UVM_INFO @ 0: fine')).toBeUndefined();
    expect(match('xcelium', 'xmvlog: *E,NOTDIR (x.sv,3|4): bad')).toBe('ERROR');
    expect(match('xcelium', 'xmelab: *W,UNCONN: warn')).toBe('WARNING');
    expect(match('xcelium', 'xrun: *F,INTERR: boom')).toBe('CRITICAL');
    expect(match('vcs', 'Error-[SE] Syntax error')).toBe('ERROR');
    expect(match('vcs', 'Warning-[TFIPC] Too few')).toBe('WARNING');
    expect(match('questa', '** Error: (vsim-3033) x')).toBe('ERROR');
    expect(match('questa', '** Warning: (vlog-2623) y')).toBe('WARNING');
    expect(match('questa', '** Fatal: (SIGSEGV)')).toBe('CRITICAL');
    expect(match('verilator', '%Error: t.v:3:1: syntax')).toBe('ERROR');
    expect(match('verilator', '%Warning-WIDTH: t.v:4:2: width')).toBe('WARNING');
    expect(resolveLogRules([{ pattern: 'x', severity: 'INFO' }, { preset: 'verilator' }])).toHaveLength(3);
    expect(resolveLogRules(undefined)).toEqual([]);
  });
});

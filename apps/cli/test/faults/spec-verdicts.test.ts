/**
 * Issue 17, "validate and run agree": 1,000 generated hostile specs
 * (hostile-specs.ts: mutations of valid specs, idents, values at and past
 * every bound, special files) give `gator validate` and `gator run` the same
 * verdict, each a clear error (exit 2, no stack trace, `file:line` where a
 * line exists) or a correct run, none a hang, a crash or a write outside the
 * tracking directory.
 *
 * Cost: every spec goes through `gator validate` (a few processes, many files
 * each) and through `gator run`'s `main` in a driver process (rejected specs
 * start nothing, so one process runs them all); specs validate accepts are
 * checked as a child layer would receive them (every child spec survives the
 * dump and load a tier sends it; every child id is one a tier launches), and
 * a fixed sample of them, plus every special file and a sample of rejected
 * specs, run through the real CLI process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkChildIds, childEntries, compileLogPattern, dumpSpec, loadSpec, resolveLogRules, SPEC_BOUNDS, type Spec } from '@gator/protocol';
import { gator, tempDir } from '../helpers.js';
import { countBadSpecs, countFault, expectNoCrash, expectNoneLeft, flushCounts, markedProcesses, measure, RUN_MARKER, startRun } from './fault-kit.js';
import { hostileSpecs, type HostileCase, type SpecialFile } from './hostile-specs.js';
import { within } from './timing.js';

afterAll(() => flushCounts(import.meta.url));

const SEED = 1717;
const COUNT = 1000;
/** Accepted specs run through the real CLI (the rest are checked without running). */
const RUN_SAMPLE = 24;
/** Rejected specs also sent through the real CLI process (besides the driver). */
const REJECTED_SAMPLE = 10;
/** Levels between a case's directory and its --tracking: idents with more `..` than this would leave the case directory. */
const DEPTH = ['d1', 'd2', 'd3', 'd4'];
const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run-verdicts.mjs');

interface Materialized {
  id: number;
  c: HostileCase;
  dir: string;
  /** The spec path as given to the commands (relative to the root for files we made). */
  arg: string;
  /** Absolute spec path. */
  file: string;
  cwd: string;
  tracking: string;
}

function makeSpecial(special: SpecialFile, file: string): string {
  switch (special) {
    case 'dev-zero':
      return '/dev/zero';
    case 'dev-urandom':
      return '/dev/urandom';
    case 'dev-null':
      return '/dev/null';
    case 'fifo':
      // A FIFO nobody writes to: opening it for reading would wait for ever.
      spawnSyncOk('mkfifo', [file]);
      return file;
    case 'directory':
      fs.mkdirSync(file);
      return file;
    case 'symlink-to-dev-zero':
      fs.symlinkSync('/dev/zero', file);
      return file;
    case 'sparse-too-large':
      fs.writeFileSync(file, '');
      fs.truncateSync(file, SPEC_BOUNDS.fileBytes + 1);
      return file;
    case 'zeros-at-bound':
      fs.writeFileSync(file, '');
      fs.truncateSync(file, SPEC_BOUNDS.fileBytes);
      return file;
    case 'missing':
      return file;
    case 'binary':
      fs.writeFileSync(file, Buffer.from([0x21, 0x4a, 0x6f, 0x62, 0x00, 0xff, 0xfe, 0x01, 0x02]));
      return file;
  }
}

function spawnSyncOk(command: string, args: string[]): void {
  const { status } = spawnSync(command, args, { stdio: 'ignore' });
  if (status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
}

function materialize(root: string, cases: HostileCase[]): Materialized[] {
  return cases.map((c, id) => {
    const dir = path.join(root, `case-${id}`);
    const cwd = path.join(dir, ...DEPTH);
    fs.mkdirSync(cwd, { recursive: true });
    const file = path.join(dir, 'spec.yaml');
    let absolute = file;
    if (c.kind === 'special') absolute = makeSpecial(c.special, file);
    else fs.writeFileSync(file, c.text);
    const arg = absolute === file ? path.relative(root, file) : absolute;
    return { id, c, dir, arg, file: absolute, cwd, tracking: path.join(cwd, 'track') };
  });
}

/** Everything under `dir` (files, links, special files and directories), relative to it. */
function listAll(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    out.push(path.relative(base, full));
    if (entry.isDirectory() && !entry.isSymbolicLink()) out.push(...listAll(full, base));
  }
  return out;
}

/** What exists in the case's directory but outside its --tracking (beyond what the test made). */
function writtenOutside(m: Materialized): string[] {
  const made = new Set(['spec.yaml', ...DEPTH.map((_, i) => path.join(...DEPTH.slice(0, i + 1)))]);
  const track = path.relative(m.dir, m.tracking);
  return listAll(m.dir).filter((p) => !made.has(p) && p !== track && !p.startsWith(`${track}${path.sep}`));
}

/** Messages that have no line to point at (the file itself is wrong). */
const LINELESS = /empty|binary|too large|not a regular file|does not exist|could not be read/;

/** Every problem line names the file, and a line and column unless the problem has none. */
function expectClearProblems(lines: string[], name: string, context: string): void {
  expect(lines.length, `${context}: no problem listed`).toBeGreaterThan(0);
  for (const line of lines) {
    if (line.startsWith(`${name}:`) && /^\S+:\d+:\d+ {2}/.test(line)) continue;
    expect(line, `${context}: a problem without file:line:col`).toMatch(LINELESS);
  }
}

interface ValidateVerdict {
  valid: boolean;
  lines: string[];
}

/** `gator validate` of many files at once; the verdict of each, by the name given. */
async function validateAll(root: string, cases: Materialized[]): Promise<Map<string, ValidateVerdict>> {
  const verdicts = new Map<string, ValidateVerdict>();
  const chunk = 250;
  for (let i = 0; i < cases.length; i += chunk) {
    const names = cases.slice(i, i + chunk).map((m) => m.arg);
    const run = await within(gator(['validate', ...names], { cwd: root }), 120_000, `gator validate of ${names.length} specs`);
    expectNoCrash(run);
    for (const line of run.stdout.split('\n')) {
      const ok = /^✔ (.*?): valid /.exec(line);
      if (ok) verdicts.set(ok[1]!, { valid: true, lines: [] });
    }
    let current: ValidateVerdict | undefined;
    for (const line of run.stderr.split('\n')) {
      const bad = /^✖ (.*?): (\d+ problems?|.*)$/.exec(line);
      if (bad && names.includes(bad[1]!)) {
        current = { valid: false, lines: /^\d+ problems?$/.test(bad[2]!) ? [] : [bad[2]!] };
        verdicts.set(bad[1]!, current);
      } else if (line.trim() !== '' && current) {
        current.lines.push(line);
      }
    }
    expect(run.code, 'exit code of a validate with bad specs').toBe(names.every((n) => verdicts.get(n)?.valid) ? 0 : 2);
  }
  return verdicts;
}

interface RunVerdict {
  code: number | string;
  out: string;
  err: string;
}

/** `gator run`'s main on each case, in one driver process (killed, and the case named, if one hangs). */
async function runAll(root: string, cases: Materialized[]): Promise<Map<number, RunVerdict>> {
  const list = path.join(root, 'driver-cases.json');
  fs.writeFileSync(list, JSON.stringify(cases.map((m) => ({ id: m.id, file: m.file, cwd: m.cwd, tracking: m.tracking }))));
  const marker = randomUUID();
  const child = spawn(process.execPath, [DRIVER, list], { cwd: root, env: { ...process.env, [RUN_MARKER]: marker, GATOR_TOKEN: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let code: number | null;
  try {
    code = await within(exited, 150_000, 'the run driver');
  } finally {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  }
  const verdicts = new Map<number, RunVerdict>();
  let started: number | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { start?: number; id?: number } & RunVerdict;
    if (record.start !== undefined) started = record.start;
    else verdicts.set(record.id!, record);
  }
  expect(code, `the run driver died or hung${started !== undefined && !verdicts.has(started) ? ` on case ${started}` : ''}:\n${stderr.slice(-2000)}`).toBe(0);
  const left = markedProcesses(marker);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  expect(left, 'processes left by rejected specs').toEqual([]);
  return verdicts;
}

/**
 * What the layers below the root do with an accepted spec, without running
 * it: every tier's children get distinct ids that pass `checkChildIds`, every
 * child spec comes back unchanged from the dump and load a tier sends it,
 * and every job's log rules compile. Copies of an array differ only in their
 * index and seed: three of them stand for all (ids of any length are the
 * protocol's unit tests); wide groups are sampled.
 */
function expectChildrenReceivable(spec: Spec, context: string): void {
  const stack: Spec[] = [spec];
  let visited = 0;
  while (stack.length > 0 && visited < 500) {
    const node = stack.pop()!;
    visited++;
    if (node.kind === 'job') {
      for (const rule of resolveLogRules(node.log_rules)) expect(compileLogPattern(rule.pattern).problem, `${context}: a log rule the wrapper cannot run`).toBeUndefined();
      continue;
    }
    const entries = childEntries(node.kind === 'array' ? { ...node, repeats: Math.min(node.repeats, 3) } : node, { random: () => 0.5 });
    expect(() => checkChildIds(entries), `${context}: child ids`).not.toThrow();
    for (const entry of entries.filter((_, i) => i < 20 || i === entries.length - 1)) {
      const received = loadSpec(dumpSpec(entry.spec), `<spec of ${entry.id}>`);
      expect(received, `${context}: the spec child ${entry.id} receives`).toEqual(entry.spec);
      stack.push(received);
    }
  }
}

describe('1,000 hostile specs: validate and run give the same verdict', () => {
  it('each is a clear error from both, or valid for both and runs correctly', async () => {
    let phase = Date.now();
    const lap = (name: string) => {
      measure(`${name} ms`, Date.now() - phase);
      phase = Date.now();
    };
    const root = tempDir('gator-verdicts-');
    const cases = materialize(root, hostileSpecs(COUNT, SEED));
    expect(cases).toHaveLength(COUNT);
    const describeCase = (m: Materialized) =>
      `case ${m.id} (${m.c.category}, expected ${m.c.expect}${m.c.kind === 'special' ? `, ${m.c.special}` : ''})${m.c.kind === 'text' ? `:\n${m.c.text.slice(0, 600)}` : ''}`;

    lap('generate');
    // 1. validate: one verdict per spec, clear problems.
    const validated = await validateAll(root, cases);
    lap('validate');
    const accepted: Materialized[] = [];
    const rejected: Materialized[] = [];
    for (const m of cases) {
      const verdict = validated.get(m.arg);
      expect(verdict, `${describeCase(m)}: no verdict from validate`).toBeDefined();
      if (m.c.expect !== 'either') expect(verdict!.valid ? 'valid' : 'invalid', describeCase(m)).toBe(m.c.expect);
      if (verdict!.valid) accepted.push(m);
      else {
        expectClearProblems(verdict!.lines, m.arg, describeCase(m));
        rejected.push(m);
      }
    }

    // 2. run (main, in the driver) refuses every spec validate refused: exit 2, nothing written, nothing started.
    const ran = await runAll(root, rejected);
    for (const m of rejected) {
      const verdict = ran.get(m.id)!;
      const context = `${describeCase(m)}\n--- run:\n${verdict?.out}${verdict?.err}`;
      expect(verdict?.code, context).toBe(2);
      expect(verdict.err, context).not.toMatch(/^\s+at .+:\d+:\d+\)?$|internal error/m);
      expect(writtenOutside(m), `${context}: written by a refused run`).toEqual([]);
      expect(fs.existsSync(m.tracking), `${context}: a tracking directory for a refused run`).toBe(false);
    }
    countBadSpecs(rejected.length);
    lap('run (driver)');

    // 3. run accepts what validate accepted: every child layer could receive its spec.
    for (const m of accepted) {
      if (m.c.kind !== 'text') continue;
      expectChildrenReceivable(loadSpec(m.c.text, m.file), describeCase(m));
    }

    lap('children receivable');
    // 4. the real CLI: every special file, a sample of rejected specs, and a sample of accepted ones run for real.
    const realRejected = [...rejected.filter((m) => m.c.kind === 'special'), ...rejected.filter((m) => m.c.kind === 'text').filter((_, i) => i % 17 === 0).slice(0, REJECTED_SAMPLE)];
    for (const m of realRejected) {
      const run = startRun(['run', m.file, '--tracking', m.tracking], { cwd: m.cwd });
      const done = await within(run.done, 30_000, `gator run of ${describeCase(m)}`);
      expect(done.code, `${describeCase(m)}\n${done.stdout}${done.stderr}`).toBe(2);
      expectNoCrash(done);
      await expectNoneLeft(run);
      expect(writtenOutside(m)).toEqual([]);
      countFault();
    }
    lap('real CLI, rejected');
    const runnable = accepted.filter((m) => m.c.runnable);
    const stride = Math.max(1, Math.floor(runnable.length / RUN_SAMPLE));
    const sample = runnable.filter((_, i) => i % stride === 0).slice(0, RUN_SAMPLE);
    expect(sample.length, 'accepted specs actually run').toBeGreaterThanOrEqual(Math.min(RUN_SAMPLE, 20));
    for (let i = 0; i < sample.length; i += 2) {
      await Promise.all(
        sample.slice(i, i + 2).map(async (m) => {
          const run = startRun(['run', m.file, '--tracking', m.tracking, '--sched-arg', 'wrappers=inprocess', '--interval', '1'], { cwd: m.cwd });
          const done = await within(run.done, 120_000, `gator run of ${describeCase(m)}`);
          const context = `${describeCase(m)}\n--- run:\n${done.stdout}${done.stderr}`;
          // Random edits may leave a valid spec whose job cannot start (`tru`): a correct run then fails, clearly.
          if (m.c.category.startsWith('edit:')) expect([0, 1], context).toContain(done.code);
          else expect(done.code, context).toBe(0);
          expect(done.stdout, context).toMatch(/^(Passed|Failed) {2}\d+ passed/m);
          expectNoCrash(done);
          await expectNoneLeft(run);
          expect(writtenOutside(m), `${context}: written outside --tracking`).toEqual([]);
          countFault();
        }),
      );
    }

    lap('real CLI, accepted');
    // Every category of the generator was seen, accepted and rejected ones alike.
    const categories = new Set(cases.map((m) => m.c.category));
    expect(categories.size).toBeGreaterThanOrEqual(20);
    expect(accepted.length).toBeGreaterThan(100);
    expect(rejected.length).toBeGreaterThan(300);
  }, 600_000);
});

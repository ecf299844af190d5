/**
 * Issue 17, spec input: each defect found by trying specs as an adversary
 * would, through the real CLI. Idents that are paths or options, `--id` that
 * is one, durations past Node's timer, an array past the job bound, special
 * files as the spec, a catastrophic `log_rules` pattern, and specs `validate`
 * accepted but `run` refused. Each case failed before the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { openLayerReader } from '@gator/db';
import { gator, tempDir, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { countBadSpecs, countFault, expectNoCrash, expectNoneLeft, filesUnder, flushCounts, markedProcesses, startRun as startFaultRun, waitForProcess, type FaultRun, layerWithId } from './fault-kit.js';
import { within } from './timing.js';

afterAll(() => flushCounts(import.meta.url));

// A case that fails may leave a process behind (a wrapper frozen in a regex hears nothing): end it by its pid.
const runs: FaultRun[] = [];
function startRun(...args: Parameters<typeof startFaultRun>): FaultRun {
  const run = startFaultRun(...args);
  runs.push(run);
  return run;
}
afterEach(() => {
  for (const run of runs.splice(0)) {
    for (const pid of markedProcesses(run.marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});

const SUCCESS = 1;

/** Every path under `dir` that is not under `dir/<tracking>` and not one of `keep`. */
function outsideTracking(dir: string, tracking: string, keep: string[]): string[] {
  return filesUnder(dir)
    .map((f) => path.relative(dir, f))
    .filter((f) => !f.startsWith(`${tracking}${path.sep}`) && !keep.includes(f));
}

/** `gator validate` and `gator run` of one spec: both exit 2, naming the file at `line`, nothing written, nothing started. */
async function expectRefusedByBoth(dir: string, file: string, line: RegExp, what: string): Promise<void> {
  const name = path.basename(file);
  const validated = await within(gator(['validate', name], { cwd: dir }), 30_000, `gator validate (${what})`);
  expect(validated.code, `validate: ${what}\n${validated.stdout}${validated.stderr}`).toBe(2);
  expect(validated.stderr).toMatch(line);
  expectNoCrash(validated);
  const before = filesUnder(dir).length;
  const run = startRun(['run', name, '--tracking', 'run'], { cwd: dir });
  const done = await within(run.done, 30_000, `gator run (${what})`);
  expect(done.code, `run: ${what}\n${done.stdout}${done.stderr}`).toBe(2);
  expect(done.stderr).toMatch(line);
  expectNoCrash(done);
  expect(fs.existsSync(path.join(dir, 'run')), 'a tracking directory for a refused spec').toBe(false);
  expect(filesUnder(dir).length, 'files written by a refused run').toBe(before);
  await expectNoneLeft(run);
  countBadSpecs(1);
}

describe('idents are names', () => {
  // A group nested a few levels down, so an escape lands inside the test's directory where it can be seen.
  const nested = (ident: string) => `!JobGroup
ident: top
jobs:
  - !Job {ident: ok, command: "true"}
  - !Job {ident: ${JSON.stringify(ident)}, command: "true"}
`;

  for (const [ident, why] of [
    ['../../x', 'a path that leaves --tracking'],
    ['.', "the root's own directory"],
    ['--help', 'an option to the child'],
    ['a/b', 'a path separator'],
    ['tab\there', 'a control character'],
  ] as const) {
    it(`ident ${JSON.stringify(ident)} (${why}) is a spec error at its line, for validate and run alike`, async () => {
      const dir = tempDir('gator-fault-');
      const work = path.join(dir, 'a', 'b', 'c');
      fs.mkdirSync(work, { recursive: true });
      const file = writeSpec(work, 'ident.yaml', nested(ident));
      await expectRefusedByBoth(work, file, /ident\.yaml:5:\d+ {2}jobs\[1\]\.ident: expected a plain name/, `ident ${ident}`);
      expect(outsideTracking(dir, 'a/b/c/run', ['a/b/c/ident.yaml']), 'written outside --tracking').toEqual([]);
      countFault();
    });
  }

  it('--id that is a path or an option is a usage error (exit 2), for the root and for a child', async () => {
    const dir = tempDir('gator-fault-');
    const work = path.join(dir, 'a', 'b');
    fs.mkdirSync(work, { recursive: true });
    writeSpec(work, 'ok.yaml', '!Job {ident: ok, command: "true"}\n');
    for (const args of [
      ['run', 'ok.yaml', '--id', '../../evil', '--tracking', 'run'],
      ['run', 'ok.yaml', '--id=--help', '--tracking', 'run'],
      // A child without --tracking keeps its files in ./<id>: `../../evil` would be two levels up.
      ['run', '--parent', '127.0.0.1:9', '--id', '../../evil'],
    ]) {
      const run = startRun(args, { cwd: work });
      const done = await within(run.done, 30_000, `gator ${args.join(' ')}`);
      expect(done.code, `${args.join(' ')}\n${done.stdout}${done.stderr}`).toBe(2);
      expect(done.stderr).toMatch(/--id "[^"]+" is not a valid id/);
      expectNoCrash(done);
      await expectNoneLeft(run);
    }
    expect(outsideTracking(dir, 'a/b/run', ['a/b/ok.yaml'])).toEqual([]);
    countFault(3);
  });

  it('ids an array derives from valid idents are valid and distinct (a, a_1: a_1_0 is not a_10)', async () => {
    const dir = tempDir('gator-fault-');
    const file = writeSpec(dir, 'derived.yaml', '!JobArray {ident: d, repeats: 12, jobs: [!Job {ident: a, command: "true"}, !Job {ident: a_1, command: "true"}]}\n');
    const run = startRun(['run', file, '--tracking', 'run', '--sched-arg', 'wrappers=inprocess'], { cwd: dir });
    const done = await within(run.done, 120_000, 'the array');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const results = collectResults(path.join(dir, 'run'));
    expect([...results.keys()].filter((k) => k !== '').length).toBe(24);
    expect(results.get('a_10')?.result).toBe(SUCCESS);
    expect(results.get('a_1_0')?.result).toBe(SUCCESS);
    await expectNoneLeft(run);
    countFault();
  });
});

describe('values at and past their bounds', () => {
  it('timeout: 30d (past the 24.8 days a Node timer holds) does not stop the job at once', async () => {
    const dir = tempDir('gator-fault-');
    const file = writeSpec(dir, 'long.yaml', '!Job {ident: patient, command: bash, args: [-c, "sleep 1; echo done"], timeout: 30d}\n');
    const run = startRun(['run', file, '--tracking', 'run'], { cwd: dir });
    const done = await within(run.done, 60_000, 'the job');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).not.toMatch(/timed out/);
    await expectNoneLeft(run);
    countFault();
  });

  it('durations past 365 days, and counts and sizes past their bounds, are spec errors at their line', async () => {
    const dir = tempDir('gator-fault-');
    const file = writeSpec(
      dir,
      'bounds.yaml',
      `!JobArray
ident: arr
repeats: 3
jobs:
  - !Job
    ident: t
    command: "true"
    timeout: 400d
    retries: 101
    resources: [!Cores [65537], !Memory [2000, TB], !License [tool, 1000001]]
`,
    );
    const validated = await gator(['validate', 'bounds.yaml'], { cwd: dir });
    expect(validated.code).toBe(2);
    const lines = validated.stderr.split('\n').filter((l) => l.startsWith('bounds.yaml:'));
    expect(lines.map((l) => l.replace(/ {2}.*: (expected .*?)(, found.*)?$/, ' $1'))).toEqual([
      'bounds.yaml:8:14 expected a duration from 1ms to 365d',
      'bounds.yaml:9:14 expected a number of retries (an integer from 0 to 100)',
      'bounds.yaml:10:25 expected a positive number of cores (an integer from 1 to 65536)',
      'bounds.yaml:10:42 expected a memory request from 1 KB to 1 PB (0.001 to 1000000000 MB)',
      'bounds.yaml:10:69 expected a positive number of seats (an integer from 1 to 1000000)',
    ]);
    await expectRefusedByBoth(dir, file, /bounds\.yaml:8:14/, 'values past their bounds');
  });

  it('repeats: 200000 is refused by validate and run alike (it crashed run), and 10,000 copies still validate', async () => {
    const dir = tempDir('gator-fault-');
    const file = writeSpec(dir, 'huge.yaml', '!JobArray\nident: huge\nrepeats: 200000\njobs:\n  - !Job {ident: t, command: "true"}\n');
    await expectRefusedByBoth(dir, file, /huge\.yaml:3:10 {2}repeats: expected a number of repeats \(an integer from 1 to 100000\)/, 'repeats: 200000');
    // The bound counts the whole tree: 1000 × 200 copies is past it too, at the root.
    writeSpec(dir, 'nested.yaml', '!JobArray {ident: o, repeats: 1000, jobs: [!JobArray {ident: i, repeats: 200, jobs: [!Job {command: "true"}]}]}\n');
    const nested = await gator(['validate', 'nested.yaml'], { cwd: dir });
    expect(nested.code).toBe(2);
    expect(nested.stderr).toMatch(/nested\.yaml:1:1 {2}the spec expands to 200,000 jobs .* at most 100,000/);
    writeSpec(dir, 'ten-thousand.yaml', '!JobArray {ident: big, repeats: 10000, jobs: [!Job {ident: t, command: "true"}]}\n');
    const ok = await gator(['validate', 'ten-thousand.yaml'], { cwd: dir });
    expect(ok.stdout).toMatch(/valid !JobArray \(10000 jobs\)/);
    countFault();
  });

  it('NUL bytes and `$` references that can never expand are spec errors (they failed the job at run time)', async () => {
    const dir = tempDir('gator-fault-');
    const file = writeSpec(dir, 'words.yaml', '!JobGroup\nident: top\njobs:\n  - !Job {ident: nul, command: echo, args: ["a\\0b"]}\n  - !Job {ident: unclosed, command: echo, args: ["${HOME"]}\n');
    await expectRefusedByBoth(dir, file, /words\.yaml:4:\d+ {2}jobs\[0\]\.args\[0\]: .*NUL/, 'NUL and ${');
  });
});

describe('a spec must be a regular file of bounded size', () => {
  for (const special of ['/dev/zero', '/dev/urandom', 'fifo', 'directory', 'too-large'] as const) {
    it(`${special} as the spec: validate and run refuse at once (exit 2), reading at most the bound`, async () => {
      const dir = tempDir('gator-fault-');
      let file: string = special;
      if (special === 'fifo') {
        file = path.join(dir, 'spec.fifo');
        expect(spawnSync('mkfifo', [file]).status).toBe(0);
      } else if (special === 'directory') {
        file = path.join(dir, 'spec.d');
        fs.mkdirSync(file);
      } else if (special === 'too-large') {
        // Sparse: 32 MiB and one byte, nothing on disk.
        file = path.join(dir, 'big.yaml');
        fs.writeFileSync(file, '');
        fs.truncateSync(file, 32 * 1024 * 1024 + 1);
      }
      for (const command of ['validate', 'run']) {
        const run = startRun(command === 'run' ? ['run', file, '--tracking', 'run'] : ['validate', file], { cwd: dir });
        const done = await within(run.done, 20_000, `gator ${command} ${special}`);
        expect(done.code, `${command}: ${done.stdout}${done.stderr}`).toBe(2);
        expect(done.stdout + done.stderr).toMatch(special === 'too-large' ? /too large/ : /not a regular file/);
        expectNoCrash(done);
        await expectNoneLeft(run);
      }
      expect(fs.existsSync(path.join(dir, 'run'))).toBe(false);
      countFault();
    });
  }
});

describe('log_rules cannot hang a wrapper', () => {
  it('a catastrophic pattern on a long line: the job is classified in linear time, and SIGTERM still stops the run', async () => {
    const dir = tempDir('gator-fault-');
    const release = path.join(dir, 'release');
    const spec = writeSpec(
      dir,
      'redos.yaml',
      `!JobGroup
ident: top
log_rules: [{pattern: "(a+)+$", severity: ERROR}, {pattern: "^(x+x+)+y", severity: ERROR}, {pattern: "done", severity: WARNING}]
jobs:
  - !Job {ident: printer, command: bash, args: [-c, 'printf "%030000d!\\n" 0 | tr 0 a; printf "%030000d\\n" 0 | tr 0 x; echo done']}
  - !Job {ident: waiter, command: bash, args: [-c, 'printf "%030000d!\\n" 0 | tr 0 a; while [ ! -e ${release} ]; do sleep 0.1; done']}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
    const waiter = await waitForProcess(run, layerWithId('waiter'), 'the waiter wrapper');
    // The printer finishes with every line classified: no match is an INFO, "done" a WARNING.
    const printerDb = path.join(dir, 'run', 'printer');
    await within(
      (async () => {
        for (;;) {
          if (fs.existsSync(path.join(printerDb, 'db.sqlite'))) {
            const reader = openLayerReader(printerDb);
            try {
              if (reader.messages({ limit: 100 }).some((m) => m.message === 'done')) return;
            } finally {
              reader.close();
            }
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
      60_000,
      'the printer to be classified',
    );
    // The waiter's wrapper, which matched the same line, still answers SIGTERM: it stops its job and the run ends.
    process.kill(waiter, 'SIGTERM');
    const done = await within(run.done, 60_000, 'the run to end after the stop');
    // The run model's verdict rule: a job stopped while the user did not stop the run fails it.
    expect(done.stdout, done.stdout + done.stderr).toMatch(/stopped +waiter/);
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('printer')?.result).toBe(SUCCESS);
    expect(results.get('waiter')?.result).not.toBe(SUCCESS);
    expectNoCrash(done);
    await expectNoneLeft(run);
    countFault();
  });

  it('a pattern the linear engine cannot run (a backreference, a lookahead) is refused by validate and run alike', async () => {
    const dir = tempDir('gator-fault-');
    const file = writeSpec(dir, 'backref.yaml', '!Job\nident: j\ncommand: "true"\nlog_rules:\n  - {pattern: "^(a+)+\\\\1$", severity: ERROR}\n  - {pattern: "(?=x)y", severity: ERROR}\n');
    await expectRefusedByBoth(dir, file, /backref\.yaml:5:\d+ {2}log_rules\[0\]\.pattern: .*linear time/, 'a backreference');
  });
});

describe('validate and run agree', () => {
  it('validate says what it leaves to run: resource requests only the scheduler can judge', async () => {
    const dir = tempDir('gator-fault-');
    const file = writeSpec(dir, 'cores.yaml', '!JobGroup\nident: top\njobs:\n  - !Job {ident: greedy, command: "true", resources: [!Cores [4096]]}\n');
    const validated = await gator(['validate', 'cores.yaml'], { cwd: dir });
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/resource requests are checked by gator run/);
    const run = startRun(['run', file, '--tracking', 'run'], { cwd: dir });
    const done = await within(run.done, 30_000, 'the run');
    expect(done.code, done.stdout + done.stderr).toBe(2);
    expect(done.stderr).toMatch(/more than this scheduler can ever give/);
    await expectNoneLeft(run);
    countFault();
  });
});

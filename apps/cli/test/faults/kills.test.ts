/**
 * Issue 9, faults: kill -9 of a wrapper, of a tier and of the root while jobs
 * run. The rest of the tree keeps working, the lost layer is reported lost by
 * its parent, and no process of the run is left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendants, gator, isAlive, tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { cmdlineOf, countFault, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, measure, startRun, waitForProcess, layerWithId } from './fault-kit.js';
import { within } from './timing.js';

const SUCCESS = 1;
const FAILURE = 2;

/** A job's own process (not its wrapper): a child of the wrapper whose argv matches. */
async function jobOf(wrapperPid: number, pattern: RegExp): Promise<number> {
  let job: number | undefined;
  await waitFor(() => {
    job = descendants(wrapperPid).find((pid) => {
      try {
        return pattern.test(cmdlineOf(pid));
      } catch {
        return false;
      }
    });
    return job !== undefined;
  }, 30_000, `the job matching ${pattern} to start`);
  return job!;
}

afterAll(() => flushCounts(import.meta.url));

describe('kill -9 of a layer mid-run', () => {
  it('a killed wrapper is reported lost, its job is ended, the rest completes', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'wrapper-kill.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: victim, command: bash, args: [-c, 'sleep 300 & sleep 301; wait']}
  - !Job {ident: other, command: sleep, args: [1]}
  - !Job {ident: after, on_done: [victim], command: 'true'}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=3'], { cwd: dir });
    const wrapper = await waitForProcess(run, layerWithId('victim'), 'the victim wrapper');
    const job = await jobOf(wrapper, /^sleep 301/);
    process.kill(wrapper, 'SIGKILL');
    countFault();
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('victim')?.result).toBe(FAILURE);
    expect(results.get('other')?.result).toBe(SUCCESS);
    expect(results.get('after')?.result).toBe(SUCCESS);
    expect(done.stdout).toMatch(/lost\s+victim/);
    // The job outlived its wrapper only until the scheduler swept it.
    await waitFor(() => !isAlive(job), 20_000, 'the orphaned job to be ended');
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it('a killed tier: its subtree stops, its parent reports it lost, its siblings complete', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'tier-kill.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: long, command: sleep, args: [300]}
      - !Job {ident: stubborn, command: bash, args: [-c, 'trap "" TERM; sleep 302']}
      - !JobArray
        ident: arr
        repeats: 2
        jobs:
          - !Job {ident: a, command: sleep, args: [303]}
  - !Job {ident: other, command: sleep, args: [1]}
  - !Job {ident: after, on_done: [inner], command: 'true'}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=6'], { cwd: dir });
    const tier = await waitForProcess(run, layerWithId('inner'), 'the inner tier');
    await waitFor(() => descendants(tier).filter((p) => /^sleep 30[0-3]/.test(cmdlineOf(p))).length >= 4, 30_000, 'the inner jobs to start');
    const subtree = descendants(tier);
    process.kill(tier, 'SIGKILL');
    const killedAt = Date.now();
    countFault();
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    expect(done.stdout).toMatch(/inner: lost/);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('inner')?.result).toBe(FAILURE);
    expect(results.get('other')?.result).toBe(SUCCESS);
    expect(results.get('after')?.result).toBe(SUCCESS);
    await waitFor(() => subtree.every((p) => !isAlive(p)), 30_000, 'the killed tier’s subtree to stop');
    measure('ms until the subtree of a killed tier was gone', Date.now() - killedAt);
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it('a killed tier with jobs not yet started: the live lines, the summary, show and the export count them lost alike', async () => {
    const dir = tempDir('gator-fault-');
    // Concurrency 1: while a.s_0 runs, a.s_1 and a.s_2 have not started (one may wait pre-started).
    const spec = writeSpec(
      dir,
      'tier-kill-pending.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: g1
    jobs:
      - !JobArray
        ident: a
        repeats: 3
        jobs:
          - !Job {ident: s, command: sleep, args: [304]}
  - !Job {ident: other, on_done: [g1], command: 'true'}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=1'], { cwd: dir });
    const tier = await waitForProcess(run, layerWithId('a'), 'the array tier');
    await waitFor(() => descendants(tier).some((p) => /^sleep 304/.test(cmdlineOf(p))), 30_000, 'the first job to start');
    process.kill(tier, 'SIGKILL');
    countFault();
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const line = /(\d+) passed, (\d+) failed, (\d+) lost, (\d+) skipped of (\d+) jobs/.exec(done.stdout);
    expect(line, done.stdout).not.toBeNull();
    const [, passed, failed, lost, skipped, total] = line!.map(Number);
    expect({ passed, failed, lost, skipped, total }).toEqual({ passed: 1, failed: 0, lost: 3, skipped: 0, total: 4 });
    // The live lines too: one lost line for each of a's jobs, the ones that never started included.
    const lostLines = done.stdout.split('\n').filter((l) => /✖ lost\s+g1\.a\.s_\d/.test(l));
    expect(lostLines, done.stdout).toHaveLength(lost);
    const show = await gator(['show', 'run', '--json'], { cwd: dir });
    const totals = (JSON.parse(show.stdout) as { totals: Record<string, number> }).totals;
    expect({ passed: totals.passed, failed: totals.failed, lost: totals.lost, skipped: totals.skipped, total: totals.total }).toEqual({ passed, failed, lost, skipped, total });
    await gator(['export', 'run', '--junit', 'junit.xml'], { cwd: dir });
    expect(fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toMatch(new RegExp(`<testsuites [^>]*tests="${total}" failures="${failed}" errors="${lost}" skipped="${skipped}"`));
    expectNoCrash(done);
    await expectNoneLeft(run);
  });

  it('a killed root: every child layer and job exits on its own', async () => {
    const dir = tempDir('gator-fault-');
    const interval = 2;
    const spec = writeSpec(
      dir,
      'root-kill.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: deep, command: sleep, args: [300]}
      - !Job {ident: chatty, command: bash, args: [-c, 'while true; do echo tick; sleep 0.2; done']}
  - !Job {ident: shallow, command: sleep, args: [301]}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', String(interval), '--sched-arg', 'concurrency=4'], { cwd: dir });
    const root = run.child.pid!;
    await waitFor(() => descendants(root).filter((p) => /^sleep 30[01]|^bash -c while/.test(cmdlineOf(p))).length >= 3, 30_000, 'every job to start');
    const layers = descendants(root).filter((p) => /(?:cli\.js|child\.cjs)/.test(cmdlineOf(p)));
    const all = descendants(root);
    run.child.kill('SIGKILL');
    const killedAt = Date.now();
    countFault();
    await within(run.done, 10_000, 'the root to die');
    await waitFor(() => layers.every((p) => !isAlive(p)), 60_000, 'every child layer to exit');
    const layersGone = Date.now() - killedAt;
    await waitFor(() => all.every((p) => !isAlive(p)), 60_000, 'every process of the run to exit');
    measure('ms until every child layer of a killed root exited', layersGone);
    measure('ms until every process of a killed root was gone', Date.now() - killedAt);
    measure('heartbeat interval of that run (ms)', interval * 1000);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });
});

/**
 * Issue 9, faults: kill -9 of a wrapper, of a tier and of the root while jobs
 * run. The rest of the tree keeps working, the lost layer is reported lost by
 * its parent, and no process of the run is left.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendants, isAlive, tempDir, waitFor, writeSpec } from '../helpers.js';
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

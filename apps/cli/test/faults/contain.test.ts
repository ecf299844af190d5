/**
 * Issue 17, faults: every mode ends every job, and a silent layer is told as
 * it is. kill -9 of the host of in-process wrappers (a tier, the root) ends
 * their jobs; a daemon that leaves its group and clears its environment is
 * found and ended, and reported; a frozen wrapper is lost as frozen while its
 * healthy parent keeps reporting, and totals count the jobs under a lost tier.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { descendants, isAlive, tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { cmdlineOf, countFault, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, measure, startRun, waitForProcess, layerWithId } from './fault-kit.js';
import { within } from './timing.js';

const SUCCESS = 1;
const FAILURE = 2;

afterAll(() => flushCounts(import.meta.url));

function messagesOf(dir: string): string[] {
  const reader = openLayerReader(dir);
  try {
    return reader.messages({ limit: 100_000 }).map((m) => m.message);
  } finally {
    reader.close();
  }
}

/** Processes under `pid` whose argv matches. */
function jobsUnder(pid: number, pattern: RegExp): number[] {
  return descendants(pid).filter((p) => pattern.test(cmdlineOf(p)));
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

describe('in-process wrappers: jobs die with their host', () => {
  // With cgroups where this machine has them, and with the process scans alone (GATOR_NO_CGROUP).
  it.each([
    ['', {}],
    [' (no cgroups)', { GATOR_NO_CGROUP: '1' }],
  ])('kill -9 of an array tier hosting its wrappers ends its jobs; the totals count them lost%s', async (_, env) => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'inprocess-tier-kill.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobArray
    ident: arr
    repeats: 3
    jobs:
      - !Job {ident: j, command: sleep, args: [431]}
  - !Job {ident: other, command: sleep, args: [1]}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=6', '--sched-arg', 'wrappers=inprocess'], { cwd: dir, env });
    const tier = await waitForProcess(run, layerWithId('arr'), 'the array tier');
    await waitFor(() => jobsUnder(tier, /^sleep 431/).length >= 3, 30_000, 'the array jobs to start');
    const jobs = jobsUnder(tier, /^sleep 431/);
    try {
      process.kill(tier, 'SIGKILL');
      const killedAt = Date.now();
      countFault();
      const done = await within(run.done, 60_000, 'the run to end');
      expect(done.code, done.stdout + done.stderr).toBe(1);
      expect(done.stdout).toMatch(/arr: lost/);
      // The three jobs under the lost tier are counted, as lost.
      expect(done.stdout).toMatch(/1 passed, 0 failed, 3 lost, 0 skipped of 4 jobs/);
      expect(collectResults(path.join(dir, 'run')).get('other')?.result).toBe(SUCCESS);
      await waitFor(() => jobs.every((p) => !isAlive(p)), 20_000, 'the jobs of the killed host to be ended');
      measure('ms until the in-process jobs of a killed tier were gone', Date.now() - killedAt);
      expectNoCrash(done);
      await expectNoneLeft(run);
      expectSecretKept(run, path.join(dir, 'run'));
    } finally {
      killAll(jobs.filter(isAlive));
    }
  });

  it('kill -9 of the root hosting its wrappers ends every job', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'inprocess-root-kill.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: a, command: sleep, args: [432]}
  - !Job {ident: b, command: bash, args: [-c, 'trap "" TERM; sleep 433']}
  - !JobArray
    ident: arr
    repeats: 2
    jobs:
      - !Job {ident: j, command: sleep, args: [434]}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=6', '--sched-arg', 'wrappers=inprocess'], { cwd: dir });
    const root = run.child.pid!;
    await waitFor(() => jobsUnder(root, /^sleep 43[234]/).length >= 4, 30_000, 'every job to start');
    const jobs = jobsUnder(root, /^sleep 43[234]|^bash -c trap/);
    try {
      process.kill(root, 'SIGKILL');
      const killedAt = Date.now();
      countFault();
      await within(run.done, 30_000, 'the root to be gone');
      await waitFor(() => jobs.every((p) => !isAlive(p)), 30_000, 'every job of the killed root to be ended');
      measure('ms until the in-process jobs of a killed root were gone', Date.now() - killedAt);
      await expectNoneLeft(run);
    } finally {
      killAll(jobs.filter(isAlive));
    }
  });
});

describe('jobs that detach', () => {
  it('a daemon started with env -i setsid is ended after its job, and the job record says so', async () => {
    const dir = tempDir('gator-fault-');
    const pidFile = path.join(dir, 'daemon.pid');
    const spec = writeSpec(
      dir,
      'detach.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: detach, command: sh, args: [-c, "env -i setsid sh -c 'sleep 1000 < /dev/null > /dev/null 2>&1 & echo $! > ${pidFile}'; echo detached"]}
  - !Job {ident: plain, command: 'true'}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=2'], { cwd: dir });
    countFault();
    const done = await within(run.done, 60_000, 'the run to end');
    const daemon = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      expect(done.code, done.stdout + done.stderr).toBe(0);
      const results = collectResults(path.join(dir, 'run'));
      expect(results.get('detach')?.result).toBe(SUCCESS);
      // Ended before the run finished (its job's end waits for it).
      expect(isAlive(daemon), `daemon ${daemon} (${cmdlineOf(daemon)}) outlived the run`).toBe(false);
      const warning = messagesOf(path.join(dir, 'run/detach')).find((m) => m.startsWith('Ended 1 process'));
      expect(warning).toMatch(new RegExp(`outside its process group: ${daemon} \\(sleep 1000\\)`));
      expectNoCrash(done);
      await expectNoneLeft(run);
      expectSecretKept(run, path.join(dir, 'run'));
    } finally {
      killAll([daemon].filter(isAlive));
    }
  });
});

describe('a layer that stops answering', () => {
  it('kill -STOP of a wrapper: it is lost as frozen, its parent tier stays alive and reports on time', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'frozen.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobArray
    ident: arr
    repeats: 3
    jobs:
      - !Job {ident: j, command: sleep, args: [4]}
  - !Job {ident: a, command: sleep, args: [4]}
  - !Job {ident: b, command: sleep, args: [4]}
  - !Job {ident: c, command: sleep, args: [4]}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=8'], { cwd: dir });
    const wrapper = await waitForProcess(run, layerWithId('j_1'), 'the wrapper of arr.j_1');
    await waitFor(() => jobsUnder(wrapper, /^sleep 4/).length >= 1, 30_000, 'its job to start');
    try {
      process.kill(wrapper, 'SIGSTOP');
      countFault();
      const done = await within(run.done, 90_000, 'the run to end');
      expect(done.code, done.stdout + done.stderr).toBe(1);
      expect(done.stdout).toMatch(/arr\.j_1: lost: frozen: its process is stopped/);
      // The healthy parent kept its heartbeats up while it ended the frozen child.
      expect(done.stdout).not.toMatch(/arr: lost/);
      expect(done.stdout).toMatch(/5 passed, 0 failed, 1 lost, 0 skipped of 6 jobs/);
      const results = collectResults(path.join(dir, 'run'));
      expect(results.get('arr')?.result).toBe(FAILURE);
      for (const job of ['a', 'b', 'c']) expect(results.get(job)?.result).toBe(SUCCESS);
      expectNoCrash(done);
      await expectNoneLeft(run);
      expectSecretKept(run, path.join(dir, 'run'));
    } finally {
      if (isAlive(wrapper)) process.kill(wrapper, 'SIGKILL');
    }
  });
});

/**
 * Issue 9, faults: jobs that misbehave. A job that forks a daemon and exits,
 * one that ignores SIGTERM, one that closes its stdout early, one that exits
 * before its first heartbeat: each gets the verdict it earned, its output is
 * recorded, and nothing it started outlives the run.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { tempDir, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { countFault, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, startRun, waitForProcess } from './fault-kit.js';
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

describe('jobs that misbehave', () => {
  it('jobs that fork daemons and exit: the daemons are ended, the verdicts stand', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'daemons.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: setsid_daemon, command: bash, args: [-c, 'setsid sleep 310 < /dev/null > /dev/null 2>&1 & echo forked']}
  - !Job {ident: double_fork, command: bash, args: [-c, '( ( exec sleep 311 ) & ) ; echo forked twice']}
  - !Job {ident: nohup_holding_stdout, command: bash, args: [-c, 'nohup sleep 312 & echo left a child on my stdout']}
  - !Job {ident: daemon_then_fail, command: bash, args: [-c, 'setsid sleep 313 < /dev/null > /dev/null 2>&1 & exit 3']}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=4'], { cwd: dir });
    countFault(4);
    const done = await within(run.done, 90_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('setsid_daemon')?.result).toBe(SUCCESS);
    expect(results.get('double_fork')?.result).toBe(SUCCESS);
    expect(results.get('nohup_holding_stdout')?.result).toBe(SUCCESS);
    expect(results.get('daemon_then_fail')?.result).toBe(FAILURE);
    expect(messagesOf(path.join(dir, 'run/double_fork'))).toContain('forked twice');
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it('a job that ignores SIGTERM is killed when the run is stopped', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'stubborn.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: stubborn, command: bash, args: [-c, 'trap "" TERM INT; echo ignoring; sleep 320; echo never']}
  - !Job {ident: polite, command: sleep, args: [321]}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=2'], { cwd: dir });
    await waitForProcess(run, /^sleep 320/, 'the stubborn job');
    await waitForProcess(run, /^sleep 321/, 'the polite job');
    run.child.kill('SIGTERM');
    countFault();
    const done = await within(run.done, 90_000, 'the stopped run to end');
    expect(done.code, done.stdout + done.stderr).toBe(130);
    const results = collectResults(path.join(dir, 'run'));
    // Stopped by the user, even though it had to be killed: ABORTED, not a failure.
    expect(results.get('stubborn')?.result).toBe(3);
    expect(messagesOf(path.join(dir, 'run/stubborn'))).not.toContain('never');
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it('a job that passes but leaves a child that ignores SIGTERM: the child is killed', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'leftover.yaml',
      `!Job {ident: leaver, command: bash, args: [-c, '(trap "" TERM; exec sleep 330) & echo bye']}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
    countFault();
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(messagesOf(path.join(dir, 'run'))).toContain('bye');
    expectNoCrash(done);
    await expectNoneLeft(run);
  });

  it('jobs that close their stdout and stderr early still get their verdicts', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'closed.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: closes_then_passes, command: bash, args: [-c, 'echo before; exec 1>&- 2>&-; sleep 1; exit 0']}
  - !Job {ident: closes_then_fails, command: bash, args: [-c, 'echo before; exec 1>&- 2>&-; sleep 1; exit 5']}
  - !Job {ident: closes_stdout_only, command: bash, args: [-c, 'exec 1>&-; sleep 0.5; echo still here >&2; exit 0']}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=3'], { cwd: dir });
    countFault(3);
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('closes_then_passes')?.result).toBe(SUCCESS);
    expect(results.get('closes_then_fails')?.result).toBe(FAILURE);
    expect(results.get('closes_then_fails')?.reason ?? '').toMatch(/code 5/);
    // A stderr line is an ERROR by default: it fails the job that wrote it.
    expect(results.get('closes_stdout_only')?.result).toBe(FAILURE);
    expect(messagesOf(path.join(dir, 'run/closes_then_passes'))).toContain('before');
    expect(messagesOf(path.join(dir, 'run/closes_stdout_only'))).toContain('still here');
    expectNoCrash(done);
    await expectNoneLeft(run);
  });

  it('jobs that exit before their first heartbeat are all recorded exactly', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'quick.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobArray
    ident: quick
    repeats: 8
    jobs:
      - !Job {ident: q, command: bash, args: [-c, 'exit \\$((GATOR_ARRAY_INDEX % 2))']}
  - !Job {ident: silent_true, command: 'true'}
  - !Job {ident: not_found, command: /nonexistent/command}
`,
    );
    // A long interval: every job is over long before a heartbeat is due.
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '30', '--sched-arg', 'concurrency=4'], { cwd: dir });
    countFault(10);
    const done = await within(run.done, 90_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    for (let i = 0; i < 8; i++) expect(results.get(`quick.q_${i}`)?.result, `q_${i}`).toBe(i % 2 === 0 ? SUCCESS : FAILURE);
    expect(results.get('silent_true')?.result).toBe(SUCCESS);
    expect(results.get('not_found')?.result).toBe(FAILURE);
    expect(results.get('not_found')?.reason ?? '').toMatch(/not found|ENOENT/i);
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });
});

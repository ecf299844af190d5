/**
 * A wrapper started before its slot was free (the local scheduler's go channel):
 * on a go that names its path it spawns its job at once and registers meanwhile,
 * says `ended` as soon as its job's processes are gone (before its report), and
 * tells its parent the job's own start and stop, which are the job's attributes.
 * The go channel here is the GoSignal interface itself (the IPC side is
 * @gator/protocol's and the local scheduler's, tested there); the job, the parent
 * tier's server and the store are real.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type GoSignal, JobResult } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { runWrapper } from '../src/index.js';
import { contain } from '../src/containment.js';
import { FakeParent, alive, bashJob, removeTempDirs, tempDir, waitFor } from './helpers.js';

afterAll(removeTempDirs);
let parent: FakeParent | undefined;
afterEach(async () => {
  await parent?.close();
  parent = undefined;
});

/** Whether this machine gives a job its own cgroup (as root, or in a delegated subtree). */
const withCgroup = (() => {
  const c = contain('true', [], 0);
  const yes = c?.cgroup !== undefined;
  c?.cgroup?.remove();
  return yes;
})();

/** A go already given, naming the job's path; `ended` calls are recorded in `order`. */
function givenGo(order: string[], jobPath: string[] | undefined): GoSignal {
  return { go: Promise.resolve(true), path: jobPath, ended: () => order.push('ended'), abandon: () => {} };
}

describe('a wrapper on the go channel', () => {
  it('spawns its job before the parent answers register, says ended before its complete, and reports the job\'s own times', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'spawned');
    const order: string[] = [];
    // The parent answers register only once the job has run: possible only if the job did not wait for the answer.
    parent = await FakeParent.start('parent-secret', {
      beforeRegisterReply: () => waitFor(() => fs.existsSync(marker)),
      onComplete: () => order.push('complete'),
    });
    const connection = await parent.connect();
    const tracking = path.join(dir, 'job');
    const outcome = await runWrapper({
      spec: bashJob(`echo "$GATOR_JOB_PATH" > ${marker}`),
      ident: 'leaf',
      tracking,
      parent: connection,
      interval: 0.2,
      token: 'tok',
      go: givenGo(order, ['top', 'leaf']),
    });
    connection.close();
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(fs.readFileSync(marker, 'utf8').trim()).toBe('top.leaf');
    expect(order).toEqual(['ended', 'complete']);
    const reader = openLayerReader(tracking);
    const attrs = reader.attributes();
    const attempts = reader.attempts();
    reader.close();
    // The place from the register answer, written once it came.
    expect(attrs).toMatchObject({ path: 'top', uidx: '7', root: '0' });
    // What the parent records is what the job's database says.
    expect(parent.registers[0]!.started).toBe(Number(attrs.started));
    expect(parent.completes[0]!.stopped).toBe(Number(attrs.stopped));
    expect(Number(attrs.started)).toBeLessThanOrEqual(attempts[0]!.started!);
    expect(Number(attrs.stopped)).toBeGreaterThanOrEqual(attempts[0]!.stopped!);
    // Its heartbeats and final update went after the answer, as ever.
    expect(parent.updates.length).toBeGreaterThan(0);
  });

  it('without a path in the go, waits for the register answer before the spawn', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'spawned');
    const answered = path.join(dir, 'answered');
    parent = await FakeParent.start('parent-secret', {
      beforeRegisterReply: async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        // The job has not been spawned while the answer was pending.
        fs.writeFileSync(answered, fs.existsSync(marker) ? 'spawned' : 'not yet');
      },
    });
    const connection = await parent.connect();
    const outcome = await runWrapper({
      spec: bashJob(`echo "$GATOR_JOB_PATH" > ${marker}`),
      ident: 'leaf',
      tracking: path.join(dir, 'job'),
      parent: connection,
      interval: 0.2,
      token: 'tok',
      go: givenGo([], undefined),
    });
    connection.close();
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(fs.readFileSync(answered, 'utf8')).toBe('not yet');
    expect(fs.readFileSync(marker, 'utf8').trim()).toBe('top.leaf');
  });

  it('stops a job spawned at its go when the parent then refuses the registration', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'pid');
    parent = await FakeParent.start('parent-secret', {
      beforeRegisterReply: async () => {
        await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n'));
        throw new Error("Child 'leaf' has already been given up on (run stopped)");
      },
    });
    const connection = await parent.connect();
    const outcome = await runWrapper({
      spec: bashJob(`echo $$ > ${pidFile}; exec sleep 30`),
      ident: 'leaf',
      tracking: path.join(dir, 'job'),
      parent: connection,
      interval: 0.2,
      token: 'tok',
      stopGraceMs: 1000,
      go: givenGo([], ['top', 'leaf']),
    });
    connection.close();
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.reason).toMatch(/could not register with the parent: .*given up on/);
    expect(alive(Number(fs.readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it.runIf(withCgroup)('with its own cgroup empty, says ended before the attempt is judged; the attempt and the job stop then', async () => {
    const dir = tempDir();
    const order: string[] = [];
    parent = await FakeParent.start('parent-secret', { onComplete: () => order.push('complete') });
    const connection = await parent.connect();
    const tracking = path.join(dir, 'job');
    const outcome = await runWrapper({
      spec: bashJob('echo done'),
      ident: 'leaf',
      tracking,
      parent: connection,
      interval: 0.2,
      token: 'tok',
      go: givenGo(order, ['top', 'leaf']),
      onEvent: (event) => {
        if (event.type === 'exited') order.push('exited');
      },
    });
    connection.close();
    expect(outcome.result).toBe(JobResult.SUCCESS);
    // `exited` is the wrapper's event once the watchdog is gone, leftovers scanned and the output drained.
    expect(order).toEqual(['ended', 'exited', 'complete']);
    const reader = openLayerReader(tracking);
    const attrs = reader.attributes();
    const attempts = reader.attempts();
    reader.close();
    expect(Number(attrs.stopped)).toBe(attempts[0]!.stopped);
    expect(parent.completes[0]!.stopped).toBe(attempts[0]!.stopped);
  });

  it('says ended only once what the job left in its group is ended', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'daemon');
    let daemonAliveAtEnd: boolean | undefined;
    parent = await FakeParent.start('parent-secret');
    const connection = await parent.connect();
    const outcome = await runWrapper({
      // A process left behind in the job's group (and cgroup), its pid told before the job exits.
      spec: bashJob(`sleep 30 & echo $! > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}`),
      ident: 'leaf',
      tracking: path.join(dir, 'job'),
      parent: connection,
      interval: 0.2,
      token: 'tok',
      stopGraceMs: 1000,
      go: {
        go: Promise.resolve(true),
        path: ['top', 'leaf'],
        ended: () => (daemonAliveAtEnd = alive(Number(fs.readFileSync(pidFile, 'utf8')))),
        abandon: () => {},
      },
    });
    connection.close();
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(daemonAliveAtEnd).toBe(false);
  });
});

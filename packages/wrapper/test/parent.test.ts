import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JobResult, PROTOCOL_VERSION } from '@gator/protocol';
import { createWrapper, runWrapper } from '../src/index.js';
import { FakeParent, bashJob, removeTempDirs, tempDir, waitFor } from './helpers.js';

afterAll(removeTempDirs);
let parent: FakeParent | undefined;
afterEach(async () => {
  await parent?.close();
  parent = undefined;
});

describe('with a parent tier', () => {
  it('registers, sends updates from the start, then the final update and complete', async () => {
    parent = await FakeParent.start();
    const connection = await parent.connect();
    const dir = tempDir();
    const tracking = path.join(dir, 'job');
    const release = path.join(dir, 'release');
    const running = runWrapper({
      spec: bashJob(`echo hello; echo oops >&2; while [ ! -e ${release} ]; do sleep 0.05; done; exit 2`),
      ident: 'leaf',
      tracking,
      parent: connection,
      interval: 0.2,
      token: 'tok',
    });
    // The error line crosses the error limit on the last attempt: the parent hears of the failure before the end.
    await waitFor(() => parent!.updates.some((u) => u.result === JobResult.FAILURE && u.summary.metrics.sub_active === 1));
    fs.writeFileSync(release, '');
    const outcome = await running;
    connection.close();
    expect(parent.registers).toEqual([{ ident: 'leaf', server: expect.stringMatching(/^127\.0\.0\.1:\d+$/), protocol: PROTOCOL_VERSION, started: expect.any(Number) }]);
    // First update right after register: nothing running yet, no result.
    expect(parent.updates[0]).toMatchObject({ ident: 'leaf', result: JobResult.UNKNOWN });
    expect(parent.updates[0]!.summary.metrics).toMatchObject({ sub_total: 1, sub_active: 1, sub_passed: 0, sub_failed: 0 });
    const whileRunning = parent.updates.find((u) => u.summary.running_ids.length > 0);
    expect(whileRunning?.summary.running_ids).toEqual([['leaf']]);
    expect(whileRunning?.summary.running_since).toEqual([expect.any(Number)]);
    const last = parent.updates.at(-1)!;
    expect(last.result).toBe(JobResult.FAILURE);
    expect(last.summary.metrics).toMatchObject({ sub_active: 0, sub_failed: 1, sub_passed: 0 });
    expect(parent.completes).toHaveLength(1);
    const complete = parent.completes[0]!;
    expect(complete).toMatchObject({ ident: 'leaf', code: 2, result: JobResult.FAILURE, reason: 'exited with code 2; 1 ERROR message (limit 0): oops' });
    expect(complete.summary).toEqual(last.summary);
    expect(complete.summary.failed_ids).toEqual([['leaf']]);
    expect(complete.summary.running_ids).toEqual([]);
    // Its end, once, numbered for the parent (heartbeats carry none).
    expect(complete.summary.ends).toEqual([{ path: ['leaf'], outcome: 'failed', kind: 'exit', reason: complete.reason, signature: 'oops', at: expect.any(Number) }]);
    expect(complete.summary.ends_from).toBe(0);
    expect(parent.updates.slice(0, -1).every((u) => u.summary.ends === undefined)).toBe(true);
    expect(complete.summary.failures).toEqual([
      { path: ['leaf'], reason: complete.reason, errors: ['oops'], log: tracking, signature: 'oops', kind: 'exit' },
    ]);
    expect(outcome.code).toBe(2);
  });

  it("sends a Python Gator parent (no protocol in its register reply) only the fields Python's Summary takes", async () => {
    parent = await FakeParent.start('parent-secret', { python: true });
    const connection = await parent.connect();
    const dir = tempDir();
    const outcome = await runWrapper({
      spec: bashJob('echo oops >&2; sleep 0.5; exit 2'),
      ident: 'leaf',
      tracking: path.join(dir, 'job'),
      parent: connection,
      allMsg: true,
      interval: 0.1,
      token: 'tok',
    });
    connection.close();
    expect(outcome.result).toBe(JobResult.FAILURE);
    // It still says its version at register (Python's handler ignores the key).
    expect(parent.registers[0]).toMatchObject({ protocol: PROTOCOL_VERSION });
    const keys = (o: object) => Object.keys(o).sort();
    expect(parent.updates.length).toBeGreaterThan(1);
    for (const u of parent.updates) {
      expect(keys(u)).toEqual(['ident', 'result', 'summary']);
      expect(keys(u.summary)).toEqual(['failed_ids', 'metrics', 'running_ids']);
    }
    const complete = parent.completes[0]!;
    expect(keys(complete)).toEqual(['code', 'ident', 'result', 'summary']);
    expect(complete).toMatchObject({ code: 2, result: JobResult.FAILURE, summary: { failed_ids: [['leaf']] } });
    expect(keys(complete.summary)).toEqual(['failed_ids', 'metrics', 'running_ids']);
    expect(parent.logs.length).toBeGreaterThan(0);
    for (const l of parent.logs) expect(keys(l).every((k) => ['message', 'severity', 'timestamp'].includes(k))).toBe(true);
  });

  it('forwards its messages to the parent with allMsg', async () => {
    parent = await FakeParent.start();
    const connection = await parent.connect();
    await runWrapper({ spec: bashJob('echo visible'), ident: 'leaf', tracking: path.join(tempDir(), 'job'), parent: connection, allMsg: true, interval: 0.2 });
    await waitFor(() => parent!.logs.length > 0);
    connection.close();
    expect(parent.logs[0]).toEqual({ timestamp: expect.any(Number), severity: 'INFO', message: 'visible' });
    expect(Number.isInteger(parent.logs[0]!.timestamp)).toBe(true);
  });

  it('stops the job when the parent sends a posted stop, and serves resolve to the parent', async () => {
    parent = await FakeParent.start();
    const connection = await parent.connect();
    const wrapper = createWrapper({ spec: bashJob('echo up; sleep 30'), ident: 'leaf', tracking: path.join(tempDir(), 'job'), parent: connection, interval: 0.2 });
    const running = wrapper.run();
    await waitFor(() => parent!.updates.some((u) => u.summary.running_ids.length > 0));
    const self = await parent.childConnection!.request('resolve', { root_path: [] });
    expect(self).toMatchObject({ ident: 'leaf', path: ['top'], uidx: 7, status: 2 });
    expect(parent.childConnection!.post('stop', {})).toBe(true);
    const outcome = await running;
    connection.close();
    // Stopped by the user is not a failure: ABORTED, and its end says stopped.
    expect(outcome).toMatchObject({ result: JobResult.ABORTED, code: 255, reason: 'stopped' });
    expect(parent.completes[0]).toMatchObject({ code: 255, result: JobResult.ABORTED, reason: 'stopped' });
    expect(parent.completes[0]!.summary.ends).toEqual([{ path: ['leaf'], outcome: 'stopped', at: expect.any(Number) }]);
    expect(parent.completes[0]!.summary.failed_ids).toEqual([]);
    expect(parent.completes[0]!.summary.jobs).toMatchObject({ total: 1, stopped: 1 });
  });

  it('stops the job and fails when the parent connection drops', async () => {
    parent = await FakeParent.start();
    const connection = await parent.connect();
    const tracking = path.join(tempDir(), 'job');
    const wrapper = createWrapper({ spec: bashJob('sleep 30'), ident: 'leaf', tracking, parent: connection, interval: 0.2, stopGraceMs: 1000 });
    const running = wrapper.run();
    await waitFor(() => parent!.updates.some((u) => u.summary.running_ids.length > 0));
    parent.childConnection!.terminate();
    const outcome = await running;
    expect(outcome).toMatchObject({ result: JobResult.FAILURE, code: 255, reason: 'parent connection lost' });
    expect(outcome.summary.jobs).toMatchObject({ total: 1, lost: 1 });
    expect(parent.completes).toHaveLength(0);
  });
});

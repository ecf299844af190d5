import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobResult, Severity, job } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { type WrapperEvent, createWrapper } from '../src/index.js';
import { FIXTURES, alive, bashJob, removeTempDirs, runJob, tempDir, waitFor } from './helpers.js';

afterAll(removeTempDirs);

function forker(mode: string) {
  return job({ ident: 'job', command: 'bash', args: [path.join(FIXTURES, 'forker.sh'), mode] });
}

/** Runs the forker job until it printed `ready`; returns the pids it reported. */
async function startForker(mode: string, stopGraceMs = 1000) {
  const events: WrapperEvent[] = [];
  const tracking = path.join(tempDir(), 'job');
  const wrapper = createWrapper({ spec: forker(mode), ident: 'job', tracking, interval: 0.1, stopGraceMs, onEvent: (e) => events.push(e) });
  const running = wrapper.run();
  const lines = () => events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
  const pids = () => lines().flatMap((l) => (l.startsWith('pid ') ? [Number(l.split(' ')[2])] : []));
  return { wrapper, running, lines, pids, tracking };
}

describe('stopping', () => {
  it('stop() mid-run ends every process of the job, including daemons that left its group', async () => {
    const { wrapper, running, lines, pids } = await startForker('wait');
    await waitFor(() => lines().includes('ready'));
    const seen = pids();
    expect(seen).toHaveLength(4);
    for (const pid of seen) expect(alive(pid)).toBe(true);
    wrapper.stop();
    wrapper.stop();
    const outcome = await running;
    expect(outcome).toMatchObject({ result: JobResult.ABORTED, code: 255, reason: 'stopped' });
    for (const pid of seen) expect(alive(pid), `pid ${pid}`).toBe(false);
    wrapper.stop();
  });

  it('kills a job that ignores SIGTERM after the grace', async () => {
    const { wrapper, running, lines, pids } = await startForker('stubborn', 300);
    await waitFor(() => lines().includes('ready'));
    wrapper.stop();
    const outcome = await running;
    expect(outcome.code).toBe(255);
    for (const pid of pids()) expect(alive(pid), `pid ${pid}`).toBe(false);
  });

  it('ends what a job left running when its main process exits', async () => {
    const { running, pids } = await startForker('exit');
    const outcome = await running;
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(pids()).toHaveLength(4);
    for (const pid of pids()) expect(alive(pid), `pid ${pid}`).toBe(false);
  });

  it('a stop before start prevents the start', async () => {
    const tracking = path.join(tempDir(), 'job');
    const events: WrapperEvent[] = [];
    const wrapper = createWrapper({ spec: bashJob('echo should not run'), ident: 'job', tracking, onEvent: (e) => events.push(e) });
    wrapper.stop('interrupted');
    const outcome = await wrapper.run();
    expect(outcome).toMatchObject({ result: JobResult.ABORTED, code: 255, reason: 'interrupted' });
    expect(events.some((e) => e.type === 'started')).toBe(false);
    expect(events.filter((e) => e.type === 'end')).toEqual([{ type: 'end', end: { path: ['job'], outcome: 'stopped', reason: 'interrupted', at: expect.any(Number) } }]);
    const reader = openLayerReader(tracking);
    try {
      expect(reader.attribute('pid')).toBeUndefined();
      expect(reader.attributes()).toMatchObject({ exit: '255', result: '3', reason: 'interrupted', outcome: 'stopped' });
      expect(reader.attribute('outcome_kind')).toBeUndefined();
      // Why it ended is a notice, not one of the job's messages.
      expect(reader.messages().map((m) => m.message)).toEqual([]);
      expect(reader.notices().map((n) => [n.kind, n.message])).toEqual([
        ['stopped', 'Stopping leaf job'],
        ['stopped', 'Job stopped: interrupted'],
      ]);
    } finally {
      reader.close();
    }
  });
});

describe('timeouts and retries', () => {
  it('stops a job that runs past its timeout', async () => {
    const { outcome } = await runJob(bashJob('sleep 30', { timeout: 0.5 }));
    expect(outcome).toMatchObject({ result: JobResult.FAILURE, code: 255, reason: 'timed out after 0.5s' });
  });

  it('stops a job that hangs (no output, no CPU)', async () => {
    const { outcome } = await runJob(bashJob('echo working; sleep 30', { hang_timeout: 0.6 }), { interval: 5 });
    expect(outcome).toMatchObject({ result: JobResult.FAILURE, code: 255, reason: 'hung: no output and no CPU for 0.6s' });
  });

  it('retries a failing job and passes on a later attempt; earlier messages are kept but do not count', async () => {
    const marker = path.join(tempDir(), 'attempted');
    const { outcome, attributes, tracking } = await runJob(
      bashJob(`if [ -e ${marker} ]; then echo fine; else touch ${marker}; echo flaky >&2; exit 1; fi`, { retries: 2 }),
    );
    expect(outcome).toMatchObject({ result: JobResult.SUCCESS, code: 0, attempts: 2, reason: 'passed on attempt 2' });
    expect(attributes).toMatchObject({ attempts: '2', result: '1', reason: 'passed on attempt 2' });
    // The root only sees summaries: the attempt travels in one.
    expect(outcome.summary.retried).toEqual([{ path: ['job'], attempt: 2, result: JobResult.SUCCESS }]);
    expect(outcome.summary.failures).toBeUndefined();
    const reader = openLayerReader(tracking);
    try {
      const attempts = reader.attempts();
      expect(attempts.map((a) => [a.attempt, a.exit, a.result])).toEqual([
        [1, 1, JobResult.FAILURE],
        [2, 0, JobResult.SUCCESS],
      ]);
      expect(reader.messages({ attempt: 1 }).map((m) => m.message)).toContain('flaky');
      expect(reader.messages({ attempt: 2 }).map((m) => m.message)).toContain('fine');
      expect(reader.messages({ minSeverity: Severity.WARNING }).map((m) => m.message)).toContain(
        'Attempt 1 failed (exited with code 1; 1 ERROR message (limit 0): flaky); retrying (attempt 2 of 3)',
      );
    } finally {
      reader.close();
    }
  });

  it('gives up after the last retry and retries timeouts', async () => {
    const { outcome } = await runJob(bashJob('sleep 30', { retries: 1, timeout: 0.3 }));
    expect(outcome).toMatchObject({ result: JobResult.FAILURE, attempts: 2, reason: 'timed out after 0.3s' });
    expect(outcome.summary.failures?.[0]).toMatchObject({ attempt: 2, reason: 'timed out after 0.3s' });
    expect(outcome.summary.retried).toEqual([{ path: ['job'], attempt: 2, result: JobResult.FAILURE }]);
    expect(outcome.summary.buckets).toEqual([{ signature: 'timed out after <n>s', count: 1, examples: [['job']] }]);
  });
});

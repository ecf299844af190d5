import { afterEach, describe, expect, it } from 'vitest';
import { JobResult, group, job } from '@gator/protocol';
import { childStates, fakeParent, removeTempDirs, startRoot, waitFor } from './helpers/harness.js';

afterEach(removeTempDirs);

const started = (events: { type: string; state?: string; id?: string }[], id: string) =>
  events.some((e) => e.type === 'child' && e.id === id && e.state === 'started');

describe('stopping', () => {
  it('stop() mid-run: no new launches, pending skipped, running children stopped, then a normal finish', async () => {
    const spec = group({
      ident: 'halt',
      jobs: [
        job({ ident: 's1', command: 'sleep', args: ['60'] }),
        job({ ident: 's2', command: 'sleep', args: ['60'] }),
        job({ ident: 'later', command: 'pass', on_pass: ['s1'] }),
      ],
    });
    const run = await startRoot(spec);
    await waitFor(() => started(run.events, 's1') && started(run.events, 's2'));
    run.tier.stop('test says stop');
    run.tier.stop('twice is fine');
    const outcome = await run.finished();
    const states = childStates(run.events);
    expect(states.later).toEqual(['skipped']);
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'child', id: 'later', reason: 'run stopped' }));
    expect(states.s1).toEqual(['launched', 'started', 'failed']);
    expect(states.s2).toEqual(['launched', 'started', 'failed']);
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'notice', kind: 'stopped', message: expect.stringMatching(/^Stopping all jobs/) }));
    expect(outcome.result).toBe(JobResult.ABORTED);
    expect(outcome.summary.sub_skipped).toBe(1);
    expect(outcome.summary.metrics.sub_active).toBe(0);
  });

  it('children still queued in the scheduler are cancelled and recorded as skipped', async () => {
    const spec = group({
      ident: 'queue',
      jobs: [job({ ident: 'q1', command: 'sleep', args: ['60'] }), job({ ident: 'q2', command: 'sleep', args: ['60'] }), job({ ident: 'q3', command: 'sleep', args: ['60'] })],
    });
    const run = await startRoot(spec, { concurrency: 1 });
    await waitFor(() => started(run.events, 'q1'));
    run.tier.stop();
    const outcome = await run.finished();
    const states = childStates(run.events);
    expect(states.q1).toEqual(['launched', 'started', 'failed']);
    expect(states.q2).toEqual(['launched', 'skipped']);
    expect(states.q3).toEqual(['launched', 'skipped']);
    expect(outcome.summary.sub_skipped).toBe(2);
    expect(outcome.summary.sub_lost).toBe(0);
  });

  it('stop() before run() skips every child and still completes', async () => {
    const spec = group({ ident: 'never', jobs: [job({ ident: 'a', command: 'pass' })] });
    const run = await startRoot(spec);
    run.tier.stop();
    const outcome = await run.finished();
    expect(childStates(run.events).a).toEqual(['skipped']);
    expect(outcome.summary.sub_skipped).toBe(1);
  });
});

describe('under a parent tier', () => {
  it('registers, heartbeats and completes with Python payloads', async () => {
    const spec = group({ ident: 'ignored', jobs: [job({ ident: 'a', command: 'pass' }), job({ ident: 'b', command: 'fail' })] });
    const token = 'parent-token-1';
    const parent = await fakeParent(token, { path: ['top'], uidx: 4 });
    try {
      const run = await startRoot(spec, { parent: parent.connection, token, ident: 'mid' });
      const outcome = await run.finished();
      const actions = parent.received.map((r) => r.action);
      expect(actions[0]).toBe('register');
      expect(actions.at(-1)).toBe('complete');
      expect(actions.filter((a) => a === 'update').length).toBeGreaterThanOrEqual(2);
      const register = parent.received[0].payload;
      expect(register).toEqual({ ident: 'mid', server: run.tier.address, protocol: 1 });
      const complete = parent.received.at(-1)!.payload;
      expect(complete).toMatchObject({ ident: 'mid', code: 0, result: JobResult.FAILURE, reason: expect.stringContaining("'b'") });
      expect(complete.summary.metrics.sub_active).toBe(0);
      expect(complete.summary.failed_ids).toEqual([['mid', 'b']]);
      const lastUpdate = parent.received.filter((r) => r.action === 'update').at(-1)!.payload;
      expect(lastUpdate).toEqual({ ident: 'mid', result: JobResult.FAILURE, summary: complete.summary });
      expect(outcome.summary).toEqual(complete.summary);
      // The children were told the full path.
      expect(run.events).toContainEqual(expect.objectContaining({ type: 'child', id: 'a', path: ['top', 'mid', 'a'] }));
    } finally {
      await parent.close();
    }
  });

  it('a posted stop from the parent stops the tier, which still completes to the parent', async () => {
    const spec = group({ ident: 'p', jobs: [job({ ident: 'z', command: 'sleep', args: ['60'] })] });
    const token = 'parent-token-2';
    const parent = await fakeParent(token);
    try {
      const run = await startRoot(spec, { parent: parent.connection, token });
      await waitFor(() => started(run.events, 'z'));
      parent.childSide()!.post('stop', {});
      const outcome = await run.finished();
      expect(childStates(run.events).z).toEqual(['launched', 'started', 'failed']);
      expect(parent.received.at(-1)).toMatchObject({ action: 'complete', payload: { result: outcome.result } });
    } finally {
      await parent.close();
    }
  });

  it("a stopped tier is ABORTED, and sends its parent the ends it decided (skipped: stopped), each numbered once", async () => {
    const spec = group({
      ident: 'p',
      jobs: [job({ ident: 'z', command: 'sleep', args: ['60'] }), group({ ident: 'g', on_done: ['z'], jobs: [job({ ident: 'x', command: 'pass' }), job({ ident: 'y', command: 'pass' })] })],
    });
    const token = 'parent-token-4';
    const parent = await fakeParent(token);
    try {
      const run = await startRoot(spec, { parent: parent.connection, token });
      await waitFor(() => started(run.events, 'z'));
      parent.childSide()!.post('stop', {});
      const outcome = await run.finished();
      expect(outcome.result).toBe(JobResult.ABORTED);
      const complete = parent.received.at(-1)!;
      expect(complete).toMatchObject({ action: 'complete', payload: { result: JobResult.ABORTED } });
      // What the parent takes: every number once, whichever update or the complete carried it.
      const taken = new Map<number, { path: string[]; outcome: string; kind?: string }>();
      for (const r of parent.received) {
        const summary = (r.payload as { summary?: { ends?: { path: string[]; outcome: string; kind?: string }[]; ends_from?: number } }).summary;
        summary?.ends?.forEach((end, i) => taken.set(summary.ends_from! + i, end));
      }
      expect([...taken.values()].map((e) => [e.path.join('.'), e.outcome, e.kind])).toEqual([
        ['p.g.x', 'skipped', 'stopped'],
        ['p.g.y', 'skipped', 'stopped'],
      ]);
      expect([...taken.keys()]).toEqual([0, 1]);
      // The root's renderer gets the same, as events.
      expect(run.events.filter((e) => e.type === 'end').map((e) => (e as { end: { path: string[] } }).end.path.join('.'))).toEqual(['p.g.x', 'p.g.y']);
    } finally {
      await parent.close();
    }
  });

  it('when the parent connection drops, the tier stops and finishes', async () => {
    const spec = group({
      ident: 'orphan',
      jobs: [job({ ident: 'z', command: 'sleep', args: ['60'] }), job({ ident: 'w', command: 'pass', on_done: ['z'] })],
    });
    const token = 'parent-token-3';
    const parent = await fakeParent(token);
    try {
      const run = await startRoot(spec, { parent: parent.connection, token });
      await waitFor(() => started(run.events, 'z'));
      parent.childSide()!.terminate();
      const outcome = await run.finished();
      const states = childStates(run.events);
      expect(states.z).toEqual(['launched', 'started', 'failed']);
      expect(states.w).toEqual(['skipped']);
      expect(outcome.result).toBe(JobResult.FAILURE);
      expect(run.events).toContainEqual(expect.objectContaining({ type: 'message', message: 'Lost the connection to the parent tier: stopping' }));
    } finally {
      await parent.close();
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createLocalScheduler } from '@gator/scheduler-local';
import { JobResult, group, job, type Scheduler } from '@gator/protocol';
import { childStates, removeTempDirs, runRoot } from './helpers/harness.js';

afterEach(removeTempDirs);

describe('children that never complete', () => {
  it('a child whose process exits before completing is lost; the run goes on', async () => {
    const spec = group({
      ident: 'crashy',
      jobs: [
        job({ ident: 'boom', command: 'crash' }),
        job({ ident: 'early', command: 'crash', args: ['early'] }),
        job({ ident: 'fine', command: 'pass' }),
      ],
    });
    const { outcome, events, tracking } = await runRoot(spec);
    const states = childStates(events);
    expect(states.boom).toEqual(['launched', 'started', 'lost']);
    expect(states.early).toEqual(['launched', 'lost']);
    expect(states.fine).toEqual(['launched', 'started', 'passed']);
    const lost = events.find((e) => e.type === 'child' && e.id === 'boom' && e.state === 'lost');
    expect(lost).toMatchObject({ reason: expect.stringContaining('process exited with code 1 before completing') });
    expect((lost as { reason: string }).reason).toContain(`${tracking}/boom/scheduler.log`);
    const early = events.find((e) => e.type === 'child' && e.id === 'early' && e.state === 'lost');
    expect(early).toMatchObject({ reason: expect.stringContaining('process exited with code 3 before completing') });
    expect(outcome.result).toBe(JobResult.FAILURE);
    const s = outcome.summary;
    expect(s.sub_lost).toBe(2);
    expect(s.metrics).toMatchObject({ sub_total: 4, sub_passed: 1, sub_failed: 3, sub_active: 0 });
    expect(s.failed_ids).toEqual(expect.arrayContaining([['crashy', 'boom'], ['crashy', 'early']]));
    expect(s.failures).toContainEqual(
      expect.objectContaining({ path: ['crashy', 'boom'], reason: expect.stringMatching(/^lost: process exited/), log: `${tracking}/boom`, kind: 'lost' }),
    );
    // Jobs, by outcome: two lost, one passed; why each was lost is a notice, not an error of the tier.
    expect(s.jobs).toMatchObject({ total: 3, passed: 1, lost: 2, running: 0, pending: 0 });
    expect(events.flatMap((e) => (e.type === 'notice' && e.kind === 'lost' ? [e.path] : []))).toEqual(
      expect.arrayContaining([['crashy', 'boom'], ['crashy', 'early']]),
    );
    expect(events.some((e) => e.type === 'message' && e.message.startsWith('Child '))).toBe(false);
  });

  it('a started child that goes silent (its process running) is lost as unresponsive after the slow grace, and its process is stopped', async () => {
    const spec = group({ ident: 'silent', jobs: [job({ ident: 'mute', command: 'hang' })] });
    const { outcome, events } = await runRoot(spec, { interval: 0.2, lostAfterIntervals: 3 });
    expect(childStates(events).mute).toEqual(['launched', 'started', 'lost']);
    const lost = events.find((e) => e.type === 'child' && e.id === 'mute' && e.state === 'lost');
    // Its process runs: slow first (a WARNING), then unresponsive, never just "silent".
    expect(lost).toMatchObject({ reason: expect.stringMatching(/^unresponsive: its process runs but sent no heartbeat for \d+s$/) });
    expect(events.some((e) => e.type === 'notice' && /Child 'mute' is slow: no heartbeat/.test(e.message))).toBe(true);
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.summary.sub_lost).toBe(1);
    // The leak check at the end of the run proves the hung process was ended.
  });

  it('a child the scheduler refuses failed to launch (kind launch): failed in the tally, not lost', async () => {
    const spec = group({ ident: 'refused', jobs: [job({ ident: 'nope', command: 'pass' }), job({ ident: 'fine', command: 'pass' })] });
    const token = randomBytes(12).toString('hex');
    const real = await createLocalScheduler({ options: { concurrency: '8', grace: '1' }, token });
    const refusing: Scheduler = {
      name: real.name,
      capabilities: real.capabilities,
      launch: (request) => (request.id === 'nope' ? Promise.reject(new Error('no slot for it')) : real.launch(request)),
      stop: (id) => real.stop(id),
      close: () => real.close(),
    };
    try {
      const { outcome, events } = await runRoot(spec, { scheduler: refusing, token });
      expect(outcome.result).toBe(JobResult.FAILURE);
      expect(outcome.summary.jobs).toMatchObject({ total: 2, passed: 1, failed: 1, lost: 0 });
      expect(outcome.summary.failures).toContainEqual(expect.objectContaining({ path: ['refused', 'nope'], kind: 'launch' }));
      expect(events).toContainEqual(expect.objectContaining({ type: 'notice', kind: 'failed', path: ['refused', 'nope'] }));
    } finally {
      await real.close();
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { JobResult, group, job } from '@gator/protocol';
import { childStates, removeTempDirs, runRoot } from './helpers/harness.js';

afterEach(removeTempDirs);

describe('message limits', () => {
  it("a group's `limits` is a budget for its whole subtree", async () => {
    const spec = group({
      ident: 'budget',
      limits: { warning: 3 },
      jobs: [job({ ident: 'w1', command: 'warn', args: ['2'] }), job({ ident: 'w2', command: 'warn', args: ['2'] })],
    });
    const { outcome, events } = await runRoot(spec);
    // Each child is within its own (unlimited) warning limit and passes…
    expect(childStates(events)).toMatchObject({ w1: ['launched', 'started', 'passed'], w2: ['launched', 'started', 'passed'] });
    // …but together they exceed the group's budget.
    // A problem of the group, told as a notice: not one of its messages.
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', kind: 'problem', message: 'budget exceeded: 4 warnings > 3' }));
    expect(events.some((e) => e.type === 'message' && e.message.startsWith('budget exceeded'))).toBe(false);
    expect(outcome.summary.jobs).toMatchObject({ total: 2, passed: 2 });
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.reason).toContain('budget exceeded: 4 warnings > 3');
    expect(outcome.summary.failed_ids).toEqual([['budget']]);
    expect(outcome.summary.failures?.[0]).toMatchObject({ path: ['budget'], reason: expect.stringContaining('budget exceeded') });
  });

  it('logs a crossing once; the reason follows the count to its final value', async () => {
    const spec = group({
      ident: 'over',
      limits: { warning: 1 },
      jobs: [job({ ident: 'w1', command: 'warn', args: ['2'] }), job({ ident: 'w2', command: 'warn', args: ['3'] })],
    });
    const { outcome, events } = await runRoot(spec);
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.reason).toContain('budget exceeded: 5 warnings > 1');
    expect(events.filter((e) => e.type === 'notice' && e.message.startsWith('budget exceeded'))).toHaveLength(1);
  });

  it('a budget that holds does not fail the group', async () => {
    const spec = group({ ident: 'within', limits: { warning: 4, error: 0 }, jobs: [job({ ident: 'w', command: 'warn', args: ['4'] })] });
    const { outcome } = await runRoot(spec);
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(outcome.summary.metrics.msg_warning).toBe(4);
  });

  it('per-layer limits reach the children on their command line', async () => {
    const spec = group({ ident: 'strict', jobs: [job({ ident: 'noisy', command: 'warn', args: ['2'] }), job({ ident: 'quiet', command: 'warn', args: ['1'] })] });
    const { outcome, events } = await runRoot(spec, { limits: { warning: 1 } });
    expect(childStates(events)).toMatchObject({ noisy: ['launched', 'started', 'failed'], quiet: ['launched', 'started', 'passed'] });
    expect(outcome.result).toBe(JobResult.FAILURE);
  });
});

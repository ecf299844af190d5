import { JobResult } from '@gator/protocol';
import { describe, expect, it } from 'vitest';
import { sortChildren, type ChildKeys } from './child-order.js';

const kids: ChildKeys[] = [
  { ident: 'sim_10', duration: 5, outcome: 'passed', result: JobResult.SUCCESS },
  { ident: 'sim_9', duration: 30, outcome: 'failed', result: JobResult.FAILURE },
  { ident: 'build', duration: null, outcome: 'skipped', result: JobResult.ABORTED },
  { ident: 'lint', duration: 1, outcome: undefined, result: JobResult.FAILURE },
];
const order = (sort: Parameters<typeof sortChildren>[2], desc = false) => sortChildren(kids, (k) => k, sort, desc).map((k) => k.ident);

describe('sortChildren', () => {
  it('sorts names as people count (sim_9 before sim_10)', () => {
    expect(order('name')).toEqual(['build', 'lint', 'sim_9', 'sim_10']);
    expect(order('name', true)).toEqual(['sim_10', 'sim_9', 'lint', 'build']);
  });
  it('sorts by duration, never-ran last either way', () => {
    expect(order('duration')).toEqual(['lint', 'sim_10', 'sim_9', 'build']);
    expect(order('duration', true)).toEqual(['sim_9', 'sim_10', 'lint', 'build']);
  });
  it('puts failures first by result (the model’s outcome, else the JobResult), ties by name', () => {
    expect(order('result')).toEqual(['lint', 'sim_9', 'build', 'sim_10']);
  });
  it('keeps the tree order, and does not change its input', () => {
    expect(order('tree')).toEqual(['sim_10', 'sim_9', 'build', 'lint']);
    expect(kids[0]!.ident).toBe('sim_10');
  });
});

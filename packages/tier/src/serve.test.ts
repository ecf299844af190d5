import { describe, expect, it } from 'vitest';
import { JobResult, JobState, emptySummary, emptyTally, group, job, array } from '@gator/protocol';
import type { ChildRecord } from './children.js';
import { jobsUnderway, overclaim } from './serve.js';
import { layersOfSpec } from './tally.js';

function child(kind: 'job' | 'tier', expected: number): ChildRecord {
  return {
    id: 'c', baseId: 'c', index: undefined, arraySize: undefined, uidx: 1, kind, specKind: kind === 'job' ? 'job' : 'group', expected, subdir: 'c',
    state: JobState.STARTED, result: JobResult.UNKNOWN, serverUrl: '', started: null, updated: null, stopped: null, reason: undefined, metrics: undefined, live: undefined,
  };
}

describe('a child cannot claim more than the tier launched under it', () => {
  it('counts layers of a spec, an array once per repeat', () => {
    expect(layersOfSpec(job({ ident: 'j', command: 'true' }))).toBe(1);
    const g = group({ ident: 'g', jobs: [job({ ident: 'a', command: 'true' }), group({ ident: 'h', jobs: [job({ ident: 'b', command: 'true' })] })] });
    expect(layersOfSpec(g)).toBe(4);
    expect(layersOfSpec(array({ ident: 'arr', repeats: 3, jobs: [job({ ident: 'x', command: 'true' })] }))).toBe(4);
  });

  it('a job claiming a million passed jobs, or a tier more layers than it has, is over; the truth is not', () => {
    const ctx = { layersOf: (rec: ChildRecord) => (rec.kind === 'job' ? 1 : rec.expected + 1) };
    const honest = { ...emptySummary(), metrics: { sub_total: 1, sub_passed: 1 }, jobs: { ...emptyTally(), total: 1, passed: 1 } };
    expect(overclaim(ctx, child('job', 0), honest)).toBeNull();
    const inflated = { ...honest, jobs: { ...emptyTally(), total: 1_000_000, passed: 1_000_000 } };
    expect(overclaim(ctx, child('job', 0), inflated)).toMatch(/1000000 total jobs, more than the 1 it has/);
    expect(overclaim(ctx, child('job', 0), { ...emptySummary(), metrics: { sub_passed: 1_000_000 } })).toMatch(/sub_passed 1000000/);
    expect(overclaim(ctx, child('tier', 3), { ...emptySummary(), metrics: { sub_total: 4, sub_passed: 4 } })).toBeNull();
    expect(overclaim(ctx, child('tier', 3), { ...emptySummary(), metrics: { sub_total: 5 } })).toMatch(/more than the 4 layers/);
  });
});

describe('jobsUnderway: a child tier whose start-up is over', () => {
  it('has a job running or ended, by its tally, its ids, its ends or (Python) its counts', () => {
    expect(jobsUnderway(emptySummary())).toBe(false);
    expect(jobsUnderway({ ...emptySummary(), jobs: { ...emptyTally(), total: 4, pending: 4 } })).toBe(false);
    expect(jobsUnderway({ ...emptySummary(), jobs: { ...emptyTally(), total: 4, pending: 3, running: 1 } })).toBe(true);
    expect(jobsUnderway({ ...emptySummary(), jobs: { ...emptyTally(), total: 4, pending: 3, skipped: 1 } })).toBe(true);
    expect(jobsUnderway({ ...emptySummary(), running_ids: [['g', 'a']] })).toBe(true);
    expect(jobsUnderway({ ...emptySummary(), metrics: { sub_total: 3, sub_active: 0, sub_passed: 1 } })).toBe(true);
    expect(jobsUnderway({ ...emptySummary(), metrics: { sub_total: 3, sub_active: 3, sub_passed: 0 } })).toBe(false);
  });
});

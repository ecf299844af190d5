import { describe, expect, it } from 'vitest';
import { JobResult, emptySummary, tallyOf, type Summary } from '@gator/protocol';
import { childTally, lostTally } from './tally.js';

const job = { kind: 'job' as const, expected: 0, result: JobResult.UNKNOWN };
const tier = { kind: 'tier' as const, expected: 4, result: JobResult.UNKNOWN };

function python(over: Partial<Summary> & { passed?: number } = {}): Summary {
  const s = emptySummary();
  s.metrics.sub_passed = over.passed ?? 0;
  return { ...s, ...over };
}

describe('childTally', () => {
  it("takes a Gator child's own tally", () => {
    expect(childTally(tier, { ...emptySummary(), jobs: tallyOf('passed', 4) }, true)).toEqual(tallyOf('passed', 4));
  });

  it('counts a child not heard from as pending by its expected jobs', () => {
    expect(childTally(tier, undefined, false)).toEqual(tallyOf('pending', 4));
    expect(childTally(job, undefined, false)).toEqual(tallyOf('pending'));
  });

  it('counts a child without `jobs` (Python Gator) from its ids, its result and sub_passed', () => {
    expect(childTally({ ...job, result: JobResult.SUCCESS }, python(), true)).toEqual(tallyOf('passed'));
    expect(childTally({ ...job, result: JobResult.FAILURE }, python(), true)).toEqual(tallyOf('failed'));
    const live = childTally(tier, python({ failed_ids: [['a']], running_ids: [['b']], passed: 5 }), false);
    expect(live).toMatchObject({ total: 4, failed: 1, running: 1, passed: 2, pending: 0 });
    expect(childTally({ ...tier, result: JobResult.FAILURE }, python({ failed_ids: [['a'], ['b']] }), true)).toMatchObject({ total: 4, failed: 2, passed: 2 });
  });
});

describe('lostTally', () => {
  it('a lost job is lost; a lost tier keeps what ended and loses the rest', () => {
    expect(lostTally(job, { ...emptySummary(), jobs: tallyOf('running') })).toEqual(tallyOf('lost'));
    const last = { ...emptySummary(), jobs: { ...tallyOf('passed', 1), total: 4, running: 1, pending: 2 } };
    expect(lostTally(tier, last)).toMatchObject({ total: 4, passed: 1, lost: 3, running: 0, pending: 0 });
    expect(lostTally(tier, undefined)).toEqual(tallyOf('lost', 4));
  });
});

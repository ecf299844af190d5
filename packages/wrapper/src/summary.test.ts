import { describe, expect, it } from 'vitest';
import { JobResult, MessageCounts, Severity } from '@gator/protocol';
import { type JobSnapshot, jobSummary } from './summary.js';

function snapshot(over: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    ident: 'sim',
    tracking: '/runs/1/sim',
    totals: new MessageCounts(),
    metrics: new Map(),
    standing: { result: JobResult.UNKNOWN, reason: undefined },
    done: false,
    attempt: { number: 1, running: true, startedAt: 100, errors: [] },
    retries: false,
    ...over,
  };
}

describe('jobSummary', () => {
  it('reports a running job: Python’s nine metrics first, then jobs_*, then the job’s own', () => {
    const totals = new MessageCounts();
    totals.add(Severity.INFO);
    const s = jobSummary(snapshot({ totals, metrics: new Map([['coverage', 81], ['sub_total', 9]]) }));
    expect(Object.keys(s.metrics)).toEqual([
      'sub_total', 'sub_active', 'sub_passed', 'sub_failed',
      'msg_critical', 'msg_error', 'msg_warning', 'msg_info', 'msg_debug',
      'jobs_passed', 'jobs_failed', 'coverage',
    ]);
    expect(s.metrics).toMatchObject({ sub_total: 1, sub_active: 1, msg_info: 1, coverage: 81 });
    expect(s.running_ids).toEqual([['sim']]);
    expect(s.running_since).toEqual([100]);
    expect(s.failed_ids).toEqual([]);
    expect(s.stats).toEqual({ coverage: { count: 1, sum: 81, min: 81, max: 81 }, sub_total: { count: 1, sum: 9, min: 9, max: 9 } });
  });

  it('reports a failure with its reason, first errors, signature and bucket; the attempt when retried', () => {
    const s = jobSummary(
      snapshot({
        standing: { result: JobResult.FAILURE, reason: 'exited with code 1' },
        done: true,
        attempt: { number: 2, running: false, startedAt: 100, errors: ['Assertion failed at /a/b.c:12'] },
        retries: true,
      }),
    );
    expect(s.metrics).toMatchObject({ sub_active: 0, sub_passed: 0, sub_failed: 1, jobs_failed: 1 });
    expect(s.failed_ids).toEqual([['sim']]);
    expect(s.running_ids).toEqual([]);
    expect(s.failures).toEqual([
      { path: ['sim'], reason: 'exited with code 1', errors: ['Assertion failed at /a/b.c:12'], log: '/runs/1/sim', signature: 'Assertion failed at <path>:<n>', attempt: 2 },
    ]);
    expect(s.buckets).toEqual([{ signature: 'Assertion failed at <path>:<n>', count: 1, examples: [['sim']] }]);
    expect(s.retried).toEqual([{ path: ['sim'], attempt: 2, result: JobResult.FAILURE }]);
  });

  it('reports a pass once judged', () => {
    const s = jobSummary(snapshot({ standing: { result: JobResult.SUCCESS, reason: undefined }, done: true, attempt: { number: 1, running: false, startedAt: 1, errors: [] } }));
    expect(s.metrics).toMatchObject({ sub_active: 0, sub_passed: 1, sub_failed: 0, jobs_passed: 1 });
    expect(s.failures).toBeUndefined();
    expect(s.retried).toBeUndefined();
  });
});

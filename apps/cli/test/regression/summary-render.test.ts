/** The reporter's share of issue 10, on summaries alone: retried passes, live bucket counts, buckets and the failed header. */
import { describe, expect, it } from 'vitest';
import pc from 'picocolors';
import { JobResult, type Summary } from '@gator/protocol';
import { JobTracker, renderSummary, type JobEvent, type RunEnd } from '../../src/render/reporter.js';

const c = pc.createColors(false);
const options = { cwd: '/runs', rootIdent: 'reg' };

function summary(over: Partial<Summary> = {}): Summary {
  return { metrics: { sub_total: 5, jobs_passed: 2, jobs_failed: 2 }, failed_ids: [], running_ids: [], ...over };
}

function end(s: Summary, over: Partial<RunEnd> = {}): string {
  return renderSummary({ result: JobResult.FAILURE, summary: s, tracking: '/runs/t', wallSeconds: 3, interrupted: false, exitCode: 1, expectedJobs: 4, ...over }, c, options);
}

describe('renderSummary', () => {
  it('lists buckets by count when failures can be grouped, and jobs that passed after retrying', () => {
    const text = end(
      summary({
        failed_ids: [['reg', 'lint'], ['reg', 'a'], ['reg', 'b']],
        failures: [
          { path: ['reg', 'lint'], reason: 'budget exceeded: 5 warnings > 3' },
          { path: ['reg', 'a'], reason: 'exited with code 1', signature: 'Timeout after <n>ns', attempt: 3 },
          { path: ['reg', 'b'], reason: 'exited with code 1', signature: 'Assertion failed at <path>:<n>' },
        ],
        buckets: [
          { signature: 'Timeout after <n>ns', count: 1, examples: [['reg', 'a']] },
          { signature: 'Assertion failed at <path>:<n>', count: 12, examples: [['reg', 'b']] },
        ],
        retried: [
          { path: ['reg', 'flaky'], attempt: 2, result: JobResult.SUCCESS },
          { path: ['reg', 'a'], attempt: 3, result: JobResult.FAILURE },
        ],
      }),
    );
    expect(text).toContain('2 jobs and 1 group failed:\n');
    expect(text).toContain('  ✖ a: exited with code 1 (attempt 3)\n');
    expect(text).toContain('Failure buckets:\n    12 jobs failed with: Assertion failed at <path>:<n>\n     1 job  failed with: Timeout after <n>ns\n');
    expect(text).toContain('1 job passed after retrying:\n  ↻ flaky: passed on attempt 2\n');
    expect(text).not.toContain('↻ a');
  });

  it('has no bucket section for a single failure', () => {
    const text = end(
      summary({
        failed_ids: [['reg', 'a']],
        failures: [{ path: ['reg', 'a'], reason: 'timed out after 2s', signature: 'timed out after <n>s' }],
        buckets: [{ signature: 'timed out after <n>s', count: 1, examples: [['reg', 'a']] }],
      }),
    );
    expect(text).toContain('1 job failed:\n  ✖ a: timed out after 2s\n');
    expect(text).not.toContain('Failure buckets');
  });
});

describe('JobTracker', () => {
  it('announces a retried pass once, with its attempt, and a failure with its bucket once others share it', () => {
    const events: JobEvent[] = [];
    const tracker = new JobTracker((e) => events.push(e));
    tracker.update(summary({ running_ids: [['reg', 'flaky'], ['reg', 'x']], running_since: [1, 1] }));
    const after = summary({
      failed_ids: [['reg', 'x'], ['reg', 'y']],
      failures: [
        { path: ['reg', 'x'], reason: 'exited with code 1', signature: 'boom <n>' },
        { path: ['reg', 'y'], reason: 'exited with code 2', signature: 'other' },
      ],
      buckets: [
        { signature: 'boom <n>', count: 2, examples: [['reg', 'x']] },
        { signature: 'other', count: 1, examples: [['reg', 'y']] },
      ],
      retried: [{ path: ['reg', 'flaky'], attempt: 2, result: JobResult.SUCCESS }],
    });
    tracker.update(after);
    tracker.update(after);
    expect(events.filter((e) => e.state !== 'started')).toEqual([
      { path: ['reg', 'flaky'], state: 'passed', reason: 'passed on attempt 2' },
      { path: ['reg', 'x'], state: 'failed', reason: 'exited with code 1', bucket: { signature: 'boom <n>', count: 2 } },
      { path: ['reg', 'y'], state: 'failed', reason: 'exited with code 2' },
    ]);
  });
});

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
    expect(text).toContain('1 flaky job (passed only on a retry):\n  ↻ flaky: passed on attempt 2\n');
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
  const at = 1;
  it('prints one final line per job from its end: a retried pass with its attempt, a failure with its bucket once others share it', () => {
    const events: JobEvent[] = [];
    const tracker = new JobTracker((e) => events.push(e));
    tracker.update(summary({ running_ids: [['reg', 'flaky'], ['reg', 'x']], running_since: [1, 1] }));
    // The roll-up no longer shows them running: nothing is guessed from that.
    tracker.update(summary({ failed_ids: [['reg', 'x']] }));
    expect(events.filter((e) => e.state !== 'started')).toEqual([]);
    tracker.end({ path: ['reg', 'flaky'], outcome: 'passed', attempt: 2, reason: 'passed on attempt 2', at });
    tracker.end({ path: ['reg', 'x'], outcome: 'failed', kind: 'exit', reason: 'exited with code 1', signature: 'boom <n>', at });
    tracker.end({ path: ['reg', 'x'], outcome: 'failed', kind: 'exit', reason: 'exited with code 1', signature: 'boom <n>', at });
    tracker.end({ path: ['reg', 'y'], outcome: 'failed', kind: 'exit', reason: 'exited with code 2', signature: 'other', at });
    tracker.end({ path: ['reg', 'z'], outcome: 'failed', kind: 'timeout', reason: 'timed out after 1s', signature: 'boom <n>', attempt: 2, at });
    // A start seen after the end (a late roll-up) is not printed.
    tracker.update(summary({ running_ids: [['reg', 'x']], running_since: [1] }));
    expect(events.filter((e) => e.state !== 'started')).toEqual([
      { path: ['reg', 'flaky'], state: 'passed', reason: 'passed on attempt 2' },
      { path: ['reg', 'x'], state: 'failed', reason: 'exited with code 1' },
      { path: ['reg', 'y'], state: 'failed', reason: 'exited with code 2' },
      { path: ['reg', 'z'], state: 'failed', reason: 'timed out after 1s (attempt 2)', bucket: { signature: 'boom <n>', count: 2 } },
    ]);
    expect(events.filter((e) => e.state === 'started').map((e) => e.path[1])).toEqual(['flaky', 'x']);
  });

  it('after a stop: running jobs stopped, the not started in one line, and the tally from the ends', () => {
    const events: JobEvent[] = [];
    const tracker = new JobTracker((e) => events.push(e));
    tracker.end({ path: ['reg', 'a'], outcome: 'passed', at });
    tracker.end({ path: ['reg', 'b'], outcome: 'stopped', reason: 'stopped', at });
    for (const id of ['c', 'd', 'e']) tracker.end({ path: ['reg', 'g', id], outcome: 'skipped', kind: 'stopped', reason: 'run stopped', at });
    tracker.end({ path: ['reg', 'f'], outcome: 'skipped', kind: 'dependency', reason: "'a' passed", at });
    tracker.finish(summary());
    expect(events).toEqual([
      { path: ['reg', 'a'], state: 'passed' },
      { path: ['reg', 'b'], state: 'stopped', reason: 'stopped' },
      { path: ['reg', 'f'], state: 'skipped', reason: "'a' passed" },
      { path: [], state: 'skipped', count: 3, reason: 'run stopped' },
    ]);
    expect(tracker.tally(6)).toMatchObject({ total: 6, passed: 1, stopped: 1, skipped: 4, failed: 0, unselected: 0 });
    // Some ends never came: no tally from them.
    expect(tracker.tally(7)).toBeUndefined();
    const text = end(summary(), { interrupted: true, exitCode: 130, expectedJobs: 6, jobs: tracker.tally(6) });
    expect(text).toContain('Stopped  1 passed, 0 failed, 0 lost, 4 skipped, 1 stopped of 6 jobs');
  });
});

import { describe, expect, it } from 'vitest';
import { JobResult, type Summary } from '@gator/protocol';
import { jobEnd } from './job-end.js';

const summary: Summary = { metrics: {}, failed_ids: [], running_ids: [] };
const facts = { ident: 'j', stopped: false, started: true, attempt: 1, retries: false, summary, at: 5 };

describe('jobEnd', () => {
  it('passed, with the attempt when the job may retry', () => {
    expect(jobEnd({ ...facts, verdict: { result: JobResult.SUCCESS, code: 0, reason: undefined, outcome: 'passed' } })).toEqual({ path: ['j'], outcome: 'passed', at: 5 });
    expect(jobEnd({ ...facts, attempt: 2, retries: true, verdict: { result: JobResult.SUCCESS, code: 0, reason: 'passed on attempt 2', outcome: 'passed' } })).toEqual({
      path: ['j'],
      outcome: 'passed',
      attempt: 2,
      reason: 'passed on attempt 2',
      at: 5,
    });
  });

  it('stopped by the user is its own outcome', () => {
    expect(jobEnd({ ...facts, stopped: true, verdict: { result: JobResult.ABORTED, code: 255, reason: 'interrupted by SIGINT', outcome: 'stopped' } })).toMatchObject({ outcome: 'stopped' });
  });

  it('failed, with its kind and its bucket', () => {
    const failing = { ...summary, failures: [{ path: ['j'], reason: 'x', signature: 'boom <n>' }] };
    expect(jobEnd({ ...facts, summary: failing, verdict: { result: JobResult.FAILURE, code: 3, reason: 'exited with code 3', outcome: 'failed', kind: 'exit' } })).toEqual({
      path: ['j'],
      outcome: 'failed',
      kind: 'exit',
      reason: 'exited with code 3',
      signature: 'boom <n>',
      at: 5,
    });
  });

  it('a lost job is lost, and a failure without a kind of its own is told by whether it started', () => {
    expect(jobEnd({ ...facts, verdict: { result: JobResult.FAILURE, code: 255, reason: 'parent connection lost', outcome: 'lost' } })).toMatchObject({ outcome: 'lost' });
    expect(jobEnd({ ...facts, started: false, verdict: { result: JobResult.FAILURE, code: 255, reason: 'could not start', outcome: 'failed' } })).toMatchObject({ kind: 'launch' });
  });
});

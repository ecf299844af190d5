import { describe, expect, it } from 'vitest';
import { JobResult, type Summary } from '@gator/protocol';
import { failureKind, jobEnd } from './job-end.js';

const summary: Summary = { metrics: {}, failed_ids: [], running_ids: [] };
const facts = { ident: 'j', stopped: false, started: true, attempt: 1, retries: false, summary, at: 5 };

describe('jobEnd', () => {
  it('passed, with the attempt when the job may retry', () => {
    expect(jobEnd({ ...facts, verdict: { result: JobResult.SUCCESS, code: 0, reason: undefined } })).toEqual({ path: ['j'], outcome: 'passed', at: 5 });
    expect(jobEnd({ ...facts, attempt: 2, retries: true, verdict: { result: JobResult.SUCCESS, code: 0, reason: 'passed on attempt 2' } })).toEqual({
      path: ['j'],
      outcome: 'passed',
      attempt: 2,
      reason: 'passed on attempt 2',
      at: 5,
    });
  });

  it('stopped by the user is its own outcome', () => {
    expect(jobEnd({ ...facts, stopped: true, verdict: { result: JobResult.ABORTED, code: 255, reason: 'interrupted by SIGINT' } })).toMatchObject({ outcome: 'stopped' });
  });

  it('failed, with its kind and its bucket', () => {
    const failing = { ...summary, failures: [{ path: ['j'], reason: 'x', signature: 'boom <n>' }] };
    expect(jobEnd({ ...facts, summary: failing, verdict: { result: JobResult.FAILURE, code: 3, reason: 'exited with code 3' } })).toEqual({
      path: ['j'],
      outcome: 'failed',
      kind: 'exit',
      reason: 'exited with code 3',
      signature: 'boom <n>',
      at: 5,
    });
  });

  it('tells the failure kinds apart', () => {
    const kind = (reason: string, code = 255, started = true) => failureKind({ result: JobResult.FAILURE, code, reason }, started);
    expect(kind('timed out after 2s')).toBe('timeout');
    expect(kind('hung: no output and no CPU for 3s')).toBe('hang');
    expect(kind('exited with code 1; 1 ERROR message (limit 0): x', 1)).toBe('exit');
    expect(kind('1 ERROR message (limit 0): x', 0)).toBe('errors');
    expect(kind('could not start nope: ENOENT', 255, false)).toBe('launch');
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, JobResult, MessageCounts, Severity } from '@gator/protocol';
import { type AttemptVerdict, NOT_RUN, judgeAttempt, judgeJob, limitViolations, standing } from './verdict.js';

function counts(levels: number[]): MessageCounts {
  const c = new MessageCounts();
  for (const level of levels) c.add(level);
  return c;
}

const pass: AttemptVerdict = { passed: true, code: 0, reason: undefined, retryable: true };

describe('judgeAttempt', () => {
  it('passes exit 0 without violations', () => {
    expect(judgeAttempt({ kind: 'exited', code: 0, signal: null })).toEqual(pass);
  });

  it('fails a non-zero exit with its code', () => {
    expect(judgeAttempt({ kind: 'exited', code: 3, signal: null })).toEqual({ passed: false, code: 3, reason: 'exited with code 3', retryable: true, kind: 'exit' });
  });

  it('fails a signal with the negative signal number', () => {
    expect(judgeAttempt({ kind: 'exited', code: null, signal: 'SIGKILL' })).toEqual({ passed: false, code: -9, reason: 'killed by SIGKILL', retryable: true, kind: 'exit' });
  });

  it('joins a bad exit and limit violations', () => {
    const v = judgeAttempt({ kind: 'exited', code: 1, signal: null, violations: '1 ERROR message (limit 0): broken' });
    expect(v.reason).toBe('exited with code 1; 1 ERROR message (limit 0): broken');
    expect(v.code).toBe(1);
  });

  it('fails exit 0 with violations, keeping code 0', () => {
    expect(judgeAttempt({ kind: 'exited', code: 0, signal: null, violations: 'x' })).toEqual({ passed: false, code: 0, reason: 'x', retryable: true, kind: 'errors' });
  });

  it('gives 255 to a stopped attempt, retryable only as the stop says', () => {
    expect(judgeAttempt({ kind: 'stopped', reason: 'timed out after 1s', retryable: true })).toEqual({ passed: false, code: 255, reason: 'timed out after 1s', retryable: true });
    expect(judgeAttempt({ kind: 'stopped', reason: 'stopped', retryable: false }).retryable).toBe(false);
  });

  it('gives 255 to an attempt that could not start, and lets it be retried', () => {
    expect(judgeAttempt({ kind: 'not-started', reason: 'could not start x: command not found' })).toEqual({
      passed: false,
      code: 255,
      reason: 'could not start x: command not found',
      retryable: true,
      kind: 'launch',
    });
  });
});

describe('limitViolations', () => {
  it('names every exceeded limit, most severe first, with the first line of each', () => {
    const tally = { counts: counts([Severity.ERROR, Severity.CRITICAL, Severity.ERROR]), first: { error: 'e1', critical: 'c1' } };
    expect(limitViolations(tally, DEFAULT_LIMITS)).toBe('1 CRITICAL message (limit 0): c1; 2 ERROR messages (limit 0): e1');
  });

  it('is undefined within the limits; warnings are unlimited by default', () => {
    const tally = { counts: counts([Severity.WARNING, Severity.WARNING, Severity.ERROR]), first: {} };
    expect(limitViolations(tally, DEFAULT_LIMITS)).toBeDefined();
    expect(limitViolations(tally, { ...DEFAULT_LIMITS, error: 1 })).toBeUndefined();
    expect(limitViolations(tally, { warning: 1, error: 1, critical: 0 })).toBe('2 WARNING messages (limit 1): ');
  });
});

describe('judgeJob', () => {
  it('passes with the last attempt, saying on which one after retries', () => {
    expect(judgeJob(pass, { attempt: 1, started: true })).toEqual({ result: JobResult.SUCCESS, code: 0, reason: undefined, outcome: 'passed' });
    expect(judgeJob(pass, { attempt: 2, started: true })).toEqual({ result: JobResult.SUCCESS, code: 0, reason: 'passed on attempt 2', outcome: 'passed' });
  });

  it('fails with the last attempt reason, or `failed`', () => {
    const failed = judgeAttempt({ kind: 'exited', code: 3, signal: null });
    expect(judgeJob(failed, { attempt: 1, started: true })).toEqual({ result: JobResult.FAILURE, code: 3, reason: 'exited with code 3', outcome: 'failed', kind: 'exit' });
    expect(judgeJob(NOT_RUN, { attempt: 1, started: false })).toEqual({ result: JobResult.FAILURE, code: 255, reason: 'failed', outcome: 'failed', kind: 'launch' });
  });

  it('lets a failure outside the job win, with 255 when nothing was started', () => {
    expect(judgeJob(pass, { attempt: 1, started: true, fatalReason: 'database error: disk full' })).toEqual({
      result: JobResult.FAILURE,
      code: 0,
      reason: 'database error: disk full',
      outcome: 'failed',
      kind: 'errors',
    });
    expect(judgeJob(NOT_RUN, { attempt: 1, started: false, fatalReason: 'parent connection lost' }).code).toBe(255);
    expect(judgeJob(NOT_RUN, { attempt: 1, started: false, fatalReason: 'could not expand the command' })).toMatchObject({ outcome: 'failed', kind: 'launch' });
  });

  it('is lost when the parent went away, stopped when stopped on purpose, and says a timeout or a hang', () => {
    const stopped = (failure?: 'timeout' | 'hang') => judgeAttempt({ kind: 'stopped', reason: 'r', retryable: false, failure });
    expect(judgeJob(stopped(), { attempt: 1, started: true, fatalReason: 'parent connection lost', parentLost: true })).toMatchObject({ outcome: 'lost' });
    expect(judgeJob(stopped(), { attempt: 1, started: true }).outcome).toBe('stopped');
    expect(judgeJob(stopped(), { attempt: 1, started: true }).kind).toBeUndefined();
    expect(judgeJob(stopped('timeout'), { attempt: 1, started: true })).toMatchObject({ outcome: 'failed', kind: 'timeout' });
    expect(judgeJob(stopped('hang'), { attempt: 1, started: true })).toMatchObject({ outcome: 'failed', kind: 'hang' });
    expect(judgeJob(judgeAttempt({ kind: 'exited', code: 0, signal: null, violations: 'x' }), { attempt: 1, started: true })).toMatchObject({ kind: 'errors' });
  });
});

describe('standing', () => {
  const none = () => undefined;
  it('is UNKNOWN while the job may still pass', () => {
    expect(standing({ failingEarly: false, violations: none })).toEqual({ result: JobResult.UNKNOWN, reason: undefined });
  });

  it('is FAILURE as soon as the job cannot pass, with why', () => {
    expect(standing({ failingEarly: true, violations: () => '1 ERROR message (limit 0): x' })).toEqual({
      result: JobResult.FAILURE,
      reason: '1 ERROR message (limit 0): x',
      kind: 'errors',
    });
    expect(standing({ fatalReason: 'parent connection lost', failingEarly: false, violations: none }).reason).toBe('parent connection lost');
    expect(standing({ fatalReason: 'x', failingEarly: false, violations: none }).result).toBe(JobResult.FAILURE);
  });

  it('is the final verdict once judged', () => {
    const final = { result: JobResult.FAILURE, code: 3, reason: 'exited with code 3', outcome: 'failed', kind: 'exit' } as const;
    expect(standing({ final, failingEarly: false, violations: () => 'ignored' })).toEqual({ result: JobResult.FAILURE, reason: 'exited with code 3', outcome: 'failed', kind: 'exit' });
    expect(standing({ final: { result: JobResult.SUCCESS, code: 0, reason: undefined, outcome: 'passed' }, fatalReason: 'late', failingEarly: true, violations: none }).result).toBe(
      JobResult.SUCCESS,
    );
  });
});

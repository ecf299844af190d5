import { describe, expect, it } from 'vitest';
import { childExitOf, type JobEnd } from './job-end.js';

const end = (e: Partial<JobEnd>): JobEnd => ({
  state: 'COMPLETED',
  slurmReason: undefined,
  status: { code: 0, signal: null },
  ran: true,
  stopRequested: false,
  ...e,
});

describe('childExitOf', () => {
  it('the child ended by itself: its exit code or signal', () => {
    expect(childExitOf(end({}))).toEqual({ code: 0, signal: null });
    expect(childExitOf(end({ state: 'FAILED', slurmReason: 'NonZeroExitCode', status: { code: 3, signal: null } }))).toEqual({
      code: 3,
      signal: null,
    });
    expect(childExitOf(end({ state: 'FAILED', status: { code: null, signal: 'SIGKILL' } }))).toEqual({ code: null, signal: 'SIGKILL' });
    expect(childExitOf(end({ state: 'COMPLETED', stopRequested: true }))).toEqual({ code: 0, signal: null, reason: 'stopped' });
  });

  it("Slurm ended it: code null and Slurm's state and reason", () => {
    expect(childExitOf(end({ state: 'TIMEOUT', slurmReason: 'TimeLimit', status: { code: null, signal: 'SIGTERM' } }))).toEqual({
      code: null,
      signal: null,
      neverStarted: false,
      reason: 'TIMEOUT: TimeLimit',
    });
    for (const [state, words] of [
      ['NODE_FAIL', 'node failure'],
      ['OUT_OF_MEMORY', 'out of memory'],
      ['PREEMPTED', 'preempted'],
      ['BOOT_FAIL', 'node boot failure'],
      ['CANCELLED', 'cancelled (scancel)'],
    ] as const) {
      expect(childExitOf(end({ state, status: { code: 0, signal: null } })).reason).toBe(`${state}: ${words}`);
    }
    expect(childExitOf(end({ state: 'FAILED', slurmReason: 'JobLaunchFailure', ran: false }))).toEqual({
      code: null,
      signal: null,
      neverStarted: true,
      reason: 'FAILED: JobLaunchFailure',
    });
  });

  it('cancelled by Gator, before or after it started; hopeless jobs', () => {
    expect(childExitOf(end({ state: 'CANCELLED', stopRequested: true, ran: false }))).toEqual({
      code: null,
      signal: null,
      neverStarted: true,
      reason: 'CANCELLED: stopped by Gator before it started',
    });
    expect(childExitOf(end({ state: 'CANCELLED', stopRequested: true })).reason).toBe('CANCELLED: stopped by Gator');
    expect(childExitOf(end({ state: 'CANCELLED', ran: false, hopeless: 'PartitionConfig' })).reason).toBe(
      'PENDING: PartitionConfig (Slurm can never start it, so it was cancelled)',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { addTally, emptyTally, runVerdict, tallyOf, JobTallySchema } from './outcome.js';

describe('run model', () => {
  it('tallies jobs by outcome, total being their sum', () => {
    const t = addTally(addTally(emptyTally(), tallyOf('passed', 3)), tallyOf('skipped'));
    expect(t).toMatchObject({ total: 4, passed: 3, skipped: 1, failed: 0 });
    expect(JobTallySchema.safeParse(t).success).toBe(true);
  });

  it('passes a run whose only non-passed jobs were skipped by a dependency', () => {
    const tally = { ...emptyTally(), total: 2, passed: 1, skipped: 1 };
    expect(runVerdict({ tally })).toEqual({ outcome: 'passed', exit: 0, reason: '' });
  });

  it('fails on failed or lost jobs and on problems of the run', () => {
    expect(runVerdict({ tally: { ...emptyTally(), total: 3, passed: 1, failed: 1, lost: 1 } })).toEqual({ outcome: 'failed', exit: 1, reason: '1 job failed; 1 job lost' });
    expect(runVerdict({ tally: tallyOf('passed'), problems: ['budget exceeded: 3 warnings > 2'] }).exit).toBe(1);
  });

  it('fails on a job stopped when the user did not stop the run (a wrapper signalled from outside)', () => {
    const tally = { ...emptyTally(), total: 2, passed: 1, stopped: 1 };
    expect(runVerdict({ tally })).toEqual({ outcome: 'failed', exit: 1, reason: '1 job stopped' });
    expect(runVerdict({ tally, stopped: true })).toMatchObject({ outcome: 'stopped', exit: 130 });
  });

  it('a stop is its own outcome (exit 130), whatever failed before it', () => {
    const v = runVerdict({ tally: { ...emptyTally(), total: 3, failed: 1, stopped: 1, skipped: 1 }, stopped: true });
    expect(v).toEqual({ outcome: 'stopped', exit: 130, reason: 'stopped by the user; 1 job failed' });
  });

  it('is not final while jobs run, and says when the root died', () => {
    expect(runVerdict({ tally: { ...tallyOf('running', 2), failed: 1, total: 3 } })).toMatchObject({ outcome: 'running', exit: null, reason: '1 job failed' });
    expect(runVerdict({ tally: tallyOf('running'), interrupted: true })).toMatchObject({ outcome: 'interrupted', exit: null });
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, JobResult, MessageCounts, addTally, tallyOf } from '@gator/protocol';
import { exceededBudgets, ownProblems, tierVerdict, type TierFacts } from './verdict.js';

const facts = (over: Partial<TierFacts> = {}): TierFacts => ({ tally: tallyOf('passed', 2), failedNames: [], failedCount: 0, problems: [], ...over });

function counts(c: Partial<Record<'critical' | 'error' | 'warning', number>>): MessageCounts {
  return Object.assign(new MessageCounts(), c);
}

describe('tierVerdict', () => {
  it('passes a tier with nothing against it', () => {
    expect(tierVerdict(facts())).toEqual({ result: JobResult.SUCCESS, outcome: 'passed', reason: undefined });
  });

  it('passes a tier whose only other jobs were skipped (an on_fail triage job of a passing build)', () => {
    expect(tierVerdict(facts({ tally: addTally(tallyOf('passed'), tallyOf('skipped')) })).outcome).toBe('passed');
  });

  it('is stopped (ABORTED), never passed, when the user stopped the tier, whatever its children did', () => {
    expect(tierVerdict(facts({ stopped: 'interrupted by SIGINT', byUser: true }))).toEqual({ result: JobResult.ABORTED, outcome: 'stopped', reason: 'stopped (interrupted by SIGINT)' });
  });

  it('fails when it was stopped for another reason (its parent went away)', () => {
    expect(tierVerdict(facts({ stopped: 'parent connection lost' }))).toEqual({ result: JobResult.FAILURE, outcome: 'failed', reason: 'stopped (parent connection lost)' });
  });

  it('counts failed and lost jobs, naming the first failed children and saying when there were more', () => {
    const tally = addTally(addTally(tallyOf('passed'), tallyOf('failed', 3)), tallyOf('lost'));
    expect(tierVerdict(facts({ tally, failedNames: ['a'], failedCount: 1 })).reason).toBe("3 jobs failed ('a'); 1 job lost");
    expect(tierVerdict(facts({ tally, failedNames: ['a', 'b', 'c'], failedCount: 5 })).reason).toBe("3 jobs failed ('a', 'b', 'c', …); 1 job lost");
  });

  it('fails on a problem of its own, and on jobs that did not end', () => {
    expect(tierVerdict(facts({ problems: ['disk full'] }))).toEqual({ result: JobResult.FAILURE, outcome: 'failed', reason: 'disk full' });
    expect(tierVerdict(facts({ tally: tallyOf('running') })).reason).toBe('1 job did not end');
    expect(tierVerdict(facts({ stopped: 'x', problems: ['disk full'] })).reason).toBe('stopped (x); disk full');
  });
});

describe('ownProblems', () => {
  it('is undefined when the tier has none', () => {
    expect(ownProblems([], [], counts({}), DEFAULT_LIMITS)).toBeUndefined();
  });

  it('joins problems, budgets and own limit violations', () => {
    const text = ownProblems(['db gone'], ['budget exceeded: 3 errors > 1'], counts({ error: 1, critical: 1 }), DEFAULT_LIMITS);
    expect(text).toBe('db gone; budget exceeded: 3 errors > 1; 1 critical message > limit 0; 1 error message > limit 0');
  });

  it('honours a warning limit only when one is set', () => {
    expect(ownProblems([], [], counts({ warning: 9 }), DEFAULT_LIMITS)).toBeUndefined();
    expect(ownProblems([], [], counts({ warning: 9 }), { ...DEFAULT_LIMITS, warning: 8 })).toBe('9 warning messages > limit 8');
  });
});

describe('exceededBudgets', () => {
  it('reports each exceeded budget of the subtree with its count', () => {
    const out = exceededBudgets({ error: 1, warning: 10 }, { msg_error: 3, msg_warning: 10, msg_critical: 0 });
    expect([...out]).toEqual([['error', 'budget exceeded: 3 errors > 1']]);
    expect([...exceededBudgets({ critical: 0 }, { msg_critical: 1 })]).toEqual([['critical', 'budget exceeded: 1 critical message > 0']]);
    expect(exceededBudgets(undefined, { msg_error: 99 }).size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, MessageCounts } from '@gator/protocol';
import { exceededBudgets, ownProblems, tierFailureReasons, type TierFacts } from './verdict.js';

const passing: TierFacts = { failedChildren: { count: 0, names: [] }, liveChildFailed: false, failedBelow: 0, own: undefined };

function counts(c: Partial<Record<'critical' | 'error' | 'warning', number>>): MessageCounts {
  return Object.assign(new MessageCounts(), c);
}

describe('tierFailureReasons', () => {
  it('passes a tier with nothing against it', () => {
    expect(tierFailureReasons(passing)).toEqual([]);
  });

  it('fails a stopped tier, whatever its children did', () => {
    expect(tierFailureReasons({ ...passing, stopped: 'interrupted by SIGINT' })).toEqual(['stopped (interrupted by SIGINT)']);
  });

  it('names the first failed children and says when there were more', () => {
    expect(tierFailureReasons({ ...passing, failedChildren: { count: 1, names: ['a'] } })).toEqual(["1 child failed ('a')"]);
    expect(tierFailureReasons({ ...passing, failedChildren: { count: 5, names: ['a', 'b', 'c'] } })).toEqual(["5 children failed ('a', 'b', 'c', …)"]);
  });

  it('counts a live failure, or failures below passing children, only when no child failed', () => {
    expect(tierFailureReasons({ ...passing, liveChildFailed: true, failedBelow: 2 })).toEqual(['a child reported a failure']);
    expect(tierFailureReasons({ ...passing, failedBelow: 2 })).toEqual(['2 jobs failed below this tier']);
    expect(tierFailureReasons({ ...passing, failedChildren: { count: 1, names: ['a'] }, failedBelow: 2 })).toEqual(["1 child failed ('a')"]);
  });

  it('adds the tier\'s own problems last', () => {
    expect(tierFailureReasons({ ...passing, stopped: 'x', own: 'disk full' })).toEqual(['stopped (x)', 'disk full']);
  });
});

describe('ownProblems', () => {
  it('is undefined when the tier has none', () => {
    expect(ownProblems([], [], counts({}), 0, DEFAULT_LIMITS)).toBeUndefined();
  });

  it('joins problems, budgets and own limit violations, errors already accounted for not counted twice', () => {
    const text = ownProblems(['db gone'], ['budget exceeded: 3 errors > 1'], counts({ error: 3, critical: 1 }), 2, DEFAULT_LIMITS);
    expect(text).toBe('db gone; budget exceeded: 3 errors > 1; 1 critical message > limit 0; 1 error message > limit 0');
    expect(ownProblems([], [], counts({ error: 2 }), 2, DEFAULT_LIMITS)).toBeUndefined();
  });

  it('honours a warning limit only when one is set', () => {
    expect(ownProblems([], [], counts({ warning: 9 }), 0, DEFAULT_LIMITS)).toBeUndefined();
    expect(ownProblems([], [], counts({ warning: 9 }), 0, { ...DEFAULT_LIMITS, warning: 8 })).toBe('9 warning messages > limit 8');
  });
});

describe('exceededBudgets', () => {
  it('reports each exceeded budget of the subtree with its count', () => {
    const out = exceededBudgets({ error: 1, warning: 10 }, { msg_error: 4, msg_warning: 10, msg_critical: 0 }, 1);
    expect([...out]).toEqual([['error', 'budget exceeded: 3 errors > 1']]);
    expect([...exceededBudgets({ critical: 0 }, { msg_critical: 1 }, 0)]).toEqual([['critical', 'budget exceeded: 1 critical message > 0']]);
    expect(exceededBudgets(undefined, { msg_error: 99 }, 0).size).toBe(0);
  });
});

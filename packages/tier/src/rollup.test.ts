import { describe, expect, it } from 'vitest';
import { emptySummary, type Summary } from '@gator/protocol';
import { Rollup, orderMetrics } from './rollup.js';

function leaf(id: string, over: Partial<Summary> & { m?: Record<string, number> } = {}): Summary {
  const s = emptySummary();
  s.metrics = { ...s.metrics, sub_total: 1, sub_passed: 1, ...(over.m ?? {}) };
  return { ...s, ...over, metrics: s.metrics };
}

describe('Rollup', () => {
  it('sums own + folded + live, prefixes ids, applies the sub_total floor', () => {
    const r = new Rollup({ ident: 'top', expectedJobs: 5 });
    r.fold(leaf('a', { m: { msg_warning: 2, custom: 3 } }));
    r.fold(leaf('b', { m: { sub_passed: 0, sub_failed: 1, msg_error: 1 }, failed_ids: [['b']] }));
    const own = orderMetrics({ sub_total: 1, sub_active: 1, msg_info: 4 });
    const live = { summary: leaf('c', { m: { sub_active: 1, sub_passed: 0 }, running_ids: [['c']] }), started: 100 };
    const s = r.compose(own, [live]);
    expect(s.metrics).toEqual({
      sub_total: 6, // max(1 + 3, 5 + 1)
      sub_active: 2,
      sub_passed: 1,
      sub_failed: 1,
      msg_critical: 0,
      msg_error: 1,
      msg_warning: 2,
      msg_info: 4,
      msg_debug: 0,
      custom: 3,
    });
    expect(Object.keys(s.metrics).slice(0, 9)).toEqual([
      'sub_total', 'sub_active', 'sub_passed', 'sub_failed', 'msg_critical', 'msg_error', 'msg_warning', 'msg_info', 'msg_debug',
    ]);
    expect(s.failed_ids).toEqual([['top', 'b']]);
    expect(s.running_ids).toEqual([['top', 'c']]);
    expect(s.running_since).toEqual([100]);
    expect(s.sub_skipped).toBe(0);
  });

  it('keeps running_since aligned, preferring what the child reported', () => {
    const r = new Rollup({ ident: 't', expectedJobs: 0 });
    const child: Summary = { ...leaf('g'), running_ids: [['g', 'x'], ['g', 'y']], running_since: [5, 6] };
    expect(r.compose({}, [{ summary: child, started: 1 }]).running_since).toEqual([5, 6]);
  });

  it('merges stats, buckets (by signature, 3 examples) and caps failures but keeps counting', () => {
    const r = new Rollup({ ident: 'r', expectedJobs: 0, failureCap: 2 });
    for (let i = 0; i < 5; i++) {
      r.fold({
        ...leaf(`j${i}`),
        failures: [{ path: [`j${i}`], reason: 'boom' }],
        buckets: [{ signature: i % 2 ? 'odd' : 'even', count: 1, examples: [[`j${i}`]] }],
        stats: { t: { count: 1, sum: i, min: i, max: i } },
        sub_lost: i === 4 ? 1 : 0,
      });
    }
    const s = r.compose({}, []);
    expect(s.failures?.map((f) => f.path)).toEqual([['r', 'j0'], ['r', 'j1']]);
    expect(s.failures_dropped).toBe(3);
    expect(s.stats).toEqual({ t: { count: 5, sum: 10, min: 0, max: 4 } });
    expect(s.buckets).toEqual([
      { signature: 'even', count: 3, examples: [['r', 'j0'], ['r', 'j2'], ['r', 'j4']] },
      { signature: 'odd', count: 2, examples: [['r', 'j1'], ['r', 'j3']] },
    ]);
    expect(s.sub_lost).toBe(1);
    expect(r.sizes()).toMatchObject({ failures: 2, buckets: 2 });
  });

  it('lists buckets most jobs first, whatever order they came in (the hub shows the first)', () => {
    const r = new Rollup({ ident: 'r', expectedJobs: 0 });
    const bucket = (signature: string, i: number) => ({ ...leaf(`j${i}`), buckets: [{ signature, count: 1, examples: [[`j${i}`]] }] });
    r.fold(bucket('launch failed', 0));
    for (let i = 1; i <= 3; i++) r.fold(bucket('mismatch', i));
    r.fold(bucket('crash', 4));
    r.fold(bucket('crash', 5));
    r.fold(bucket('assert', 6));
    const live = { summary: { ...leaf('g'), buckets: [{ signature: 'assert', count: 2, examples: [['g', 'x']] }] }, started: 1 };
    expect(r.compose({}, [live]).buckets?.map((b) => [b.signature, b.count])).toEqual([
      ['assert', 3],
      ['mismatch', 3],
      ['crash', 2],
      ['launch failed', 1],
    ]);
  });

  it('merges retried jobs from folded and live children, prefixed and capped', () => {
    const r = new Rollup({ ident: 'r', expectedJobs: 0, failureCap: 2 });
    r.fold({ ...leaf('a'), retried: [{ path: ['a'], attempt: 2, result: 1 }] });
    r.fold({ ...leaf('g'), retried: [{ path: ['g', 'b'], attempt: 3, result: 2 }] });
    const live = { summary: { ...leaf('c'), retried: [{ path: ['c'], attempt: 2, result: 0 }] }, started: 1 };
    const s = r.compose({}, [live]);
    expect(s.retried).toEqual([
      { path: ['r', 'a'], attempt: 2, result: 1 },
      { path: ['r', 'g', 'b'], attempt: 3, result: 2 },
    ]);
    expect(s.retried_dropped).toBe(1);
    expect(new Rollup({ ident: 'e', expectedJobs: 0 }).compose({}, []).retried).toBeUndefined();
  });

  it("adds the tier itself when it fails for its own reasons", () => {
    const r = new Rollup({ ident: 'me', expectedJobs: 1 });
    const s = r.compose({ sub_total: 1 }, [], { reason: 'budget exceeded: 5 warnings > 1', log: '/t' });
    expect(s.failed_ids).toEqual([['me']]);
    expect(s.failures).toEqual([{ path: ['me'], reason: 'budget exceeded: 5 warnings > 1', log: '/t' }]);
  });

  it('ignores non-finite metric values instead of poisoning the sums', () => {
    const r = new Rollup({ ident: 'x', expectedJobs: 0 });
    r.fold({ ...leaf('a'), metrics: { sub_total: 1, bad: Number.NaN } });
    expect(r.compose({}, []).metrics.bad).toBeUndefined();
  });
});

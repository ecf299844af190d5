import { describe, expect, it } from 'vitest';
import { array, group, job, type JobEnd, type Summary } from '@gator/protocol';
import { ENDS_PER_UPDATE, EndRelay, jobPaths, type EndsCursor } from './ends.js';

const base: Summary = { metrics: {}, failed_ids: [], running_ids: [] };
const end = (path: string[], outcome: JobEnd['outcome'] = 'passed'): JobEnd => ({ path, outcome, at: 1 });

function relay(forwarding = true) {
  const emitted: JobEnd[] = [];
  let asked = 0;
  const r = new EndRelay({ ident: 'mid', emit: (e) => emitted.push(e), forwarding: () => forwarding, pending: () => asked++ });
  return { r, emitted, asked: () => asked };
}

describe('EndRelay', () => {
  it('takes each numbered end of a child once, however often it arrives', () => {
    const { r, emitted } = relay();
    const cursor = {};
    r.takeFrom(cursor, { ...base, ends: [end(['a']), end(['g', 'b'])], ends_from: 0 });
    // The same update again (it timed out but had arrived), then one more end.
    r.takeFrom(cursor, { ...base, ends: [end(['a']), end(['g', 'b']), end(['g', 'c'])], ends_from: 0 });
    r.takeFrom(cursor, { ...base, ends: [end(['g', 'c'])], ends_from: 2 });
    expect(emitted.map((e) => e.path)).toEqual([['mid', 'a'], ['mid', 'g', 'b'], ['mid', 'g', 'c']]);
  });

  it('keeps the ends until an update carrying them was accepted, and asks for another while some wait', () => {
    const { r, asked } = relay();
    for (let i = 0; i < ENDS_PER_UPDATE + 5; i++) r.add(end([`j${i}`]));
    const first = r.attach(base);
    expect(first.ends).toHaveLength(ENDS_PER_UPDATE);
    expect(first.ends_from).toBe(0);
    expect(first.ends![0]!.path).toEqual(['mid', 'j0']);
    // Not accepted (yet): the next update carries the same ones.
    expect(r.attach(base).ends_from).toBe(0);
    const before = asked();
    r.accepted(first);
    expect(asked()).toBe(before + 1);
    expect(r.unsent).toBe(5);
    const second = r.attach(base);
    expect(second).toMatchObject({ ends_from: ENDS_PER_UPDATE });
    expect(second.ends!.map((e) => e.path[1])).toEqual(['j1000', 'j1001', 'j1002', 'j1003', 'j1004']);
    r.accepted(second);
    r.accepted(first); // late or repeated acceptances change nothing
    expect(r.unsent).toBe(0);
    expect(r.attach(base)).toBe(base);
  });

  it('keeps nothing when no parent takes ends (the root, a Python Gator parent)', () => {
    const { r, emitted } = relay(false);
    r.add(end(['a']));
    expect(emitted).toHaveLength(1);
    expect(r.unsent).toBe(0);
    expect(r.attach(base).ends).toBeUndefined();
  });

  it('skips every job under a skipped group, and loses the running jobs of a lost tier', () => {
    const { r, emitted } = relay(false);
    const spec = group({ ident: 'g', jobs: [job({ ident: 'x', command: 'true' }), array({ ident: 'arr', repeats: 2, jobs: [job({ ident: 't', command: 'true' })] })] });
    expect(jobPaths('g', spec).length).toBe(3);
    r.skipped('g', spec, 'stopped', 'run stopped');
    expect(emitted.every((e) => e.outcome === 'skipped' && e.kind === 'stopped')).toBe(true);
    expect(emitted[0]!.path).toEqual(['mid', 'g', 'x']);
    emitted.length = 0;
    r.lost({ id: 'g', kind: 'tier' }, undefined, { ...base, running_ids: [['g', 'x']] }, 'went silent');
    r.lost({ id: 'j', kind: 'job' }, { endsTaken: 1 }, undefined, 'exited'); // its end had come: not twice
    r.lost({ id: 'k', kind: 'job' }, {}, undefined, 'exited');
    expect(emitted.map((e) => [e.path, e.outcome])).toEqual([
      [['mid', 'g', 'x'], 'lost'],
      [['mid', 'k'], 'lost'],
    ]);
  });

  it('at a lost tier, every job whose end never came is lost: running and never started, not the ended ones', () => {
    const { r, emitted } = relay(false);
    const spec = group({ ident: 'g', jobs: [job({ ident: 'x', command: 'true' }), array({ ident: 'arr', repeats: 3, jobs: [job({ ident: 't', command: 'true' })] })] });
    const paths = jobPaths('g', spec);
    expect(paths).toHaveLength(4);
    const cursor: EndsCursor & { spec: typeof spec } = { spec };
    // x passed, arr's first failed; the second runs; the third never started.
    r.takeFrom(cursor, { ...base, ends: [end(paths[0]!), end(paths[1]!, 'failed')], ends_from: 0 });
    emitted.length = 0;
    r.lost({ id: 'g', kind: 'tier' }, cursor, { ...base, running_ids: [paths[2]!] }, 'went silent');
    expect(emitted.map((e) => [e.path.slice(1), e.outcome, e.reason])).toEqual([
      [paths[2], 'lost', 'went silent'],
      [paths[3], 'lost', 'went silent'],
    ]);
  });
});

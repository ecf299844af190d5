import { describe, expect, it } from 'vitest';
import { JobResult } from '@gator/protocol';
import { DependencyGraph, type DependencyNode } from './dependencies.js';

function node(id: string, deps: Partial<DependencyNode['dependencies']> = {}, baseId = id): DependencyNode {
  return { id, baseId, dependencies: { on_pass: [], on_fail: [], on_done: [], ...deps } };
}

describe('DependencyGraph', () => {
  it('launches independent children at once, in order', () => {
    const g = new DependencyGraph([node('a'), node('b'), node('c', { on_done: ['a'] })]);
    expect(g.take()).toEqual({ launch: ['a', 'b'], skip: [] });
    expect(g.take()).toEqual({ launch: [], skip: [] });
    expect(g.pending).toBe(1);
  });

  it.each([
    ['on_pass', JobResult.SUCCESS, 'launch'],
    ['on_pass', JobResult.FAILURE, "dependency 'a' failed"],
    ['on_pass', JobResult.ABORTED, "dependency 'a' failed"],
    ['on_fail', JobResult.FAILURE, 'launch'],
    ['on_fail', JobResult.SUCCESS, "dependency 'a' passed"],
    ['on_done', JobResult.SUCCESS, 'launch'],
    ['on_done', JobResult.FAILURE, 'launch'],
  ] as const)('%s with the dependency ending %s → %s', (kind, result, expected) => {
    const g = new DependencyGraph([node('a'), node('b', { [kind]: ['a'] })]);
    expect(g.take().launch).toEqual(['a']);
    g.complete('a', result);
    const d = g.take();
    if (expected === 'launch') expect(d).toEqual({ launch: ['b'], skip: [] });
    else expect(d).toEqual({ launch: [], skip: [{ id: 'b', baseId: 'b', reason: expected, specProblem: false }] });
  });

  it('ANDs the lists: waits for every dependency, skips on the first unmet one', () => {
    const g = new DependencyGraph([node('a'), node('b'), node('c', { on_pass: ['a'], on_fail: ['b'] })]);
    g.take();
    g.complete('a', JobResult.SUCCESS);
    expect(g.take().launch).toEqual([]);
    g.complete('b', JobResult.FAILURE);
    expect(g.take().launch).toEqual(['c']);

    const h = new DependencyGraph([node('a'), node('b'), node('c', { on_pass: ['a'], on_fail: ['b'] })]);
    h.take();
    h.complete('b', JobResult.SUCCESS);
    expect(h.take().skip.map((s) => s.reason)).toEqual(["dependency 'b' passed"]);
  });

  it('skips the dependants of a skipped entry, transitively, and nothing else', () => {
    const g = new DependencyGraph([
      node('build'),
      node('test', { on_pass: ['build'] }),
      node('report', { on_done: ['test'] }),
      node('bisect', { on_fail: ['test'] }),
      node('lint'),
    ]);
    expect(g.take().launch).toEqual(['build', 'lint']);
    g.complete('build', JobResult.FAILURE);
    const d = g.take();
    expect(d.launch).toEqual([]);
    expect(d.skip.map((s) => [s.id, s.reason])).toEqual([
      ['test', "dependency 'build' failed"],
      ['report', "dependency 'test' was skipped"],
      ['bisect', "dependency 'test' was skipped"],
    ]);
    expect(g.pending).toBe(0);
    expect(g.undecidedEntries).toBe(0);
  });

  it('waits for every copy of an array entry and needs all of them to pass', () => {
    const nodes = [0, 1, 2].map((i) => node(`gen_${i}`, {}, 'gen'));
    nodes.push(...[0, 1].map((i) => node(`use_${i}`, { on_pass: ['gen'] }, 'use')));
    const g = new DependencyGraph(nodes);
    expect(g.take().launch).toEqual(['gen_0', 'gen_1', 'gen_2']);
    g.complete('gen_2', JobResult.SUCCESS);
    g.complete('gen_1', JobResult.SUCCESS);
    expect(g.take().launch).toEqual([]);
    g.complete('gen_0', JobResult.SUCCESS);
    expect(g.take().launch).toEqual(['use_0', 'use_1']);

    // One failing copy (not the last) is enough to skip: Python only looks at the last copy.
    const h = new DependencyGraph(nodes);
    h.take();
    h.complete('gen_0', JobResult.FAILURE);
    expect(h.take().skip.map((s) => s.id)).toEqual(['use_0', 'use_1']);
  });

  it('on_fail of an array entry is met when any copy failed, once all are complete', () => {
    const nodes = [node('t_0', {}, 't'), node('t_1', {}, 't'), node('fix', { on_fail: ['t'] })];
    const g = new DependencyGraph(nodes);
    g.take();
    g.complete('t_0', JobResult.FAILURE);
    expect(g.take().launch).toEqual([]);
    g.complete('t_1', JobResult.SUCCESS);
    expect(g.take().launch).toEqual(['fix']);
  });

  it('turns spec problems into skips of only the entries involved', () => {
    const g = new DependencyGraph([
      node('ok'),
      node('ghost', { on_pass: ['nope'] }),
      node('self', { on_done: ['self'] }),
      node('x', { on_done: ['y'] }),
      node('y', { on_done: ['x'] }),
      node('after', { on_pass: ['x'] }),
    ]);
    const d = g.take();
    expect(d.launch).toEqual(['ok']);
    const reasons = Object.fromEntries(d.skip.map((s) => [s.id, [s.reason, s.specProblem]]));
    expect(reasons).toEqual({
      ghost: ["dependency 'nope' does not exist", true],
      self: ['it depends on itself', true],
      x: [expect.stringMatching(/^dependency cycle '(x|y)' -> '(x|y)' -> '(x|y)'$/), true],
      y: [expect.stringMatching(/^dependency cycle /), true],
      after: ["dependency 'x' was skipped", false],
    });
  });

  it('abandon() skips everything undecided, once', () => {
    const g = new DependencyGraph([node('a'), node('b', { on_pass: ['a'] }), node('c', { on_pass: ['b'] })]);
    g.take();
    expect(g.abandon('run stopped').map((s) => s.id)).toEqual(['b', 'c']);
    expect(g.abandon('again')).toEqual([]);
    g.complete('a', JobResult.SUCCESS);
    expect(g.take()).toEqual({ launch: [], skip: [] });
  });

  it('scales: a chain of 10,000 entries decides without recursion limits', () => {
    const nodes = Array.from({ length: 10_000 }, (_, i) => node(`n${i}`, i === 0 ? {} : { on_pass: [`n${i - 1}`] }));
    const g = new DependencyGraph(nodes);
    expect(g.take().launch).toEqual(['n0']);
    g.complete('n0', JobResult.FAILURE);
    expect(g.take().skip).toHaveLength(9_999);
  });

  it('rejects duplicate ids', () => {
    expect(() => new DependencyGraph([node('a'), node('a')])).toThrow(/duplicate child id 'a'/);
  });

  it('launches an array entry of 200,000 copies at once (more than a call takes as arguments)', () => {
    const copies = Array.from({ length: 200_000 }, (_, i) => node(`t_${i}`, {}, 't'));
    const g = new DependencyGraph(copies);
    const { launch } = g.take();
    expect(launch.length).toBe(200_000);
    expect(launch[199_999]).toBe('t_199999');
  });
});

// The array batcher hands the launches of one array over together, keeps other arrays apart,
// and gives back a child taken out before its batch went.
import { describe, expect, it } from 'vitest';
import { ArrayBatcher, type BatchedChild } from './array-batcher.js';

interface Child extends BatchedChild {
  readonly name: string;
}

const child = (base: string, index: number, size: number, parent = ['run']): Child => ({
  name: `${base}_${index}`,
  request: { array: { base, index, size }, path: [...parent, `${base}_${index}`], kind: 'job', resources: { cores: 1, memoryMb: 0, licenses: {} }, env: {} },
});

function collect() {
  const flushed: { label: string; names: string[] }[] = [];
  let wake: (() => void) | undefined;
  const batcher = new ArrayBatcher<Child>((records, label) => {
    flushed.push({ label, names: records.map((r) => r.name) });
    wake?.();
  });
  const next = () => new Promise<void>((resolve) => (wake = resolve));
  return { batcher, flushed, next };
}

describe('ArrayBatcher', () => {
  it('flushes a whole array at once, named after the array, in launch order', () => {
    const { batcher, flushed } = collect();
    for (const i of [2, 0, 1]) batcher.add(child('sim', i, 3));
    expect(flushed).toEqual([{ label: 'run.sim', names: ['sim_2', 'sim_0', 'sim_1'] }]);
  });

  it('flushes part of an array once no more launches come', async () => {
    const { batcher, flushed, next } = collect();
    const done = next();
    batcher.add(child('sim', 0, 5));
    batcher.add(child('sim', 1, 5));
    expect(flushed).toEqual([]);
    await done;
    expect(flushed).toEqual([{ label: 'run.sim', names: ['sim_0', 'sim_1'] }]);
  });

  it('keeps arrays of different parents apart', () => {
    const { batcher, flushed } = collect();
    batcher.add(child('sim', 0, 1, ['a']));
    batcher.add(child('sim', 0, 1, ['b']));
    expect(flushed.map((f) => f.label)).toEqual(['a.sim', 'b.sim']);
  });

  it('gives back a child removed before the flush, and never flushes an emptied batch', async () => {
    const { batcher, flushed, next } = collect();
    const first = child('sim', 0, 3);
    const second = child('sim', 1, 3);
    batcher.add(first);
    batcher.add(second);
    expect(batcher.remove(first)).toBe(true);
    expect(batcher.remove(first)).toBe(false);
    const done = next();
    await done;
    expect(flushed).toEqual([{ label: 'run.sim', names: ['sim_1'] }]);
    const lone = child('other', 0, 2);
    batcher.add(lone);
    expect(batcher.remove(lone)).toBe(true);
    // The emptied batch's timer is gone: a later, complete array still flushes alone.
    batcher.add(child('last', 0, 1));
    expect(flushed.map((f) => f.label)).toEqual(['run.sim', 'run.last']);
  });
});

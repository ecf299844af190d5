// The job id queue coalesces every id queued in one tick into one call per kind, chunked.
import { describe, expect, it } from 'vitest';
import { JobIdQueue, inChunks } from './job-id-queue.js';

describe('inChunks', () => {
  it('cuts a list into consecutive chunks', () => {
    expect(inChunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(inChunks([], 3)).toEqual([]);
  });
});

describe('JobIdQueue', () => {
  it('sends one call per kind and chunk for the ids of one tick, then calls afterFlush', async () => {
    const calls: [string, string[]][] = [];
    let flushes = 0;
    const queue = new JobIdQueue({
      kinds: ['soft', 'force'] as const,
      idsPerCall: 2,
      send: async (kind, ids) => {
        calls.push([kind, ids]);
      },
      afterFlush: () => flushes++,
    });
    await queue.settled;
    for (const id of ['1', '2', '3', '2']) queue.add('soft', id);
    queue.add('force', '9');
    await queue.settled;
    expect(calls).toEqual([
      ['soft', ['1', '2']],
      ['soft', ['3']],
      ['force', ['9']],
    ]);
    expect(flushes).toBe(1);
    queue.add('force', '10');
    await queue.settled;
    expect(calls.at(-1)).toEqual(['force', ['10']]);
    expect(flushes).toBe(2);
  });
});

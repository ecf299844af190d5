// The poll loop polls while there is something to follow, one poll at a time, and not after stop().
import { describe, expect, it } from 'vitest';
import { PollLoop } from './poll-loop.js';

describe('PollLoop', () => {
  it('polls until nothing is active, never two at once, and stays idle without work', async () => {
    let left = 3;
    let running = 0;
    let overlapped = false;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const loop = new PollLoop({
      poll: async () => {
        running++;
        if (running > 1) overlapped = true;
        loop.schedule(); // a poll due while one runs follows it, not beside it
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        if (--left === 0) finished();
      },
      active: () => left > 0,
      delayMs: () => 1,
    });
    loop.schedule();
    loop.schedule();
    await done;
    await loop.stop();
    expect(left).toBe(0);
    expect(overlapped).toBe(false);
  });

  it('does not poll after stop()', async () => {
    let polls = 0;
    const loop = new PollLoop({ poll: async () => void polls++, active: () => true, delayMs: () => 1 });
    loop.schedule();
    await loop.stop();
    loop.schedule();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(polls).toBe(0);
  });
});

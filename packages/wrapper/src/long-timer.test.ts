import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from './long-timer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('setLongTimeout', () => {
  it('does not fire at once for a delay past what one Node timer holds (30 days)', async () => {
    let fired = false;
    const timer = setLongTimeout(() => (fired = true), 30 * 86_400_000);
    await sleep(200);
    clearTimeout(timer);
    expect(fired).toBe(false);
    expect(30 * 86_400_000).toBeGreaterThan(MAX_TIMER_MS);
  });

  it('fires once, only after the last segment', async () => {
    let fired = 0;
    let firedAtCheck: number | undefined;
    await new Promise<void>((resolve) => {
      setLongTimeout(
        () => {
          fired += 1;
          resolve();
        },
        100,
        20,
      );
      // Due before the whole delay: timers run in the order they fall due, so this sees the chain unfinished.
      setTimeout(() => (firedAtCheck = fired), 50);
    });
    await sleep(100);
    expect(firedAtCheck).toBe(0);
    expect(fired).toBe(1);
  });

  it('is cancelled by clearTimeout between segments', async () => {
    let fired = false;
    const timer = setLongTimeout(() => (fired = true), 100, 20);
    await sleep(30);
    clearTimeout(timer);
    await sleep(150);
    expect(fired).toBe(false);
  });
});

import { JobState } from '@gator/protocol';
import { describe, expect, it } from 'vitest';
import type { ChildRecord } from './children.js';
import { SLOW_WINDOWS, silentChildren } from './watchdog.js';

function started(id: string, lastHeard: number): ChildRecord {
  return { id, state: JobState.STARTED, live: { lastHeard } } as unknown as ChildRecord;
}

describe('silentChildren', () => {
  const now = 100_000;
  const window = 3_000;

  it('tells a silent child as frozen, dead or slow from its process state', () => {
    const kids = [started('frozen', now - 4_000), started('dead', now - 4_000), started('slow', now - 4_000), started('remote', now - 4_000)];
    const states = { frozen: 'frozen', dead: 'gone', slow: 'running' } as const;
    const out = silentChildren(kids, window, now, (rec) => states[rec.id as keyof typeof states]);
    expect(Object.fromEntries(out.map((l) => [l.rec.id, l.reason]))).toEqual({
      frozen: 'frozen: its process is stopped (no heartbeat for 4s)',
      dead: 'dead: its process is gone (no heartbeat for 4s)',
      remote: 'no heartbeat for 4s',
    });
    expect(out.slow?.map((l) => [l.rec.id, l.reason])).toEqual([['slow', 'slow: no heartbeat for 4s, its process is running']]);
  });

  it('gives up on a running but silent child after SLOW_WINDOWS windows', () => {
    const out = silentChildren([started('busy', now - SLOW_WINDOWS * window - 1_000)], window, now, () => 'running');
    expect(out.map((l) => l.reason)).toEqual(['unresponsive: its process runs but sent no heartbeat for 7s']);
  });

  it('leaves a child heard within the window alone', () => {
    expect(silentChildren([started('fine', now - 1_000)], window, now, () => 'frozen')).toEqual([]);
  });
});

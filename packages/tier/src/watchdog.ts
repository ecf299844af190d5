/**
 * Liveness of a tier's children, checked at each heartbeat: a started child
 * silent for `lostAfterMs` is lost (told as frozen, dead or, after more time
 * for a child whose process still runs, unresponsive), and so is a launched one whose process
 * started long ago but never registered (it hangs before it could talk).
 * Python Gator waits for such children for ever.
 */
import { type ChildProcessState, JobState } from '@gator/protocol';
import type { ChildRecord } from './children.js';

/** A launched process gets at least this long to register, whatever the interval. */
export const REGISTER_FLOOR_MS = 60_000;

export interface LostChild {
  rec: ChildRecord;
  reason: string;
}

/** How a silent child's process is, where its scheduler can tell (`Scheduler.inspect`). */
export type Inspect = (rec: ChildRecord) => ChildProcessState | undefined;

/** A child whose process runs but is silent gets this many windows before it is lost (slow, not dead). */
export const SLOW_WINDOWS = 2;

/**
 * The children to give up on now, each with why: `frozen` (its process is
 * stopped), `dead` (its process is gone), `unresponsive` (it runs but stayed
 * silent for SLOW_WINDOWS windows); `slow` lists the ones still given time.
 */
export function silentChildren(live: Iterable<ChildRecord>, lostAfterMs: number, now = Date.now(), inspect?: Inspect): LostChild[] & { slow?: LostChild[] } {
  const out: LostChild[] & { slow?: LostChild[] } = [];
  for (const rec of live) {
    const state = rec.live;
    if (!state) continue;
    const window = state.lostAfterMs ?? lostAfterMs;
    const silent = now - state.lastHeard;
    if (rec.state === JobState.STARTED && silent > window) {
      const quiet = `no heartbeat for ${Math.round(silent / 1000)}s`;
      const seen = inspect?.(rec);
      if (seen === 'frozen') out.push({ rec, reason: `frozen: its process is stopped (${quiet})` });
      else if (seen === 'gone') out.push({ rec, reason: `dead: its process is gone (${quiet})` });
      else if (seen === 'running' && silent <= SLOW_WINDOWS * window) (out.slow ??= []).push({ rec, reason: `slow: ${quiet}, its process is running` });
      else if (seen === 'running') out.push({ rec, reason: `unresponsive: its process runs but sent ${quiet}` });
      else out.push({ rec, reason: quiet });
    } else if (rec.state === JobState.LAUNCHED && state.processStarted !== undefined) {
      const limit = Math.max(lostAfterMs, REGISTER_FLOOR_MS);
      if (now - state.processStarted > limit) out.push({ rec, reason: `did not register within ${Math.round(limit / 1000)}s of starting` });
    }
  }
  return out;
}

/**
 * Liveness of a tier's children, checked at each heartbeat: a started child
 * silent for `lostAfterMs` is lost, and so is a launched one whose process
 * started long ago but never registered (it hangs before it could talk).
 * Python Gator waits for such children for ever.
 */
import { JobState } from '@gator/protocol';
import type { ChildRecord } from './children.js';

/** A launched process gets at least this long to register, whatever the interval. */
export const REGISTER_FLOOR_MS = 60_000;

export interface LostChild {
  rec: ChildRecord;
  reason: string;
}

/** The children to give up on now. */
export function silentChildren(live: Iterable<ChildRecord>, lostAfterMs: number, now = Date.now()): LostChild[] {
  const out: LostChild[] = [];
  for (const rec of live) {
    const state = rec.live;
    if (!state) continue;
    if (rec.state === JobState.STARTED && now - state.lastHeard > (state.lostAfterMs ?? lostAfterMs)) {
      out.push({ rec, reason: `no heartbeat for ${Math.round((now - state.lastHeard) / 1000)}s` });
    } else if (rec.state === JobState.LAUNCHED && state.processStarted !== undefined) {
      const limit = Math.max(lostAfterMs, REGISTER_FLOOR_MS);
      if (now - state.processStarted > limit) out.push({ rec, reason: `did not register within ${Math.round(limit / 1000)}s of starting` });
    }
  }
  return out;
}

/**
 * `setTimeout` for any delay. Node's timers hold at most 2^31-1 ms (about
 * 24.8 days); a longer delay is taken as 1 ms, so `timeout: 30d` would stop a
 * job at once. A long delay is split into equal segments below that limit,
 * re-armed with `refresh()`, so the handle stays one `NodeJS.Timeout`:
 * `clearTimeout` and `unref` work on it as on any timer.
 */

/** The longest delay one Node timer holds, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function setLongTimeout(callback: () => void, ms: number, maxSegmentMs = MAX_TIMER_MS): NodeJS.Timeout {
  const segments = Math.max(1, Math.ceil(ms / maxSegmentMs));
  let left = segments;
  const timer: NodeJS.Timeout = setTimeout(() => {
    left -= 1;
    if (left > 0) timer.refresh();
    else callback();
  }, ms / segments);
  return timer;
}

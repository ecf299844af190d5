/**
 * The last resort of a scheduler whose jobs outlive it: when the process exits
 * without `close()` (a crash, `process.exit`), every tracked scheduler's
 * `abandon()` runs, synchronously (no promise settles in an exit handler), to
 * cancel what it still has queued or running. One exit hook serves all.
 */

export interface Abandonable {
  /** Synchronously end or cancel every child still queued or running. */
  abandon(): void;
}

const live = new Set<Abandonable>();
let exitHookInstalled = false;

/** Abandon `scheduler` if the process exits before `releaseAtExit(scheduler)`. Repeated calls are fine. */
export function abandonAtExit(scheduler: Abandonable): void {
  live.add(scheduler);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const s of live) s.abandon();
    });
  }
}

/** `scheduler` has closed: nothing left to abandon. */
export function releaseAtExit(scheduler: Abandonable): void {
  live.delete(scheduler);
}

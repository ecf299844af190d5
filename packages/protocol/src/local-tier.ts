/**
 * A nested tier that a cluster scheduler runs on the submitting host (`tiers=local`)
 * instead of as a job: `spawnInGroup`, with its end said as the `ChildExit` the
 * scheduler reports (`stopped` once it was terminated; never started when it could
 * not be spawned).
 */
import { spawnInGroup, type ProcessGroup } from './child-handle.js';
import type { ChildExit, LaunchRequest } from './scheduler.js';

export interface LocalTierEvents {
  onStart(): void;
  onExit(exit: ChildExit): void;
}

/** Start `request` here, in the scheduler's environment plus `request.env`; undefined when it could not start (`onExit` follows). */
export function startLocalTier(
  request: Pick<LaunchRequest, 'command' | 'cwd' | 'tracking' | 'env'>,
  graceMs: number,
  events: LocalTierEvents,
): ProcessGroup | undefined {
  const group: ProcessGroup | undefined = spawnInGroup(
    request,
    { env: { ...process.env, ...request.env }, graceMs },
    {
      onStart: () => events.onStart(),
      onExit: (code, signal) => events.onExit({ code, signal, ...(group?.terminating ? { reason: 'stopped' } : {}) }),
      onFailure: ({ code, reason }) => events.onExit({ code, signal: null, neverStarted: true, reason }),
    },
  );
  return group;
}

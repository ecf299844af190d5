/**
 * How a Slurm job's end becomes the child's `ChildExit`: an exit code when the
 * child itself ended (COMPLETED, FAILED), else Slurm's state and reason
 * (`TIMEOUT: TimeLimit`, `CANCELLED: stopped by Gator`) so the tier can report
 * what Slurm did.
 */
import type { ChildExit } from '@gator/protocol';

export interface JobEnd {
  /** Slurm's end state (`COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`…). */
  state: string;
  /** Slurm's reason, if it gave one other than `None`. */
  slurmReason: string | undefined;
  /** Exit code or signal of the batch script (= the child: the script execs it). */
  status: { code: number | null; signal: string | null };
  /** Whether the batch script ever started. */
  ran: boolean;
  /** Whether Gator asked for the stop. */
  stopRequested: boolean;
  /** The pending reason that made Gator cancel a job Slurm can never start. */
  hopeless?: string | undefined;
}

/** Reason words for Slurm's end states when Slurm gives none. */
const STATE_WORDS: Record<string, string> = {
  CANCELLED: 'cancelled (scancel)',
  TIMEOUT: 'time limit reached',
  NODE_FAIL: 'node failure',
  OUT_OF_MEMORY: 'out of memory',
  PREEMPTED: 'preempted',
  BOOT_FAIL: 'node boot failure',
  DEADLINE: 'deadline reached',
  FAILED: 'failed',
};

export function childExitOf(end: JobEnd): ChildExit {
  const { state, slurmReason, status, ran, stopRequested } = end;
  const stopped = stopRequested ? { reason: 'stopped' } : {};
  if (state === 'COMPLETED') return { code: status.code ?? 0, signal: status.signal, ...stopped };
  if (state === 'FAILED' && (status.signal !== null || (status.code ?? 0) !== 0)) {
    // The child's own exit code says it all; other reasons (e.g. a launch failure) are kept.
    const reason = slurmReason && slurmReason !== 'NonZeroExitCode' ? `FAILED: ${slurmReason}` : undefined;
    return { ...status, ...stopped, ...(reason ? { reason } : {}) };
  }
  if (end.hopeless !== undefined && !ran) {
    return { code: null, signal: null, neverStarted: true, reason: `PENDING: ${end.hopeless} (Slurm can never start it, so it was cancelled)` };
  }
  let words = slurmReason ?? STATE_WORDS[state] ?? state.toLowerCase();
  if (state === 'CANCELLED' && stopRequested) words = ran ? 'stopped by Gator' : 'stopped by Gator before it started';
  return { code: null, signal: null, neverStarted: !ran, reason: `${state}: ${words}` };
}

/**
 * What one job came to in one run: the type job-trials.ts and
 * recorded-trials.ts both produce (its own file, so neither imports the other).
 */
import type { TrialOutcome } from '@gator/protocol';

/** A job's trial: its outcome, reason and figures in one run, by its path. */
export interface JobTrial {
  /** Dotted idents below the root (the root's own ident for a lone !Job run). */
  path: string;
  outcome: TrialOutcome;
  /** FailureKind of a failed job, SkipKind of a skipped one, when known. */
  kind: string | null;
  reason: string | null;
  /** Seconds (null when it never ran). */
  duration: number | null;
  /** The attempt that decided (1 without retries; null when it never ran). */
  attempt: number | null;
  /** The seed it ran with (`GATOR_SEED`), when it had one. */
  seed: string | null;
  /** Unix seconds. */
  started: number | null;
}

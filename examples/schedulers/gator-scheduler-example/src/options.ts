/**
 * The `--sched-arg` options of the example scheduler. The CLI hands them over
 * as strings, keys lower-cased; a bad value is a `SchedulerError` naming it.
 */
import { SchedulerError } from '@gator/protocol';

export const SCHEDULER_NAME = 'example';

// #region options
export interface FifoOptions {
  /** How many jobs run at once (a job asking for N cores takes N slots). */
  slots: number;
  /** Milliseconds between SIGTERM and SIGKILL when a child is stopped. */
  graceMs: number;
}

export function parseFifoOptions(options: Record<string, string>): FifoOptions {
  return {
    slots: wholeNumber(options, 'slots', 1, 1),
    graceMs: wholeNumber(options, 'grace', 5, 0) * 1000,
  };
}

function wholeNumber(options: Record<string, string>, name: string, fallback: number, min: number): number {
  const given = options[name];
  if (given === undefined) return fallback;
  if (!/^\d+$/.test(given) || Number(given) < min) {
    throw new SchedulerError(
      'GATOR_SCHEDULER_OPTION',
      SCHEDULER_NAME,
      `Option \`${name}=${given}\` is invalid: expected a whole number of at least ${min}.`,
      { hint: `Pass it as --sched-arg ${name}=N.` },
    );
  }
  return Number(given);
}
// #endregion

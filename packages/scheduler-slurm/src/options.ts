/**
 * `--sched-arg` options of the Slurm scheduler. Every option is a string on the
 * command line; each is read with `schedulerOption` and a zod schema, so a bad
 * value is a `SchedulerError` naming the option. Keys the scheduler does not
 * know are ignored (options propagate to every tier of the run) and reported
 * as a debug event.
 */
import { z } from 'zod';
import {
  clusterError as sharedClusterError,
  extraArgsOption,
  hostOption,
  onOffOption,
  schedulerOptionReader,
  secondsOption,
  type SchedulerError,
} from '@gator/protocol';

export const SCHEDULER_NAME = 'slurm';

/** A Slurm name (partition, account, QOS): no spaces, commas or quotes. */
const slurmName = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.@+-]+$/, `expected a ${what} name (letters, digits, _ . @ + -)`);

/** Slurm's time formats: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED. */
const timeLimit = z
  .string()
  .trim()
  .regex(
    /^(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|unlimited|infinite)$/i,
    'expected a Slurm time limit: MINUTES, HH:MM:SS, D-HH:MM or UNLIMITED',
  );

const yesNo = onOffOption();

/** sbatch options the scheduler sets itself: giving them in `sbatch_args` would break it. */
const RESERVED_SBATCH_ARGS = ['--wrap', '--array', '-a', '--export', '--export-file', '--chdir', '-D', '--parsable'];

// `--array=1-3` and `-a1-3` are the flags `--array` and `-a`.
const sbatchArgs = extraArgsOption(RESERVED_SBATCH_ARGS, (word) => (word.startsWith('--') ? word.split('=')[0]! : word.slice(0, 2)));

/** Each option, as the string given on the command line → its value. */
export const slurmOptionSchemas = {
  /** Partition (`sbatch --partition`); default: the cluster's default partition. */
  partition: slurmName('partition').optional(),
  /** Account to charge (`sbatch --account`). */
  account: slurmName('account').optional(),
  /** Quality of service (`sbatch --qos`). */
  qos: slurmName('QOS').optional(),
  /** Time limit of every job (`sbatch --time`). */
  time: timeLimit.optional(),
  /** Extra sbatch arguments, split like a shell command line. */
  sbatch_args: sbatchArgs.optional(),
  /** Seconds between two squeue polls. */
  poll: secondsOption('a poll interval', 0.1).default(1),
  /** Seconds between SIGTERM to a running child's process group and cancelling its job. */
  grace: secondsOption('a grace period', 0).default(5),
  /** Interface name or host name/address children use to reach this tier. */
  host: hostOption().optional(),
  /** Where nested tiers run: `local` (processes on this machine) or `slurm` (1-cpu jobs). */
  tiers: z.string().trim().toLowerCase().pipe(z.enum(['local', 'slurm'], { error: 'expected local or slurm' })).default('local'),
  /** Memory (MB) asked for a nested tier's job when `tiers=slurm`. */
  tier_mem: z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number of MB')
    .transform(Number)
    .pipe(z.number().int().positive('expected a positive number of MB'))
    .default(500),
  /** Submit the children of a `!JobArray` launched together as one Slurm job array. */
  arrays: yesNo.default(true),
};

export type SlurmOptionName = keyof typeof slurmOptionSchemas;

export interface SlurmOptions {
  partition: string | undefined;
  account: string | undefined;
  qos: string | undefined;
  time: string | undefined;
  sbatchArgs: string[];
  pollMs: number;
  graceMs: number;
  host: string | undefined;
  tiers: 'local' | 'slurm';
  tierMemMb: number;
  arrays: boolean;
  /** Option keys that mean nothing to this scheduler. */
  ignored: string[];
}

/** Validate `--sched-arg` options (keys already lower-cased); a bad value throws `SchedulerError`. */
export function parseSlurmOptions(options: Record<string, string>): SlurmOptions {
  const { read, ignored } = schedulerOptionReader(SCHEDULER_NAME, slurmOptionSchemas, options);
  return {
    partition: read('partition'),
    account: read('account'),
    qos: read('qos'),
    time: read('time'),
    sbatchArgs: read('sbatch_args') ?? [],
    pollMs: Math.round(read('poll') * 1000),
    graceMs: Math.round(read('grace') * 1000),
    host: read('host'),
    tiers: read('tiers'),
    tierMemMb: read('tier_mem'),
    arrays: read('arrays'),
    ignored,
  };
}

/** A problem with the cluster itself (commands missing, controller down, unknown partition). */
export function clusterError(message: string, hint?: string, cause?: unknown): SchedulerError {
  return sharedClusterError(SCHEDULER_NAME, message, hint, cause);
}

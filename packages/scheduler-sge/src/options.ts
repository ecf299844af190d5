/**
 * `--sched-arg` options of the Grid Engine scheduler. Every option is a string
 * on the command line; each is read with `schedulerOption` and a zod schema, so
 * a bad value is a `SchedulerError` naming the option. Keys the scheduler does
 * not know are ignored (options propagate to every tier of the run) and
 * reported as a debug event.
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

export const SCHEDULER_NAME = 'sge';

/** A Grid Engine object name (queue, PE, project, complex): no spaces, commas or quotes. */
const sgeName = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, `expected a ${what} name (letters, digits, _ . -)`);

/** A queue list as `qsub -q` takes it: `all.q`, `all.q@node1`, `a.q,b.q`, `*@node1`. */
const queueList = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.*@-]+(,[A-Za-z0-9_.*@-]+)*$/, 'expected a queue or a comma-separated queue list (all.q, all.q@host, a.q,b.q)');

/** Grid Engine's time formats: SECONDS or HH:MM:SS. */
const timeLimit = z
  .string()
  .trim()
  .regex(/^(\d+|\d+:\d{1,2}:\d{1,2})$/, 'expected a Grid Engine time: SECONDS or HH:MM:SS');

const yesNo = onOffOption();

const megabytes = z
  .string()
  .trim()
  .regex(/^\d+$/, 'expected a whole number of MB')
  .transform(Number);

/** qsub options the scheduler sets itself: giving them in `qsub_args` would break it. */
export const RESERVED_QSUB_ARGS = [
  '-t', '-terse', '-o', '-e', '-j', '-wd', '-cwd', '-S', '-N', '-V', '-v', '-sync', '-b', '-shell', '-r', '-notify', '-w', '-i',
];

const qsubArgs = extraArgsOption(RESERVED_QSUB_ARGS);

/** Each option, as the string given on the command line → its value. */
export const sgeOptionSchemas = {
  /** Queue(s) jobs go to (`qsub -q`); default: any queue the cluster picks. */
  queue: queueList.optional(),
  /** Parallel environment for jobs asking for more than one core (`qsub -pe PE N`). */
  pe: sgeName('parallel environment').default('smp'),
  /** Project to charge (`qsub -P`). */
  project: sgeName('project').optional(),
  /** Wall-clock limit of every job (`-l h_rt=`). */
  time: timeLimit.optional(),
  /** The complex a job's `!Memory` is requested as (per slot, like h_vmem). */
  mem_resource: sgeName('complex').default('h_vmem'),
  /** MB added to a job's memory request for its wrapper (a Node process, about 1 GB of address space). */
  wrapper_mem: megabytes.default(2000),
  /** Extra qsub arguments, split like a shell command line. */
  qsub_args: qsubArgs.optional(),
  /** Seconds between two qstat polls. */
  poll: secondsOption('a poll interval', 0.1).default(1),
  /** Seconds between SIGTERM to a running child's process group and SIGKILL. */
  grace: secondsOption('a grace period', 0).default(5),
  /** Interface name or host name/address children use to reach this tier. */
  host: hostOption().optional(),
  /** Where nested tiers run: `local` (processes on this machine) or `sge` (1-slot jobs). */
  tiers: z.string().trim().toLowerCase().pipe(z.enum(['local', 'sge'], { error: 'expected local or sge' })).default('local'),
  /** Submit the children of a `!JobArray` launched together as one array job (`qsub -t 1-N`). */
  arrays: yesNo.default(true),
  /** Submit with `-notify`, so that a qdel reaches a running child as SIGTERM before SIGKILL. */
  notify: yesNo.default(true),
  /** Submit with `-w e`: a request no queue can ever satisfy is refused at once instead of waiting for ever. */
  verify: yesNo.default(true),
  /** The accounting file to read exit statuses from, or `qacct` to ask qacct for each job. */
  accounting: z.string().trim().min(1, 'expected a file path or qacct').optional(),
  /** Seconds a job may be gone from qstat with no accounting record before it is reported lost. */
  lost_after: secondsOption('a time', 1).default(120),
};

export type SgeOptionName = keyof typeof sgeOptionSchemas;

export interface SgeOptions {
  queue: string | undefined;
  pe: string;
  project: string | undefined;
  time: string | undefined;
  memResource: string;
  wrapperMemMb: number;
  qsubArgs: string[];
  pollMs: number;
  graceMs: number;
  host: string | undefined;
  tiers: 'local' | 'sge';
  arrays: boolean;
  notify: boolean;
  verify: boolean;
  /** undefined: the cell's own accounting file; `qacct`: ask qacct. */
  accounting: string | undefined;
  lostAfterMs: number;
  /** Option keys that mean nothing to this scheduler. */
  ignored: string[];
}

/** Validate `--sched-arg` options (keys already lower-cased); a bad value throws `SchedulerError`. */
export function parseSgeOptions(options: Record<string, string>): SgeOptions {
  const { read, ignored } = schedulerOptionReader(SCHEDULER_NAME, sgeOptionSchemas, options);
  return {
    queue: read('queue'),
    pe: read('pe'),
    project: read('project'),
    time: read('time'),
    memResource: read('mem_resource'),
    wrapperMemMb: read('wrapper_mem'),
    qsubArgs: read('qsub_args') ?? [],
    pollMs: Math.round(read('poll') * 1000),
    graceMs: Math.round(read('grace') * 1000),
    host: read('host'),
    tiers: read('tiers'),
    arrays: read('arrays'),
    notify: read('notify'),
    verify: read('verify'),
    accounting: read('accounting'),
    lostAfterMs: Math.round(read('lost_after') * 1000),
    ignored,
  };
}

/** A problem with the cluster itself (commands missing, qmaster down, unknown queue). */
export function clusterError(message: string, hint?: string, cause?: unknown): SchedulerError {
  return sharedClusterError(SCHEDULER_NAME, message, hint, cause);
}

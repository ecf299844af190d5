/**
 * @gator/scheduler-slurm: runs each Gator child as a Slurm batch job (sbatch),
 * follows all of them with one squeue call per poll, stops them with scancel.
 * `--scheduler slurm` selects it.
 */
import { defineScheduler } from '@gator/protocol';
import { slurmOptionSchemas } from './options.js';
import { createSlurmScheduler } from './slurm-scheduler.js';

export { SlurmScheduler, createSlurmScheduler, resolveAdvertiseHost, type ClusterInfo } from './slurm-scheduler.js';
export {
  SCHEDULER_NAME as SLURM_SCHEDULER_NAME,
  parseSlurmOptions,
  slurmOptionSchemas,
  type SlurmOptionName,
  type SlurmOptions,
} from './options.js';

// Declared options: the CLI refuses unknown keys and bad values before anything runs.
export default defineScheduler((context) => createSlurmScheduler(context), { options: slurmOptionSchemas });

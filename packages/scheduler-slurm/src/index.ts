/**
 * @gator/scheduler-slurm: runs each Gator child as a Slurm batch job (sbatch),
 * follows it with one squeue call per poll for all jobs, stops it with
 * scancel. `--scheduler slurm` selects it.
 */
import { defineScheduler } from '@gator/protocol';
import { createSlurmScheduler } from './slurm-scheduler.js';

export {
  ARRAY_WINDOW_MS,
  SlurmScheduler,
  createSlurmScheduler,
  probeCluster,
  resolveAdvertiseHost,
  type ClusterInfo,
} from './slurm-scheduler.js';
export { SCHEDULER_NAME as SLURM_SCHEDULER_NAME, parseSlurmOptions, slurmOptionSchemas, type SlurmOptions, type SlurmOptionName } from './options.js';
export { childScript, arrayScript, jobName, singleSubmitArgs, arraySubmitArgs, submitEnv } from './batch-script.js';
export { shellQuote, splitShellWords } from './shell.js';

export default defineScheduler((context) => createSlurmScheduler(context));

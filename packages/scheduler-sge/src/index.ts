/**
 * @gator/scheduler-sge: runs each Gator child as a Grid Engine job (qsub),
 * follows all of them with one `qstat -xml` per poll, reads exit statuses from
 * accounting, stops them with qdel. `--scheduler sge` selects it.
 */
import { defineScheduler } from '@gator/protocol';
import { sgeOptionSchemas } from './options.js';
import { createSgeScheduler } from './sge-scheduler.js';

export { SgeScheduler, createSgeScheduler, resolveAdvertiseHost, type SgeCounters } from './sge-scheduler.js';
export type { ClusterInfo, LicenseComplex } from './cluster.js';
export {
  SCHEDULER_NAME as SGE_SCHEDULER_NAME,
  parseSgeOptions,
  sgeOptionSchemas,
  type SgeOptionName,
  type SgeOptions,
} from './options.js';

// Declared options: the CLI refuses unknown keys and bad values before anything runs.
export default defineScheduler((context) => createSgeScheduler(context), { options: sgeOptionSchemas });

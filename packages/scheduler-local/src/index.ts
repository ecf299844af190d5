/**
 * @gator/scheduler-local: the embedded Gator scheduler. Children run as local
 * processes, queued until the machine-wide pool (cores, memory, licenses) has
 * room; nested tiers share the root's pool.
 */
import { defineScheduler } from '@gator/protocol';
import { localSchedulerOptions } from './options.js';
import { createLocalScheduler } from './local-scheduler.js';

export {
  LocalScheduler,
  createLocalScheduler,
  demandOf,
  type LocalSchedulerSettings,
  type InProcessRun,
  type InProcessRunner,
} from './local-scheduler.js';
export { localSchedulerOptions, parseLocalOptions, type LocalSchedulerOptions, type LocalSchedulerConfig, type PoolLimits } from './options.js';
export { ResourcePool, impossibleReasons, type Demand, type Ticket } from './pool.js';
export { POOL_ENV } from './wire.js';

// Declared options: the CLI refuses unknown keys and bad values before anything runs.
export default defineScheduler((context) => createLocalScheduler(context), { options: localSchedulerOptions.shape });

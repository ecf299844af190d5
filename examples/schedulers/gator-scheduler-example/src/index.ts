/**
 * gator-scheduler-example: an example third-party Gator scheduler. Children
 * run as local processes, first come first served, `slots` at a time.
 * Select it with `gator run --scheduler example` once installed.
 */
// #region factory
import { defineScheduler } from '@gator/protocol';
import { FifoScheduler } from './fifo-scheduler.js';
import { parseFifoOptions } from './options.js';

export default defineScheduler((context) => new FifoScheduler(parseFifoOptions(context.options), context.onEvent));
// #endregion

export { FifoScheduler, slotsOf } from './fifo-scheduler.js';
export { SCHEDULER_NAME, parseFifoOptions, type FifoOptions } from './options.js';

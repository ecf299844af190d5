export { main, buildCli, exitCodeOfError, type Io } from './main.js';
export { locateScheduler, loadSchedulerFactory, createScheduler, candidatePackages, BUILTIN_SCHEDULERS } from './schedulers.js';
export { VERSION } from './version.js';

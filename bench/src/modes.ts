/** The ways of running jobs that the tree cases compare. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mode } from './context.js';
import { BenchError, cliHostsWrappers } from './measure.js';

/** The built scheduler module of the in-process mode (dist/local-inprocess.js). */
export function inProcessSchedulerModule(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'local-inprocess.js');
}

export const DEFAULT_MODE: Mode = { name: 'default', args: [], note: 'one wrapper process per job (the design)' };

export const MODES: Record<string, Mode> = {
  default: DEFAULT_MODE,
  inprocess: {
    name: 'inprocess',
    // Resolved when used: the CLI may wire the mode itself, else this package's module does.
    get args() {
      return cliHostsWrappers() ? ['--sched-arg', 'wrappers=inprocess'] : ['--scheduler', inProcessSchedulerModule(), '--sched-arg', 'wrappers=inprocess'];
    },
    note: 'opt-in: local scheduler with wrappers=inprocess (job wrappers inside their tier process; tiers stay processes)',
  },
};

export function modeByName(name: string): Mode {
  const mode = MODES[name];
  if (!mode) throw new BenchError(`Unknown mode '${name}': the modes are ${Object.keys(MODES).join(', ')}`);
  return mode;
}

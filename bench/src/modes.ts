/** The ways of running jobs that the tree cases compare. */
import type { Mode } from './context.js';
import { BenchError } from './measure.js';

export const DEFAULT_MODE: Mode = { name: 'default', args: [], note: 'one wrapper process per job (the design)' };

export const MODES: Record<string, Mode> = {
  default: DEFAULT_MODE,
};

export function modeByName(name: string): Mode {
  const mode = MODES[name];
  if (!mode) throw new BenchError(`Unknown mode '${name}': the modes are ${Object.keys(MODES).join(', ')}`);
  return mode;
}

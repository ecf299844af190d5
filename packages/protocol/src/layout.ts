/**
 * The files of a layer's tracking directory (storage.md §1): one list, so the
 * writers (@gator/db, the schedulers, the CLI) and the readers (inspect
 * commands, the hub, Python Gator's own tools) cannot disagree on a name.
 */
import path from 'node:path';

export const LAYER_FILES = {
  /** The layer's SQLite database (Python's five tables). */
  db: 'db.sqlite',
  /** The layer's own spec, renamed to its id, as YAML. */
  spec: 'spec.yaml',
  /** `[HH:MM:SS] [SEVERITY] text`, one line per stored message. */
  messages: 'messages.log',
  /** What the child process printed before it could log anywhere else (written by schedulers). */
  scheduler: 'scheduler.log',
  /** A child process's fatal error, when its console goes nowhere. */
  error: 'error.log',
  /** The root of a rerun: which jobs it selected from which run. */
  rerun: 'rerun.json',
  /** A job's directory put first on its PATH: holds the `gator` command that reaches its wrapper. */
  jobBin: 'bin',
  /** A child's credential from its parent tier, read and removed by the child as it starts. */
  credential: 'credential.json',
} as const;

export type LayerFile = keyof typeof LAYER_FILES;

/**
 * The `Metric.scope` of a layer's own counts and of its whole subtree (storage.md §3);
 * a tier also stores each child's under the child's ident.
 */
export const METRIC_SCOPES = { own: '_OWN_', group: '_GROUP_' } as const;

/** `<dir>/<name of file>`, e.g. `layerFile(dir, 'db')` → `<dir>/db.sqlite`. */
export function layerFile(dir: string, file: LayerFile): string {
  return path.join(dir, LAYER_FILES[file]);
}

/** The raw stdout+stderr capture of one attempt of a job (`raw_<pid>.log`). */
export function rawLogFile(dir: string, pid: number): string {
  return path.join(dir, `raw_${pid}.log`);
}

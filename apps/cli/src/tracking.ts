/** Where runs live: `./tracking/<timestamp>` by default, as Python Gator. */
import fs from 'node:fs';
import path from 'node:path';
import { GatorError, layerFile } from '@gator/protocol';

/** Local time like Python's `datetime.now().isoformat()` (milliseconds). */
export function timestampName(date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}` +
    `T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}`
  );
}

export function defaultTrackingDir(cwd = process.cwd()): string {
  return path.join(cwd, 'tracking', timestampName());
}

/** Create a run's tracking directory, owner-only; a clear error when it cannot be. */
export function makeTrackingDir(dir: string): string {
  const abs = path.resolve(dir);
  try {
    fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
    fs.accessSync(abs, fs.constants.W_OK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new GatorError('GATOR_DB_WRITE', `Cannot create the tracking directory ${abs}: ${err.code ?? ''} ${err.message}`.trim(), {
      hint: 'Choose a writable place with --tracking DIR.',
      cause: e,
    });
  }
  return abs;
}

/** The run a command should look at: a given directory, else the newest under ./tracking. */
export function findRun(given: string | undefined, cwd = process.cwd()): string {
  if (given) {
    const abs = path.resolve(cwd, given);
    if (fs.existsSync(layerFile(abs, 'db'))) return abs;
    // A tracking root holding several runs: take its newest.
    const newest = newestRun(abs);
    if (newest) return newest;
    throw new GatorError('GATOR_RUN_NOT_FOUND', `No Gator run at ${abs} (no db.sqlite there or in its subdirectories).`, {
      hint: 'Pass the tracking directory of a run, e.g. tracking/2026-01-01T10:00:00.000',
    });
  }
  const root = path.join(cwd, 'tracking');
  const newest = newestRun(root);
  if (!newest) {
    throw new GatorError('GATOR_RUN_NOT_FOUND', `No runs under ${root}.`, {
      hint: 'Run one with `gator run SPEC`, or pass a tracking directory.',
    });
  }
  return newest;
}

function newestRun(dir: string): string | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  let best: { dir: string; mtime: number } | undefined;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const db = layerFile(path.join(dir, e.name), 'db');
    let st: fs.Stats;
    try {
      st = fs.statSync(db);
    } catch {
      continue;
    }
    // Directory names are timestamps; fall back to the db's birth for other names.
    const t = Math.min(st.birthtimeMs || st.mtimeMs, st.mtimeMs);
    if (!best || t > best.mtime || (t === best.mtime && e.name > path.basename(best.dir))) best = { dir: path.join(dir, e.name), mtime: t };
  }
  return best?.dir;
}

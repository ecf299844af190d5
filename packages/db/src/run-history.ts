/**
 * Runs of the same spec form a history (docs/run-model.md#history): the runs
 * in one tracking directory (`./tracking/<timestamp>`, or the hub's list of
 * tracking directories) whose root has the same ident, oldest first. Only each
 * root's Attribute table is read: listing thirty runs of 10,000 jobs opens
 * thirty files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunOutcome } from '@gator/protocol';
import { openLayerReader } from './reader.js';
import { DB_FILE_NAME } from './schema.js';

/** One run, as its root recorded it. */
export interface RunEntry {
  /** The run's tracking directory (absolute). */
  dir: string;
  /** The root's ident: runs with the same one are runs of the same spec. */
  ident: string;
  /** Unix seconds (null when the root never recorded it). */
  started: number | null;
  stopped: number | null;
  /** The root's recorded `outcome` (null while running, or for runs older than the attribute). */
  outcome: RunOutcome | null;
  /** The run this one reran (`gator run --rerun-failed`), when it is one. */
  rerunOf: string | null;
}

function num(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** The root of the run at `dir`, or undefined when it holds no readable Gator database. */
export function readRunEntry(dir: string): RunEntry | undefined {
  const abs = path.resolve(dir);
  if (!fs.existsSync(path.join(abs, DB_FILE_NAME))) return undefined;
  try {
    const reader = openLayerReader(abs);
    try {
      const attrs = reader.attributes();
      const outcome = attrs.outcome;
      return {
        dir: abs,
        ident: attrs.ident || path.basename(abs),
        started: num(attrs.started),
        stopped: num(attrs.stopped),
        outcome: outcome === 'passed' || outcome === 'failed' || outcome === 'stopped' ? outcome : null,
        rerunOf: attrs.rerun_of || null,
      };
    } finally {
      reader.close();
    }
  } catch {
    // A damaged or foreign file is not a run of the history (the run's own views report it).
    return undefined;
  }
}

/** Oldest first: by the root's start, then by directory name (timestamps). */
function byStart(a: RunEntry, b: RunEntry): number {
  const sa = a.started ?? Number.POSITIVE_INFINITY;
  const sb = b.started ?? Number.POSITIVE_INFINITY;
  if (sa !== sb) return sa - sb;
  return a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0;
}

/** The runs among `dirs` (e.g. the tracking directories a hub knows), oldest first; what is not a run is left out. */
export function readRunEntries(dirs: Iterable<string>): RunEntry[] {
  const out: RunEntry[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const abs = path.resolve(dir);
    if (seen.has(abs)) continue;
    seen.add(abs);
    const entry = readRunEntry(abs);
    if (entry) out.push(entry);
  }
  return out.sort(byStart);
}

/** Every run directly under a tracking directory (`./tracking`), oldest first. */
export function listRuns(trackingRoot: string): RunEntry[] {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(trackingRoot, { withFileTypes: true });
  } catch {
    return [];
  }
  return readRunEntries(names.filter((e) => e.isDirectory()).map((e) => path.join(trackingRoot, e.name)));
}

export interface HistoryOptions {
  /** Where to look for the other runs (default: the run's sibling directories). */
  candidates?: Iterable<string>;
}

/**
 * The history of the run at `runDir`: the runs of the same spec (same root
 * ident) among its siblings (or `candidates`), oldest first, this run
 * included; every run up to and including it when `upTo` is set.
 */
export function runHistory(runDir: string, options: HistoryOptions & { upTo?: boolean } = {}): RunEntry[] {
  const self = readRunEntry(runDir);
  if (!self) return [];
  const pool = options.candidates ? readRunEntries([...options.candidates, self.dir]) : listRuns(path.dirname(self.dir));
  const same = pool.filter((r) => r.ident === self.ident);
  if (!same.some((r) => r.dir === self.dir)) same.push(self), same.sort(byStart);
  return options.upTo ? same.slice(0, same.findIndex((r) => r.dir === self.dir) + 1) : same;
}

/** The run of the same spec just before `runDir` (undefined when it is the first). */
export function previousRun(runDir: string, options: HistoryOptions = {}): RunEntry | undefined {
  const upTo = runHistory(runDir, { ...options, upTo: true });
  return upTo.length >= 2 ? upTo[upTo.length - 2] : undefined;
}

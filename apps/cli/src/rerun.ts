/**
 * `gator run SPEC --rerun-failed [RUN]`: run only the jobs that failed, were
 * lost or were skipped in RUN, plus whatever depends on them. The selection is
 * computed once by the root from RUN's files and the spec, written to the new
 * run's tracking directory, and handed to child tiers with `--rerun-select FILE`
 * so each tier filters its own children the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ENV, GatorError, JobResult, childEntries, layerFile, type Spec } from '@gator/protocol';
import { openLayerReader } from '@gator/db';

export const SelectionSchema = z.object({
  /** Paths (below the root) to run entirely: a failed job, or a dependant with its whole subtree. */
  whole: z.array(z.array(z.string())),
  /** Source run, for the record. */
  from: z.string(),
  /**
   * The environment each selected job recorded (its `env` attribute: spec env,
   * GATOR_SEED, GATOR_ARRAY_INDEX), given to it again so the rerun runs it as it
   * ran; without GATOR_SEED under `--new-seeds`.
   */
  env: z.array(z.object({ path: z.array(z.string()), env: z.record(z.string(), z.string()) })).default([]),
});
export type Selection = z.infer<typeof SelectionSchema>;

const key = (p: readonly string[]) => p.join('\u0000');

/** A job of a run that did not pass: its path (below the root ident) and the environment it recorded. */
export interface FailedJob {
  path: string[];
  env?: Record<string, string>;
}

/** Paths (below the root ident) of every job of `run` that did not pass. */
export function failedJobPaths(runDir: string): string[][] {
  return failedJobs(runDir).map((j) => j.path);
}

/**
 * Every job of `run` that did not pass, with the environment its wrapper
 * recorded. A rerun's jobs it did not select were not part of it: they keep
 * their standing in the run it reran (when that run is still there).
 */
export function failedJobs(runDir: string, seen = new Set<string>()): FailedJob[] {
  const own = ownFailedJobs(runDir);
  const file = layerFile(runDir, 'rerun');
  seen.add(path.resolve(runDir));
  if (!fs.existsSync(file)) return own;
  const selection = readSelection(file);
  if (seen.has(path.resolve(selection.from)) || !fs.existsSync(layerFile(selection.from, 'db'))) return own;
  const selected = (p: readonly string[]) => selection.whole.some((w) => w.length <= p.length && w.every((x, i) => p[i] === x));
  return [...own.filter((j) => selected(j.path)), ...failedJobs(selection.from, seen).filter((j) => !selected(j.path))];
}

function ownFailedJobs(runDir: string): FailedJob[] {
  const out: FailedJob[] = [];
  const visit = (dir: string, prefix: string[]) => {
    const reader = openLayerReader(dir);
    let rows;
    try {
      rows = reader.children();
    } finally {
      reader.close();
    }
    for (const row of rows) {
      const p = [...prefix, row.ident];
      const hasDb = Boolean(row.dbFile) && fs.existsSync(row.dbFile);
      const recorded = hasDb ? openLayer(row.dbFile) : undefined;
      if (recorded?.kind === 'tier') {
        visit(path.dirname(row.dbFile), p);
        continue;
      }
      // A job, or a tier that never ran (skipped wholesale): rerun unless it passed.
      if (row.result !== JobResult.SUCCESS) out.push({ path: p, ...(recorded?.env ? { env: recorded.env } : {}) });
    }
  };
  visit(runDir, []);
  return out;
}

/** A layer's kind and, for a job, the environment it recorded (Python runs record none). */
function openLayer(dbFile: string): { kind: 'tier' | 'wrapper'; env?: Record<string, string> } {
  const reader = openLayerReader(dbFile);
  try {
    if (reader.attribute('cmd') === undefined) return { kind: 'tier' };
    const env = recordedEnv(reader.attribute('env'));
    return { kind: 'wrapper', ...(env ? { env } : {}) };
  } finally {
    reader.close();
  }
}

function recordedEnv(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = String(v);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Close the failed set over sibling dependencies: an entry that depends on a
 * selected (or partly selected) sibling runs entirely.
 */
export function selectWithDependants(spec: Spec, failed: string[][]): string[][] {
  const whole = new Set(failed.map(key));
  const wholeList = [...failed];
  const startsWith = (a: readonly string[], b: readonly string[]) => b.length <= a.length && b.every((x, i) => a[i] === x);
  // An entry is touched when something selected lies inside it, or it lies inside something selected.
  const touches = (p: string[]) => wholeList.some((w) => startsWith(w, p) || startsWith(p, w));
  const walk = (s: Spec, prefix: string[]) => {
    if (s.kind === 'job') return;
    const entries = childEntries(s, { random: () => 0 });
    let changed = true;
    while (changed) {
      changed = false;
      const touchedBases = new Set(entries.filter((e) => touches([...prefix, e.id])).map((e) => e.baseId));
      for (const e of entries) {
        const p = [...prefix, e.id];
        if (whole.has(key(p))) continue;
        const deps = [...e.dependencies.on_pass, ...e.dependencies.on_fail, ...e.dependencies.on_done];
        if (deps.some((d) => touchedBases.has(d))) {
          whole.add(key(p));
          wholeList.push(p);
          changed = true;
        }
      }
    }
    for (const e of entries) if (!whole.has(key([...prefix, e.id]))) walk(e.spec, [...prefix, e.id]);
  };
  walk(spec, []);
  return wholeList;
}

/** What to rerun of `runDir`; `newSeeds` drops the recorded GATOR_SEED so the tiers draw fresh ones. */
export function rerunSelection(runDir: string, spec: Spec, options: { newSeeds?: boolean } = {}): Selection {
  if (!fs.existsSync(layerFile(runDir, 'db'))) {
    throw new GatorError('GATOR_RUN_NOT_FOUND', `No Gator run at ${runDir} to rerun.`);
  }
  const failed = failedJobs(runDir);
  const env = failed.flatMap((job) => {
    if (!job.env) return [];
    const recorded = { ...job.env };
    if (options.newSeeds) delete recorded[ENV.SEED];
    return [{ path: job.path, env: recorded }];
  });
  return { whole: selectWithDependants(spec, failed.map((j) => j.path)), from: runDir, env };
}

/** The tier's `childEnv`: the recorded environment of a selected job, by its path (root ident included). */
export function childEnv(selection: Selection): (childPath: string[]) => Record<string, string> | undefined {
  const byPath = new Map(selection.env.map((e) => [key(e.path), e.env]));
  return (childPath) => byPath.get(key(childPath.slice(1)));
}

/** The tier's `only`: true to run a child entirely, 'descend' for a tier holding selected jobs, false to leave it. */
export function selector(selection: Selection): (childPath: string[]) => boolean | 'descend' {
  return (childPath) => {
    const p = childPath.slice(1); // drop the root ident: selections are relative to the root
    for (const w of selection.whole) {
      if (w.length <= p.length && w.every((x, i) => p[i] === x)) return true;
    }
    for (const w of selection.whole) {
      if (w.length > p.length && p.every((x, i) => w[i] === x)) return 'descend';
    }
    return false;
  };
}

export function writeSelection(tracking: string, selection: Selection): string {
  const file = layerFile(tracking, 'rerun');
  fs.writeFileSync(file, JSON.stringify(selection, null, 2), { mode: 0o600 });
  return file;
}

export function readSelection(file: string): Selection {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GatorError('GATOR_USAGE', `Cannot read the rerun selection ${file}: ${(e as Error).message}`);
  }
  const parsed = SelectionSchema.safeParse(raw);
  if (!parsed.success) throw new GatorError('GATOR_USAGE', `${file} is not a rerun selection: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

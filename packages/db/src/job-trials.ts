/**
 * A job's trial: what one job came to in one run, for the views across runs
 * (`gator diff`, `gator history`). A job is the same job in every run of a
 * spec when its path (dotted idents below the root, as `gator logs JOB` takes
 * it) is the same. Outcomes are the run model's (docs/run-model.md), with
 * `flaky` for a job that passed only on a retry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LAYER_FILES, trialOutcome } from '@gator/protocol';
import { openLayerReader, type LayerReader } from './reader.js';
import { eachNode, loadRunModel, type NodeModel, type RunModel } from './run-model.js';
import type { JobTrial } from './job-trial.js';
import { recordedTrials, withOwnTimes } from './recorded-trials.js';
import { readRunEntry, type RunEntry } from './run-history.js';

export type { JobTrial } from './job-trial.js';

/** A run with its jobs' trials by path. */
export interface RunTrials {
  run: RunEntry;
  /**
   * Read from the tiers' records when they say it all (recorded-trials.ts): then
   * `started` and `duration` are the tier's clock, and `exact` gives the job's own.
   */
  jobs: Map<string, JobTrial>;
  /** The run model of the run (loaded on first use when the trials came from the tiers' records). */
  model: RunModel;
  /** The trial of `path` as the run model has it (its own clock); absent when `jobs` already is that. */
  exact?: (path: string) => JobTrial | undefined;
}

/** A job's path across runs: its idents below the root. */
export function trialPath(nodePath: readonly string[]): string {
  return nodePath.length > 1 ? nodePath.slice(1).join('.') : (nodePath[0] ?? '');
}

function num(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '' || text.trim().toLowerCase() === 'none') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** The trial of a job node of the run model (its seed read from its own attributes only when asked). */
export function trialOfNode(node: NodeModel, seed: string | null = null): JobTrial {
  const last = node.attempts[node.attempts.length - 1];
  const attempt = last ? last.attempt : node.started !== null ? 1 : null;
  return {
    path: trialPath(node.path),
    outcome: trialOutcome(node.outcome, attempt),
    kind: node.outcomeKind,
    reason: node.reason,
    duration: node.duration,
    attempt,
    seed,
    started: node.started,
  };
}

/**
 * Every job of the run at `runDir` by path: from its tiers' records when
 * they say exactly what its run model says (a finished Gator run: a few files
 * instead of one per job), else from its run model. Throws DatabaseError when
 * the root cannot be read.
 */
export function readRunTrials(runDir: string): RunTrials {
  const dir = path.resolve(runDir);
  const entry = readRunEntry(dir);
  const recorded = entry ? recordedTrials(dir) : undefined;
  if (entry && recorded) {
    const jobs = new Map<string, JobTrial>();
    for (const [p, r] of recorded) jobs.set(p, r.trial);
    let model: RunModel | undefined;
    return {
      run: entry,
      jobs,
      get model() {
        return (model ??= loadRunModel(dir));
      },
      exact: (p) => {
        const r = recorded.get(p);
        return r ? withOwnTimes(r) : undefined;
      },
    };
  }
  return readModelTrials(dir);
}

/** Every job of the run at `runDir` by path, from its run model (what readRunTrials must agree with). */
export function readModelTrials(runDir: string): RunTrials {
  const model = loadRunModel(runDir);
  const jobs = new Map<string, JobTrial>();
  for (const node of eachNode(model.root)) if (node.kind === 'job') jobs.set(trialPath(node.path), trialOfNode(node));
  const run = readRunEntry(model.tracking) ?? {
    dir: model.tracking,
    ident: model.ident,
    started: model.started,
    stopped: model.stopped,
    outcome: null,
    rerunOf: null,
  };
  return { run, jobs, model };
}

function withReader<T>(dbFile: string, fn: (reader: LayerReader) => T): T | undefined {
  let reader: LayerReader;
  try {
    reader = openLayerReader(dbFile);
  } catch {
    return undefined;
  }
  try {
    return fn(reader);
  } catch {
    return undefined;
  } finally {
    reader.close();
  }
}

/**
 * The job's own database in the run at `runDir`, found through the tiers'
 * ChildEntry rows along its path (only the tiers on the way are opened), or
 * undefined when the path is not there or leads outside the run.
 */
function jobDatabase(runDir: string, parts: readonly string[]): string | undefined {
  let dbFile = path.join(runDir, LAYER_FILES.db);
  for (const ident of parts) {
    const next = withReader(dbFile, (reader) => (reader.kind === 'tier' ? reader.child(ident) : undefined));
    if (!next || next.dbFile === '') return undefined;
    // A moved tree: the row names the old place; the run model's walk finds it.
    if (!next.dbFile.startsWith(`${runDir}${path.sep}`) || !fs.existsSync(next.dbFile)) return undefined;
    dbFile = next.dbFile;
  }
  return dbFile;
}

/**
 * One job's trial in the run at `runDir`: from its own database when it
 * recorded its end with an `outcome` (the newest contract: one file read),
 * else from the run model (older runs, jobs that never ran, dead runs).
 * Undefined when the run has no such job.
 */
export function readJobTrial(runDir: string, jobPath: string): JobTrial | undefined {
  const dir = path.resolve(runDir);
  const parts = jobPath.split('.').filter(Boolean);
  const dbFile = parts.length > 0 ? jobDatabase(dir, parts) : undefined;
  if (dbFile) {
    const fast = withReader(dbFile, (reader): JobTrial | undefined => {
      if (reader.kind !== 'wrapper') return undefined;
      const attrs = reader.attributes();
      const outcome = attrs.outcome;
      const stopped = num(attrs.stopped);
      if (stopped === null || !(outcome === 'passed' || outcome === 'failed' || outcome === 'lost' || outcome === 'stopped')) return undefined;
      const attempts = reader.attempts();
      const started = num(attrs.started);
      const attempt = attempts.length > 0 ? attempts[attempts.length - 1]!.attempt : 1;
      return {
        path: parts.join('.'),
        outcome: trialOutcome(outcome, attempt),
        kind: attrs.outcome_kind || null,
        reason: attrs.reason || null,
        duration: started !== null ? Math.max(0, stopped - started) : null,
        attempt,
        seed: attrs.seed ?? null,
        started,
      };
    });
    if (fast) return fast;
  }
  let model: RunModel;
  try {
    model = loadRunModel(dir);
  } catch {
    return undefined;
  }
  for (const node of eachNode(model.root)) {
    if (node.kind !== 'job' || trialPath(node.path) !== jobPath) continue;
    const seed = node.dbFile ? (withReader(node.dbFile, (r) => r.attribute('seed')) ?? null) : null;
    return trialOfNode(node, seed);
  }
  return undefined;
}

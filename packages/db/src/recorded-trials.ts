/**
 * A finished run's job trials from its tiers' own records, without opening
 * each job's database: every tier's ChildEntry rows (each child's result, its
 * times as the tier saw them, its database) and its `summary` (`failures`
 * with reason and kind, `retried` with the deciding attempt, `skipped` with
 * the reason, the `jobs` tally). A run of 10,000 jobs in tiers of 1,000 is
 * eleven files instead of 10,011.
 *
 * It gives what the run model (run-model.ts) gives, or nothing: whenever a
 * record cannot say (a live run, a Python or older tier without a `jobs`
 * tally, a capped failure list, a job that never reported its end, a subtree
 * that never started, a moved tree, a tally that does not add up), the caller
 * loads the run model instead. The one figure the parent does not hold is the
 * job's own clock: a ChildEntry row's times are the tier's (registration to
 * completion), a few milliseconds wider; `withOwnTimes` reads the job's database
 * for the jobs a view shows.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BUILTIN_METRICS, FAILURE_KINDS, JobResult, SummarySchema, trialOutcome, type Failure, type Summary } from '@gator/protocol';
import type { JobTrial } from './job-trial.js';
import { openLayerReader, type ChildRow, type LayerReader } from './reader.js';
import { skipKindOf } from './run-model.js';
import { DB_FILE_NAME } from './schema.js';

/** A job's trial as its tier recorded it, and where its own database is (null: it never wrote one). */
export interface RecordedTrial {
  trial: JobTrial;
  dbFile: string | null;
  entry: ChildRow;
}

/** Why the records cannot answer (internal: the caller falls back to the run model). */
class Unsure extends Error {}

function num(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '' || text.trim().toLowerCase() === 'none') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function parseSummary(text: string | undefined): Summary | null {
  if (!text) return null;
  try {
    const parsed = SummarySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}


/** The trial path of a job (trialPath of job-trials.ts, on idents from the root). */
function trialKey(nodePath: readonly string[]): string {
  return nodePath.length > 1 ? nodePath.slice(1).join('.') : (nodePath[0] ?? '');
}

function withTier<T>(dbFile: string, fn: (reader: LayerReader) => T): T {
  let reader: LayerReader;
  try {
    reader = openLayerReader(dbFile);
  } catch {
    throw new Unsure(`${dbFile} cannot be read`);
  }
  try {
    return fn(reader);
  } finally {
    reader.close();
  }
}

/** The database a ChildEntry row names, when it is where the row says, inside this tier's directory. */
function childDb(tierDir: string, entry: ChildRow): string | null {
  if (entry.dbFile === '' || !entry.dbFile.startsWith(`${tierDir}${path.sep}`)) return null;
  // existsSync, not a stat: 10,000 of these per run, and a directory named db.sqlite is no layer anyway.
  return fs.existsSync(entry.dbFile) ? entry.dbFile : null;
}

function failureKind(f: Failure): string | null {
  if (f.kind === undefined) throw new Unsure('a failure record without its kind');
  if (f.kind === 'lost') return null;
  if (!(FAILURE_KINDS as readonly string[]).includes(f.kind)) throw new Unsure(`a failure record of kind ${f.kind}`);
  return f.kind;
}

/** The trial of one job child of a tier, from the tier's row and roll-up. */
function jobFromRecords(tierDir: string, nodePath: string[], entry: ChildRow, summary: Summary, lists: Lists): RecordedTrial {
  const key = nodePath.join('.');
  const dbFile = childDb(tierDir, entry);
  // In trialOfNode's key order: the JSON of a diff is the same whichever way it was read.
  const trial = (outcome: JobTrial['outcome'], kind: string | null, reason: string | null, duration: number | null, attempt: number | null): JobTrial => ({
    path: trialKey(nodePath),
    outcome,
    kind,
    reason,
    duration,
    attempt,
    seed: null,
    started: entry.started,
  });
  if (dbFile === null) {
    // Never wrote a database: pruned, and the tier says why.
    const sk = lists.skipped.get(key);
    if (entry.result !== JobResult.ABORTED || !sk) throw new Unsure(`${key} never started and its tier does not say why`);
    if (entry.dbFile !== '' && !entry.dbFile.startsWith(`${tierDir}${path.sep}`)) throw new Unsure(`${key} is recorded outside its tier`);
    return { dbFile: null, entry, trial: trial('skipped', skipKindOf(sk.reason), sk.reason, null, null) };
  }
  if (entry.stopped === null || entry.started === null) throw new Unsure(`${key} has no recorded end`);
  const duration = Math.max(0, entry.stopped - entry.started);
  const failure = lists.failures.get(key);
  if (failure) {
    if (entry.result === JobResult.SUCCESS) throw new Unsure(`${key} passed and failed`);
    const attempt = failure.attempt ?? 1;
    const outcome = failure.kind === 'lost' ? 'lost' : 'failed';
    return { dbFile, entry, trial: trial(trialOutcome(outcome, attempt), failureKind(failure), failure.reason, duration, attempt) };
  }
  if (entry.result !== JobResult.SUCCESS) throw new Unsure(`${key} ended ${entry.result} without a failure record`);
  const retried = lists.retried.get(key);
  if (!retried && (summary.retried_dropped ?? 0) > 0) throw new Unsure(`the retried list of ${key}'s tier is capped`);
  const attempt = retried?.attempt ?? 1;
  return { dbFile, entry, trial: trial(trialOutcome('passed', attempt), null, attempt > 1 ? `passed on attempt ${attempt}` : null, duration, attempt) };
}

interface Lists {
  failures: Map<string, Failure>;
  retried: Map<string, { attempt: number }>;
  skipped: Map<string, { reason: string }>;
}

/** A tier's roll-up lists by the path from the root (its paths start at the tier's own ident). */
function listsOf(nodePath: string[], summary: Summary): Lists {
  const above = nodePath.slice(0, -1);
  const key = (p: readonly string[]) => [...above, ...p].join('.');
  return {
    failures: new Map((summary.failures ?? []).map((f) => [key(f.path), f])),
    retried: new Map((summary.retried ?? []).map((r) => [key(r.path), r])),
    skipped: new Map((summary.skipped ?? []).map((s) => [key(s.path), s])),
  };
}

/** What the records of one tier hold beyond its jobs' trials (recorded-run.ts builds the run model from them). */
export interface TierRecords {
  /** Idents from the root. */
  path: string[];
  dbFile: string;
  entries: ChildRow[];
  /** The metrics each child reported last, by the child's ident (its Metric scope in the tier), without Gator's tallies. */
  childMetrics: Map<string, Record<string, number>>;
}

/** Gator's built-in metrics that are not message counts (TierRecords.childMetrics leaves them out). */
const TALLY_METRICS = [...BUILTIN_METRICS.filter((m) => !m.startsWith('msg_')), 'jobs_total', 'jobs_passed', 'jobs_failed'];

/** Subdirectories of a tier's directory its rows do not account for (layers only the walk would find on disk). */
function unclaimedDirs(tierDir: string, entries: readonly ChildRow[]): boolean {
  const prefix = `${tierDir}${path.sep}`;
  // By slicing, not path.relative: 1,000 rows per tier (a row outside the tier is no layer of it).
  const claimed = new Set(entries.map((e) => (e.dbFile.startsWith(prefix) ? e.dbFile.slice(prefix.length).split(path.sep, 1)[0] : '')));
  try {
    return fs.readdirSync(tierDir, { withFileTypes: true }).some((d) => d.isDirectory() && !claimed.has(d.name));
  } catch {
    return true;
  }
}

/**
 * Reads the tier at `dbFile` and its sub-tiers into `out` (and, with `tiers`,
 * what each tier holds besides); returns how many jobs its tally should count.
 */
function readTier(dbFile: string, nodePath: string[], out: Map<string, RecordedTrial>, tiers?: TierRecords[]): number {
  const { summary, entries } = withTier(dbFile, (reader) => {
    if (reader.kind !== 'tier') throw new Unsure(`${dbFile} is not a tier`);
    const attrs = reader.attributes();
    if (num(attrs.stopped) === null) throw new Unsure(`${dbFile} never recorded its end`);
    const entries = reader.children();
    // The counts of children, not Gator's other built-in metrics: half the rows of a big tier.
    if (tiers) tiers.push({ path: nodePath, dbFile, entries, childMetrics: reader.metricsByScope(TALLY_METRICS) });
    return { summary: parseSummary(attrs.summary), entries };
  });
  if (!summary?.jobs) throw new Unsure(`${dbFile} has no job tally`);
  if ((summary.failures_dropped ?? 0) > 0) throw new Unsure(`${dbFile} capped its failure list`);
  const tierDir = path.dirname(dbFile);
  if (tiers && unclaimedDirs(tierDir, entries)) throw new Unsure(`${tierDir} holds layers its records do not name`);
  const lists = listsOf(nodePath, summary);
  let counted = 0;
  for (const entry of entries) {
    const childPath = [...nodePath, entry.ident];
    if (entry.expectedChildren > 0) {
      const sub = childDb(tierDir, entry);
      if (sub === null) throw new Unsure(`${childPath.join('.')} never started`);
      counted += readTier(sub, childPath, out, tiers);
      continue;
    }
    const recorded = jobFromRecords(tierDir, childPath, entry, summary, lists);
    const key = recorded.trial.path;
    if (out.has(key)) throw new Unsure(`${key} is listed twice`);
    out.set(key, recorded);
    // A rerun's unselected jobs are jobs of the tree but not of its tally (as in the run model).
    if (recorded.trial.kind !== 'not_selected') counted += 1;
  }
  // A child the rows call a job may be an empty group, a job may be on disk only: the tally tells.
  if (counted !== summary.jobs.total) throw new Unsure(`${dbFile}: ${counted} jobs recorded, its tally says ${summary.jobs.total}`);
  return counted;
}

/**
 * The jobs of the finished run whose root database is in `runDir`, by trial
 * path, from its tiers' records; undefined when those cannot say exactly what
 * the run model would (see the file's comment). With `tiers`, every tier's
 * records are listed there too, root first, and a tier directory holding a
 * layer its rows do not name (which the run model would find on disk) makes
 * it undefined.
 */
export function recordedTrials(runDir: string, tiers?: TierRecords[]): Map<string, RecordedTrial> | undefined {
  const root = path.join(runDir, DB_FILE_NAME);
  try {
    const ident = withTier(root, (reader) => reader.attribute('ident')) || path.basename(runDir);
    const out = new Map<string, RecordedTrial>();
    readTier(root, [ident], out, tiers);
    return out;
  } catch {
    // Unsure, or a record that does not read as it should: the run model says what it can of it.
    return undefined;
  }
}

/**
 * The job's own start and duration (the run model's clock: its database's
 * `started` / `stopped`, else the tier's row), for a trial read from records.
 */
export function withOwnTimes(recorded: RecordedTrial): JobTrial {
  if (recorded.dbFile === null) return recorded.trial;
  const attrs: Record<string, string> = {};
  // Two attributes of a file known to be there: a bare connection, not a LayerReader (its schema
  // scan, pragma and functions are most of the cost of the few hundred jobs a diff shows).
  let db: Database.Database | undefined;
  try {
    db = new Database(recorded.dbFile, { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT name, value FROM Attribute WHERE name IN ('started', 'stopped') ORDER BY db_uid").all() as { name: unknown; value: unknown }[];
    // The last row of a name wins, as in LayerReader.attributes().
    for (const row of rows) attrs[String(row.name)] = row.value === null || row.value === undefined ? '' : String(row.value);
  } catch {
    return recorded.trial;
  } finally {
    db?.close();
  }
  const started = num(attrs.started) ?? recorded.entry.started;
  const stopped = num(attrs.stopped) ?? recorded.entry.stopped;
  const duration = started !== null && stopped !== null ? Math.max(0, stopped - started) : null;
  return { ...recorded.trial, started, duration };
}

/**
 * A run's history as the hub knows it (`GET /api/job/<uid>/history[?path=JOB]`):
 * the runs of the same spec among the runs registered here (their root
 * databases' directories), what changed against the run before it
 * (`diffRuns`), and, with `path`, one job across them (`jobHistory`). The
 * reading is @gator/db's, the same as `gator diff` and `gator history`.
 */
import path from 'node:path';
import { diffRuns, jobHistory, readRunTrials, runHistory, type JobHistory, type RunDiff, type RunEntry } from '@gator/db';
import { HubError } from './errors.js';
import type { HubRepository, RunRecord } from './repository/index.js';

export interface HubHistory {
  /** The runs of the spec up to this one, oldest first, with their hub uid when registered here. */
  runs: (RunEntry & { uid: number | null })[];
  /** This run against the one before it (null for the first run of the spec). */
  diff: RunDiff | null;
  job?: JobHistory;
}

function rootDir(run: RunRecord): string | undefined {
  const db = run.completion?.dbFile || run.dbFile;
  return db ? path.dirname(db) : undefined;
}

/** The runs of the run's spec registered here, up to and including it (oldest first), with their uids. */
export async function specRuns(repo: HubRepository, run: RunRecord): Promise<HubHistory['runs']> {
  const dir = rootDir(run);
  if (!dir) throw new HubError('GATOR_HUB_NOT_FOUND', `Run #${run.uid} told the hub no database, so its history cannot be read`);
  // Registered runs of the same root ident (the spec), wherever their tracking directories are.
  const page = await repo.list({ q: run.ident, limit: 1000, after: 0, before: 0, state: 'all' });
  const uidOf = new Map<string, number>();
  for (const r of page.runs) {
    const d = r.ident === run.ident ? rootDir(r) : undefined;
    if (d) uidOf.set(path.resolve(d), r.uid);
  }
  const runs = runHistory(dir, { candidates: uidOf.keys(), upTo: true });
  if (runs.length === 0) throw new HubError('GATOR_HUB_NOT_FOUND', `The files of run #${run.uid} cannot be read here (${dir})`);
  return runs.map((r) => ({ ...r, uid: uidOf.get(r.dir) ?? (r.dir === path.resolve(dir) ? run.uid : null) }));
}

export async function hubHistory(repo: HubRepository, run: RunRecord, jobPath: string | undefined): Promise<HubHistory> {
  const runs = await specRuns(repo, run);
  const previous = runs.length >= 2 ? runs[runs.length - 2]! : undefined;
  const diff = previous ? diffRuns(readRunTrials(previous.dir), readRunTrials(runs[runs.length - 1]!.dir)) : null;
  return {
    runs,
    diff,
    ...(jobPath ? { job: jobHistory(runs, jobPath) } : {}),
  };
}

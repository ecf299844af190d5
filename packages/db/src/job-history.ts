/**
 * One job across the runs of its spec (`gator history JOB_PATH`): its trial in
 * each run, newest first, and its flake rate. Each run is read through the
 * job's own database (job-trials.ts), not loaded whole.
 */
import { isBadTrial } from '@gator/protocol';
import { readJobTrial, type JobTrial } from './job-trials.js';
import type { RunEntry } from './run-history.js';

export interface JobHistoryRow {
  run: RunEntry;
  trial: JobTrial;
}

export interface JobHistory {
  path: string;
  /** Newest first: the runs that have the job. */
  rows: JobHistoryRow[];
  /** Runs looked at (the job may be missing from some). */
  runs: number;
  /** Of the rows where the job ran (passed, flaky or failed): how many were flaky, passed, failed. */
  ran: number;
  flaky: number;
  passed: number;
  failed: number;
  /** flaky / ran (0 when it never ran). */
  flakeRate: number;
}

/** The job at `jobPath` in the newest `limit` runs of `runs` (oldest first, as runHistory gives them). */
export function jobHistory(runs: readonly RunEntry[], jobPath: string, options: { limit?: number } = {}): JobHistory {
  const newestFirst = [...runs].reverse().slice(0, options.limit ?? 20);
  const rows: JobHistoryRow[] = [];
  for (const run of newestFirst) {
    const trial = readJobTrial(run.dir, jobPath);
    if (trial) rows.push({ run, trial });
  }
  let ran = 0;
  let flaky = 0;
  let passed = 0;
  let failed = 0;
  for (const { trial } of rows) {
    if (trial.outcome === 'flaky') flaky += 1;
    else if (trial.outcome === 'passed') passed += 1;
    else if (isBadTrial(trial.outcome)) failed += 1;
    else continue;
    ran += 1;
  }
  return { path: jobPath, rows, runs: newestFirst.length, ran, flaky, passed, failed, flakeRate: ran > 0 ? flaky / ran : 0 };
}

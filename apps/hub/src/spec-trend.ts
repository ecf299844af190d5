/**
 * A spec's pass rate over time (`GET /api/job/<uid>/trend`): the runs of the
 * run's spec registered with the hub (run-history's listing, the same runs
 * `/history` gives), up to and including it, each with its verdict and its
 * jobs by outcome: the headline the runs list shows (run-tallies.ts: a
 * finished run's from its root's attributes, else from its run model).
 * At most the newest MAX_TREND_RUNS runs are read.
 */
import type { JobTally, RunOutcome } from '@gator/protocol';
import type { HubRepository, RunRecord } from './repository/index.js';
import { specRuns } from './run-history.js';
import type { RunHeadline } from './run-tallies.js';

export const MAX_TREND_RUNS = 60;

export interface SpecTrendPoint {
  uid: number | null;
  /** Unix seconds. */
  started: number | null;
  stopped: number | null;
  /** The run's verdict (null when its files cannot be read from here). */
  outcome: RunOutcome | null;
  jobs: JobTally | null;
  /** passed / (jobs that ran: passed, failed, lost, stopped); null when none ran. */
  passRate: number | null;
}

export interface SpecTrend {
  ident: string;
  /** Oldest first. */
  points: SpecTrendPoint[];
  /** Runs of the spec before the first point that were left out. */
  omitted: number;
}

export async function specTrend(repo: HubRepository, run: RunRecord, talliesOf: (run: RunRecord) => RunHeadline | undefined): Promise<SpecTrend> {
  const runs = await specRuns(repo, run);
  const shown = runs.slice(-MAX_TREND_RUNS);
  const points: SpecTrendPoint[] = [];
  for (const r of shown) {
    const record = r.uid !== null ? await repo.get(r.uid) : undefined;
    const tallies = record ? talliesOf(record) : undefined;
    const jobs = tallies?.jobs ?? null;
    const ran = jobs ? jobs.passed + jobs.failed + jobs.lost + jobs.stopped : 0;
    points.push({
      uid: r.uid,
      started: r.started,
      stopped: r.stopped,
      outcome: tallies ? (tallies.interrupted ? 'interrupted' : tallies.outcome) : r.outcome,
      jobs,
      passRate: jobs && ran > 0 ? jobs.passed / ran : null,
    });
  }
  return { ident: run.ident, points, omitted: runs.length - shown.length };
}

/** Registered runs as the API shows them (Python's ApiJob shape of `GET /api/jobs`, plus extensions). */
import type { ApiJob, RunOutcome, Summary } from '@gator/protocol';
import type { RunRecord } from './repository/index.js';
import type { RunHeadline } from './run-tallies.js';

/** A run without a heartbeat for this long, and not completed, is shown as silent. */
export const STALE_AFTER_S = 60;

export interface RunJob extends ApiJob {
  layer: string;
  /** Last heartbeat, Unix seconds. */
  heartbeat: number | null;
  live: boolean;
  /** Live, but no heartbeat for STALE_AFTER_S seconds: the run may have died. */
  stale: boolean;
  /**
   * Gator extensions of the last summary (failure buckets, skipped/lost counts), when sent;
   * `jobs`: the run's jobs by outcome (tiers never counted), from the heartbeats while it runs
   * and from the run model (its files) once it is over.
   */
  summary: Pick<Summary, 'buckets' | 'sub_skipped' | 'sub_lost' | 'jobs'> & { failures?: number };
  /** The run model's verdict (passed, failed, stopped, running, interrupted), when its files are readable here. */
  outcome?: RunOutcome;
  /** Interrupted runs: when it was last heard of (Unix seconds). */
  last_heard?: number | null;
}

/** `tallies`: the run's headline (TreeService.runHeadline: its verdict and jobs), when its files are readable here. */
export function runJob(run: RunRecord, now = Date.now() / 1000, tallies?: RunHeadline): RunJob {
  const stopped = run.completion ? run.completion.timestamp : null;
  const live = run.completion === null;
  const s = run.summary;
  return {
    uidx: run.uid,
    root: run.uid,
    path: [],
    ident: run.ident,
    owner: run.owner,
    status: live ? 2 : 3,
    metrics: run.metrics,
    server_url: run.serverUrl,
    db_file: run.completion?.dbFile ?? '',
    started: run.timestamp,
    stopped,
    updated: stopped ?? run.timestamp,
    result: run.completion?.result ?? 0,
    children: [],
    // Python's hub sends a boolean here (whether the root is a tier): kept for its UI.
    expected_children: run.layer === 'tier',
    layer: run.layer,
    heartbeat: run.heartbeat,
    live,
    stale: live && (tallies?.interrupted === true || now - (run.heartbeat ?? run.timestamp) > STALE_AFTER_S),
    ...(tallies ? { outcome: tallies.outcome } : {}),
    ...(tallies?.interrupted ? { last_heard: tallies.lastHeard } : {}),
    summary: {
      ...jobsOf(run, tallies),
      ...(s?.buckets ? { buckets: s.buckets.slice(0, 5) } : {}),
      ...(s?.sub_skipped !== undefined ? { sub_skipped: s.sub_skipped } : {}),
      ...(s?.sub_lost !== undefined ? { sub_lost: s.sub_lost } : {}),
      ...(s?.failures ? { failures: s.failures.length } : {}),
    },
  };
}

/** `GET /api/job/<uid>`: Python's registration row (never the token) and metric rows. */
export function registrationRow(run: RunRecord) {
  return {
    result: 'success' as const,
    job: {
      uid: run.uid,
      layer: run.layer,
      ident: run.ident,
      server_url: run.serverUrl,
      owner: run.owner,
      timestamp: run.timestamp,
      completion: run.completion ? run.completion.uid : null,
    },
    metrics: Object.entries(run.metrics).map(([name, value]) => ({ registration: run.uid, name, value })),
    completion: run.completion ? { uid: run.completion.uid, db_file: run.completion.dbFile, timestamp: run.completion.timestamp, result: run.completion.result } : null,
  };
}

/** A live run's own latest tally (heartbeats) is newer than its files; a finished run's files are the truth. */
function jobsOf(run: RunRecord, tallies: RunHeadline | undefined): Pick<Summary, 'jobs'> {
  const fromFiles = tallies?.jobs ?? undefined;
  const fromHeartbeat = run.summary?.jobs;
  const jobs = run.completion === null ? (fromHeartbeat ?? fromFiles) : (fromFiles ?? fromHeartbeat);
  return jobs ? { jobs } : {};
}

/** Registered runs as the API shows them (Python's ApiJob shape of `GET /api/jobs`, plus extensions). */
import type { ApiJob, Summary } from '@gator/protocol';
import type { RunRecord } from './repository/index.js';

/** A run without a heartbeat for this long, and not completed, is shown as silent. */
export const STALE_AFTER_S = 60;

export interface RunJob extends ApiJob {
  layer: string;
  /** Last heartbeat, Unix seconds. */
  heartbeat: number | null;
  live: boolean;
  /** Live, but no heartbeat for STALE_AFTER_S seconds: the run may have died. */
  stale: boolean;
  /** Gator extensions of the last summary (failure buckets, skipped/lost counts), when sent. */
  summary: Pick<Summary, 'buckets' | 'sub_skipped' | 'sub_lost'> & { failures?: number };
}

export function runJob(run: RunRecord, now = Date.now() / 1000): RunJob {
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
    stale: live && now - (run.heartbeat ?? run.timestamp) > STALE_AFTER_S,
    summary: {
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

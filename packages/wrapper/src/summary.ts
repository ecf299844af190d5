/**
 * What the wrapper reports about its job (heartbeats, the final report,
 * `resolve`, the `_OWN_`/`_GROUP_` metric rows): one pure function of where
 * the job stands.
 */
import { BUILTIN_METRICS, type Failure, JobResult, type MessageCounts, type Summary, tallyOf } from '@gator/protocol';
import { FAILURE_ERROR_LINES } from './message-log.js';
import { failureSignature } from './signature.js';
import type { Standing } from './verdict.js';

/** Metric names a job cannot set through the API. */
const BUILTIN = new Set<string>([...BUILTIN_METRICS, 'jobs_passed', 'jobs_failed']);

export interface JobSnapshot {
  ident: string;
  tracking: string;
  /** Messages of every attempt. */
  totals: MessageCounts;
  /** Metrics the job set through the API (last value wins). */
  metrics: ReadonlyMap<string, number>;
  standing: Standing;
  /** The verdict is taken. */
  done: boolean;
  attempt: { number: number; running: boolean; startedAt: number | undefined; errors: readonly string[] };
  /** The job may run more than once (`retries`). */
  retries: boolean;
}

export function jobSummary(job: JobSnapshot): Summary {
  const { done, attempt: a } = job;
  const { result, reason } = job.standing;
  const passed = done && result === JobResult.SUCCESS ? 1 : 0;
  const failed = done && result !== JobResult.SUCCESS ? 1 : 0;
  // A job stopped by the user (ABORTED) did not fail: it is not a job failure, though Python's sub_failed counts it.
  const jobFailed = done && result === JobResult.FAILURE ? 1 : 0;
  const metrics: Record<string, number> = {
    sub_total: 1,
    sub_active: done ? 0 : 1,
    sub_passed: passed,
    sub_failed: failed,
    ...job.totals.metrics(),
    // Jobs only (sub_* count tiers too), after Python's nine: summed up the tree
    // like every metric, so the root can say "3 of 5 jobs passed".
    jobs_passed: passed,
    jobs_failed: jobFailed,
  };
  for (const [name, value] of job.metrics) if (!BUILTIN.has(name)) metrics[name] = value;
  const outcome = job.standing.outcome ?? (result === JobResult.SUCCESS ? 'passed' : 'failed');
  const summary: Summary = {
    metrics,
    failed_ids: result === JobResult.FAILURE ? [[job.ident]] : [],
    running_ids: a.running ? [[job.ident]] : [],
    // The one job, by outcome (run-model.md): pending until its process runs (or between attempts).
    jobs: tallyOf(done ? outcome : a.running ? 'running' : 'pending'),
  };
  if (a.running && a.startedAt !== undefined) summary.running_since = [a.startedAt];
  if (result === JobResult.FAILURE) {
    const why = reason ?? 'failed';
    const signature = failureSignature(a.errors[0] ?? why);
    const failure: Failure = { path: [job.ident], reason: why, errors: a.errors.slice(0, FAILURE_ERROR_LINES), log: job.tracking, signature };
    if (job.retries) failure.attempt = a.number;
    // Why (a FailureKind); a job that was lost or stopped says so instead.
    const kind = job.standing.kind ?? (done && outcome !== 'failed' ? outcome : undefined);
    if (kind) failure.kind = kind;
    summary.failures = [failure];
    // This job's share of its ancestors' failure buckets (they add these up).
    summary.buckets = [{ signature, count: 1, examples: [[job.ident]] }];
  }
  // So the root can say "passed on attempt 2" (it only ever sees summaries).
  if (a.number > 1) summary.retried = [{ path: [job.ident], attempt: a.number, result }];
  if (job.metrics.size > 0) {
    const stats: NonNullable<Summary['stats']> = {};
    for (const [name, value] of job.metrics) stats[name] = { count: 1, sum: value, min: value, max: value };
    summary.stats = stats;
  }
  return summary;
}

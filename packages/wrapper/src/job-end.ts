/**
 * The job's end as the live stream tells it (protocol.md "Job ends"): one
 * record, sent with the final report, so the root prints each job once with
 * its real outcome instead of guessing it from two summaries. Pure.
 */
import type { JobEnd, Summary } from '@gator/protocol';
import type { JobVerdict } from './verdict.js';

export interface JobEndFacts {
  ident: string;
  verdict: JobVerdict;
  /** The user's stop (the parent's `stop`, a signal at the root) decided the job. */
  stopped: boolean;
  /** The job's process was started at least once. */
  started: boolean;
  attempt: number;
  /** The job may run more than once (`retries`): the attempt is told. */
  retries: boolean;
  /** The final summary (its failure record's kind and signature, when it has them). */
  summary: Summary;
  at: number;
}

export function jobEnd(facts: JobEndFacts): JobEnd {
  const { verdict } = facts;
  const base = { path: [facts.ident], at: facts.at, ...(facts.retries || facts.attempt > 1 ? { attempt: facts.attempt } : {}) };
  // The parent's stop says only "stopped": no reason worth repeating then.
  if (facts.stopped || verdict.outcome === 'stopped') return { ...base, outcome: 'stopped', ...(verdict.reason && verdict.reason !== 'stopped' ? { reason: verdict.reason } : {}) };
  if (verdict.outcome === 'passed') return { ...base, outcome: 'passed', ...(verdict.reason ? { reason: verdict.reason } : {}) };
  if (verdict.outcome === 'lost') return { ...base, outcome: 'lost', reason: verdict.reason ?? 'lost' };
  const record = facts.summary.failures?.[0];
  // The verdict's kind (verdict.ts) is the one the attributes and the failure record carry.
  const kind = verdict.kind ?? record?.kind ?? (facts.started ? 'errors' : 'launch');
  return {
    ...base,
    outcome: 'failed',
    kind,
    reason: verdict.reason ?? 'failed',
    ...(record?.signature ? { signature: record.signature } : {}),
  };
}

/**
 * Pass or fail (the design: "no error messages and a zero exit code"), as
 * pure functions: of one attempt from how it ended and its message counts,
 * and of the job from its last attempt and what failed around it.
 */
import os from 'node:os';
import { type CountedSeverity, type FailureKind, type LayerLimits, JobResult, type MessageCounts, exceededLimits } from '@gator/protocol';
import { plural } from './message-log.js';

export interface AttemptVerdict {
  passed: boolean;
  /** The job's exit code, `-signo` when killed by a signal, 255 when stopped or not started. */
  code: number;
  reason: string | undefined;
  /** Worth another attempt (`retries`): not when stopped on purpose. */
  retryable: boolean;
  /** Why it failed (run-model.md); absent when it passed or was stopped on purpose. */
  kind?: FailureKind | undefined;
}

/** How one attempt ended. */
export type AttemptEnd =
  /** The job's main process exited; `violations` are the limits its messages went over. */
  | { kind: 'exited'; code: number | null; signal: string | null; violations?: string | undefined }
  /** Stopped by the wrapper (a stop, the parent gone, a timeout, a hang); `failure` says why when it is the job's fault. */
  | { kind: 'stopped'; reason: string; retryable: boolean; failure?: FailureKind | undefined }
  /** The job could not be started. */
  | { kind: 'not-started'; reason: string };

/** The verdict of an attempt that never ran (the job failed before it). */
export const NOT_RUN: AttemptVerdict = { passed: false, code: 255, reason: undefined, retryable: false, kind: 'launch' };

/** How a job ends, from the wrapper's side (`skipped` is only ever decided by its tier). */
export type WrapperJobOutcome = 'passed' | 'failed' | 'lost' | 'stopped';

export interface JobVerdict {
  result: JobResult;
  code: number;
  reason: string | undefined;
  /** The job's final outcome (run-model.md), recorded as the `outcome` attribute. */
  outcome: WrapperJobOutcome;
  /** Why it failed (`outcome_kind`), when it failed. */
  kind?: FailureKind | undefined;
}

function signalNumber(signal: string): number {
  return (os.constants.signals as Record<string, number>)[signal] ?? 0;
}

/** `1 ERROR message (limit 0): <first error line>` for every limit the counts exceed. */
export function limitViolations(
  tally: { counts: Pick<MessageCounts, CountedSeverity>; first: Partial<Record<CountedSeverity, string>> },
  limits: LayerLimits,
): string | undefined {
  const out = exceededLimits(tally.counts, limits).map(
    (bucket) => `${plural(tally.counts[bucket], `${bucket.toUpperCase()} message`)} (limit ${limits[bucket]}): ${tally.first[bucket] ?? ''}`,
  );
  return out.length > 0 ? out.join('; ') : undefined;
}

/** Verdict of one finished attempt (before the wrapper's own `Job failed` line is logged). */
export function judgeAttempt(end: AttemptEnd): AttemptVerdict {
  if (end.kind === 'stopped') {
    const verdict: AttemptVerdict = { passed: false, code: 255, reason: end.reason, retryable: end.retryable };
    if (end.failure) verdict.kind = end.failure;
    return verdict;
  }
  if (end.kind === 'not-started') return { passed: false, code: 255, reason: end.reason, retryable: true, kind: 'launch' };
  const { code, signal } = end;
  const exitCode = code ?? (signal ? -signalNumber(signal) : 255);
  const reasons: string[] = [];
  if (code !== 0) reasons.push(signal ? `killed by ${signal}` : `exited with code ${exitCode}`);
  if (end.violations) reasons.push(end.violations);
  const reason = reasons.length > 0 ? reasons.join('; ') : undefined;
  if (reason === undefined) return { passed: true, code: exitCode, reason, retryable: true };
  // The exit code is the first reason given, so it is the kind too.
  return { passed: false, code: exitCode, reason, retryable: true, kind: code !== 0 ? 'exit' : 'errors' };
}

/**
 * The job's result from its last attempt: a failure outside the job
 * (`fatalReason`: the store, the parent, the command) wins, with 255 when no
 * process was started; a pass after retries says on which attempt.
 *
 * The outcome: a job whose parent went away is `lost` (its tier is gone or
 * gives it up too); one stopped on purpose (not by its timeout or a hang) is
 * `stopped`; a failure outside the job is `launch` when the job never
 * started, else `errors` (the wrapper's own error, e.g. its database); every
 * other failure has its attempt's kind.
 */
export function judgeJob(
  last: AttemptVerdict,
  job: { attempt: number; started: boolean; fatalReason?: string | undefined; parentLost?: boolean },
): JobVerdict {
  if (job.fatalReason) {
    const code = job.started ? last.code : 255;
    if (job.parentLost) return { result: JobResult.FAILURE, code, reason: job.fatalReason, outcome: 'lost' };
    return { result: JobResult.FAILURE, code, reason: job.fatalReason, outcome: 'failed', kind: job.started ? (last.kind ?? 'errors') : 'launch' };
  }
  if (last.passed) return { result: JobResult.SUCCESS, code: last.code, reason: job.attempt > 1 ? `passed on attempt ${job.attempt}` : undefined, outcome: 'passed' };
  if (!last.kind) return { result: JobResult.FAILURE, code: last.code, reason: last.reason ?? 'stopped', outcome: 'stopped' };
  return { result: JobResult.FAILURE, code: last.code, reason: last.reason ?? 'failed', outcome: 'failed', kind: last.kind };
}

/** What the job stands at while it runs (what heartbeats carry) and why it fails, when it does. */
export interface Standing {
  result: JobResult;
  reason: string | undefined;
  /** Once judged: the final outcome and why it failed. */
  outcome?: WrapperJobOutcome | undefined;
  kind?: FailureKind | undefined;
}

/**
 * Final once judged; before that FAILURE as soon as the job cannot pass any
 * more (a failure outside it, or its last attempt over a limit), else UNKNOWN.
 */
export function standing(job: {
  final?: JobVerdict | undefined;
  fatalReason?: string | undefined;
  failingEarly: boolean;
  violations: () => string | undefined;
}): Standing {
  const { final } = job;
  if (final) return { result: final.result, reason: final.reason, outcome: final.outcome, ...(final.kind ? { kind: final.kind } : {}) };
  const result = job.fatalReason || job.failingEarly ? JobResult.FAILURE : JobResult.UNKNOWN;
  if (result !== JobResult.FAILURE) return { result, reason: undefined };
  const reason = job.fatalReason ?? job.violations() ?? 'failed';
  // Over its limits on its last attempt: it fails by its errors, whatever else happens.
  return job.fatalReason ? { result, reason } : { result, reason, kind: 'errors' };
}

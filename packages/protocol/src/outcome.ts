/**
 * The one model of what a run's numbers are (docs/run-model.md). Every view of
 * a run (the live lines, the final summary, `gator show`, `gator logs`, the
 * exports, the hub and the root's database) counts with these definitions and
 * judges with `runVerdict`, so no two views can disagree:
 *
 * - a job is a `!Job`; tiers (`!JobGroup`, `!JobArray`) are never counted;
 * - each job ends in exactly one final outcome: passed, failed (with a
 *   `FailureKind`), lost, skipped (with a `SkipKind`) or stopped;
 * - a job's message counts are its own messages; Gator's notices (why a job
 *   failed, why one was skipped) are kept apart and never count against limits.
 */
import { z } from 'zod';
import { lazySchema } from './lazy.js';

/** Every state a job can be in, the final ones first. */
export const JOB_OUTCOMES = ['passed', 'failed', 'lost', 'skipped', 'stopped', 'running', 'pending'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];
/** The outcomes a job ends in (the live stream reports each job once, with one of these). */
export const FINAL_OUTCOMES = ['passed', 'failed', 'lost', 'skipped', 'stopped'] as const;
export type FinalOutcome = (typeof FINAL_OUTCOMES)[number];

/**
 * A job's result across runs (`gator diff`, `gator history`): its final
 * outcome, with `flaky` for a job that passed only on a retry (its deciding
 * attempt > 1). Flaky keeps the meaning of passed everywhere a run is judged
 * (the tally counts it as passed, `runVerdict` lets it pass); it is told apart
 * so a regression's owner sees it, and so a flake rate can be counted.
 */
export const TRIAL_OUTCOMES = ['passed', 'flaky', 'failed', 'lost', 'skipped', 'stopped', 'running', 'pending'] as const;
export type TrialOutcome = (typeof TRIAL_OUTCOMES)[number];

/** A job's trial outcome: `flaky` when it passed on attempt 2 or later, else its outcome. */
export function trialOutcome(outcome: JobOutcome, attempt: number | null | undefined): TrialOutcome {
  return outcome === 'passed' && attempt !== null && attempt !== undefined && attempt > 1 ? 'flaky' : outcome;
}

/** Did not pass (a failure of the job, for diff and flake counting): failed or lost. */
export function isBadTrial(outcome: TrialOutcome): boolean {
  return outcome === 'failed' || outcome === 'lost';
}

/**
 * Why a job failed: its exit code, its error messages over the limits, its time
 * limit, no sign of life (hang), its message budget, or it could not be started.
 */
export const FAILURE_KINDS = ['exit', 'errors', 'timeout', 'hang', 'budget', 'launch'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * Why a job never ran: a dependency rule did not let it (`on_pass` of a failed
 * job, `on_fail` of a passed one), the run was stopped first, or
 * `--rerun-failed` did not select it. None of them fails the run by itself.
 */
export const SKIP_KINDS = ['dependency', 'stopped', 'not_selected'] as const;
export type SkipKind = (typeof SKIP_KINDS)[number];

/**
 * What one of Gator's notices (the layer's GatorNotice rows) tells: a job's end
 * that is not a pass, children skipped, or a problem of the layer itself.
 * Notices are never messages: never counted, never against limits.
 */
export const NOTICE_KINDS = ['failed', 'lost', 'stopped', 'skipped', 'problem'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** Jobs of a subtree by outcome (Gator extension of the summary: `jobs`). `total` is their sum. */
export const JobTallySchema = lazySchema(() => {
  const count = z.number().int().nonnegative();
  return z.object({
    total: count,
    passed: count,
    failed: count,
    lost: count,
    skipped: count,
    stopped: count,
    running: count,
    pending: count,
  });
});
export type JobTally = z.infer<typeof JobTallySchema>;

export function emptyTally(): JobTally {
  return { total: 0, passed: 0, failed: 0, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 };
}

/** The tally of one job. */
export function tallyOf(outcome: JobOutcome, jobs = 1): JobTally {
  const tally = emptyTally();
  tally.total = jobs;
  tally[outcome] = jobs;
  return tally;
}

/** Add `from` into `into` (returns `into`). */
export function addTally(into: JobTally, from: JobTally): JobTally {
  for (const key of Object.keys(into) as (keyof JobTally)[]) into[key] += from[key];
  return into;
}

/**
 * One job's end, as the live stream shows it (Gator extension of the summary:
 * `ends`, the ends since the previous update). A tier passes its children's
 * ends up with its own next update, so the root sees every job end exactly
 * once, however short the job.
 */
export const JobEndSchema = lazySchema(() =>
  z.looseObject({
    /** Idents from the layer that reports it (its own ident first). */
    path: z.array(z.string()),
    outcome: z.enum(FINAL_OUTCOMES),
    /** FailureKind of a failed job, SkipKind of a skipped one. */
    kind: z.string().optional(),
    reason: z.string().optional(),
    /** The attempt that decided (jobs with `retries`). */
    attempt: z.number().int().optional(),
    /** Masked signature of a failed job's first error (its failure bucket), so the live stream can group failures. */
    signature: z.string().optional(),
    /** Unix seconds. */
    at: z.number(),
  }),
);
export type JobEnd = z.infer<typeof JobEndSchema>;

/** What a whole run (or a subtree) comes to. */
export const RUN_OUTCOMES = ['passed', 'failed', 'stopped', 'running', 'interrupted'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export interface RunVerdict {
  outcome: RunOutcome;
  /** The exit status of `gator run` (null while running). */
  exit: 0 | 1 | 130 | null;
  /** Why, in words (empty when it passed). */
  reason: string;
}

export interface VerdictFacts {
  tally: JobTally;
  /** The user stopped the run (Ctrl-C, SIGTERM, `stop`). */
  stopped?: boolean;
  /** The root is gone without recording its end. */
  interrupted?: boolean;
  /** Problems of the run's own, not of a job: an exceeded budget, a database error. */
  problems?: readonly string[];
}

function plural(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}

/**
 * The verdict rule (docs/run-model.md): a run that was stopped is `stopped`
 * (exit 130); one whose root died is `interrupted`; otherwise it fails (exit 1)
 * when any job failed, was lost or was stopped, or the run has a problem of its own, and
 * passes (exit 0) otherwise. Skipped jobs never fail a run by themselves: a job
 * skipped because its dependency failed is already accounted for by that
 * failure, and a triage job (`on_fail`) skipped because its build passed is the
 * dependency doing its job.
 */
export function runVerdict(facts: VerdictFacts): RunVerdict {
  const { tally } = facts;
  const problems = facts.problems ?? [];
  const parts: string[] = [];
  if (tally.failed > 0) parts.push(`${plural(tally.failed, 'job')} failed`);
  if (tally.lost > 0) parts.push(`${plural(tally.lost, 'job')} lost`);
  // A job stopped while the user did not stop the run (its wrapper signalled by someone else, or by
  // the job itself) did not pass: it must not let the run pass.
  if (tally.stopped > 0 && !facts.stopped) parts.push(`${plural(tally.stopped, 'job')} stopped`);
  parts.push(...problems);
  if (facts.stopped) return { outcome: 'stopped', exit: 130, reason: ['stopped by the user', ...parts].join('; ') };
  if (facts.interrupted) return { outcome: 'interrupted', exit: null, reason: ['the run ended without recording its end', ...parts].join('; ') };
  // Not over yet: what failed so far is said, but the verdict is not final.
  if (tally.running + tally.pending > 0) return { outcome: 'running', exit: null, reason: parts.join('; ') };
  if (parts.length > 0) return { outcome: 'failed', exit: 1, reason: parts.join('; ') };
  return { outcome: 'passed', exit: 0, reason: '' };
}

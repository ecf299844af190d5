/**
 * Whether a tier passed (docs/run-model.md "The verdict rule", protocol.md §8
 * "Result of a layer"), as pure functions of what it knows at the end. The
 * rule itself is `runVerdict` of @gator/protocol, applied to the tier's
 * subtree: its tally of jobs (a skipped job never fails it by itself) and its
 * problems (a database error, an exceeded subtree budget, its own messages
 * over the per-layer limits, a child that failed with no failed job of its
 * own to show for it).
 */
import {
  JobResult,
  describeExceeded,
  exceededLimits,
  runVerdict,
  type JobTally,
  type LayerLimits,
  type Limits,
  type MessageCounts,
  type Metrics,
  type RunOutcome,
} from '@gator/protocol';

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export interface TierFacts {
  /** The subtree's jobs at the end. */
  tally: JobTally;
  /** Why the tier was stopped, when it was. */
  stopped?: string | undefined;
  /** The stop was the user's (Ctrl-C, the parent's `stop`), not its parent going away. */
  byUser?: boolean;
  /** The first few children that failed, for the reason. */
  failedNames: readonly string[];
  /** Children failed in all: more than `failedNames` shows `…`. */
  failedCount: number;
  /** The tier's problems (its own, see `ownProblems`, and its children's). */
  problems: readonly string[];
}

export interface TierVerdict {
  result: JobResult;
  /** `passed`, `failed` or `stopped`. */
  outcome: RunOutcome;
  /** Why it did not pass (undefined when it passed). */
  reason: string | undefined;
}

/**
 * The tier's verdict: `runVerdict` on its subtree. Stopped by the user is its
 * own outcome (ABORTED, outcome `stopped`), not a failure; stopped for any
 * other reason (its parent went away) it is never recorded as passed: it fails.
 */
export function tierVerdict(facts: TierFacts): TierVerdict {
  const { tally } = facts;
  const stopped = facts.stopped !== undefined;
  const byUser = stopped && facts.byUser === true;
  const verdict = runVerdict({ tally, problems: facts.problems, stopped: byUser });
  if (verdict.outcome === 'passed' && !stopped) return { result: JobResult.SUCCESS, outcome: 'passed', reason: undefined };
  const parts: string[] = [];
  if (stopped) parts.push(`stopped (${facts.stopped})`);
  const unended = tally.running + tally.pending;
  if (unended > 0) parts.push(`${plural(unended, 'job')} did not end`);
  // The counts as runVerdict says them, with the first failed children named.
  const named = facts.failedNames.map((n) => `'${n}'`).join(', ');
  const more = facts.failedCount > facts.failedNames.length ? ', …' : '';
  for (const part of runVerdict({ tally: { ...tally, running: 0, pending: 0 }, problems: facts.problems }).reason.split('; ')) {
    if (!part) continue;
    parts.push(named && /^\d+ jobs? failed$/.test(part) ? `${part} (${named}${more})` : part);
  }
  return byUser
    ? { result: JobResult.ABORTED, outcome: 'stopped', reason: parts.join('; ') }
    : { result: JobResult.FAILURE, outcome: 'failed', reason: parts.join('; ') };
}

/**
 * The tier's own reasons to fail, joined: problems it met (database errors,
 * a parent it could not register with, a spec it cannot run), exceeded
 * budgets, and its own message counts over the per-layer limits (Gator's
 * notices are not messages, so a skipped job never counts here).
 */
export function ownProblems(problems: readonly string[], budgets: Iterable<string>, counts: MessageCounts, limits: LayerLimits): string | undefined {
  const own = { critical: counts.critical, error: counts.error, warning: counts.warning };
  const parts = [...problems, ...budgets, ...exceededLimits(own, limits).map((bucket) => describeExceeded(bucket, own[bucket], limits))];
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * The spec's `limits`: a message budget of the whole subtree, checked on the
 * rolled-up counts. Returns the exceeded budgets with their reason text (it
 * follows the count, so the final one says how far over the subtree ended).
 */
export function exceededBudgets(budget: Limits | undefined, metrics: Metrics): Map<'critical' | 'error' | 'warning', string> {
  const out = new Map<'critical' | 'error' | 'warning', string>();
  if (!budget) return out;
  for (const name of ['critical', 'error', 'warning'] as const) {
    const limit = budget[name];
    if (limit === undefined) continue;
    const count = metrics[`msg_${name}`] ?? 0;
    if (count <= limit) continue;
    out.set(name, `budget exceeded: ${plural(count, name === 'critical' ? 'critical message' : name)} > ${limit}`);
  }
  return out;
}

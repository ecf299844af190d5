/**
 * Whether a tier passed (protocol.md §8 "Result of a layer"), as pure
 * functions of what it knows at the end: a tier passes when it was not
 * stopped, no child failed (or failed below it), and it has no problem of
 * its own (a database error, an exceeded subtree budget, its own messages
 * over the per-layer limits).
 */
import { exceededLimits, describeExceeded, type LayerLimits, type Limits, type Metrics, type MessageCounts } from '@gator/protocol';

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export interface TierFacts {
  /** Why the tier was stopped, when it was. */
  stopped?: string | undefined;
  /** Children that completed with FAILURE (the count is exact, the names are the first few). */
  failedChildren: { count: number; names: readonly string[] };
  /** A child not yet complete already reported FAILURE. */
  liveChildFailed: boolean;
  /** Jobs that failed below this tier although its children passed (a peer with other rules). */
  failedBelow: number;
  /** The tier's own problems (reasons), see `ownProblems`. */
  own: string | undefined;
}

/** Every reason the tier fails, in the order they are reported; empty: it passed. */
export function tierFailureReasons(facts: TierFacts): string[] {
  const reasons: string[] = [];
  // A stopped tier did not run what it was given: never recorded as passed.
  if (facts.stopped !== undefined) reasons.push(`stopped (${facts.stopped})`);
  const { count, names } = facts.failedChildren;
  if (count > 0) {
    const listed = names.map((n) => `'${n}'`).join(', ');
    reasons.push(`${plural(count, 'child', 'children')} failed (${listed}${count > names.length ? ', …' : ''})`);
  } else if (facts.liveChildFailed) {
    reasons.push('a child reported a failure');
  } else if (facts.failedBelow > 0) {
    reasons.push(`${plural(facts.failedBelow, 'job')} failed below this tier`);
  }
  if (facts.own) reasons.push(facts.own);
  return reasons;
}

/**
 * The tier's own reasons to fail, joined: problems it met (database errors,
 * a parent it could not register with), exceeded budgets, and its own
 * message counts over the per-layer limits (errors already accounted for
 * elsewhere do not count twice).
 */
export function ownProblems(problems: readonly string[], budgets: Iterable<string>, counts: MessageCounts, accountedErrors: number, limits: LayerLimits): string | undefined {
  const own = { critical: counts.critical, error: counts.error - accountedErrors, warning: counts.warning };
  const parts = [...problems, ...budgets, ...exceededLimits(own, limits).map((bucket) => describeExceeded(bucket, own[bucket], limits))];
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * The spec's `limits`: a message budget of the whole subtree, checked on the
 * rolled-up counts. Returns the exceeded budgets with their reason text (it
 * follows the count, so the final one says how far over the subtree ended).
 */
export function exceededBudgets(budget: Limits | undefined, metrics: Metrics, accountedErrors: number): Map<'critical' | 'error' | 'warning', string> {
  const out = new Map<'critical' | 'error' | 'warning', string>();
  if (!budget) return out;
  for (const name of ['critical', 'error', 'warning'] as const) {
    const limit = budget[name];
    if (limit === undefined) continue;
    let count = metrics[`msg_${name}`] ?? 0;
    if (name === 'error') count -= accountedErrors;
    if (count <= limit) continue;
    out.set(name, `budget exceeded: ${plural(count, name === 'critical' ? 'critical message' : name)} > ${limit}`);
  }
  return out;
}

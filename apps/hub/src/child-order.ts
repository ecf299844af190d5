/**
 * The orders a tier's children can be listed in (`resolve?sort=`): by name,
 * by duration, or by result (what needs looking at first: failed and lost,
 * then stopped, running, pending, skipped, passed). Sorted before paging, so
 * the first page of a 10,000-child group is the slowest or the failing jobs.
 */
import { JobResult, type JobOutcome } from '@gator/protocol';
import type { ChildSort } from './schemas.js';

export interface ChildKeys {
  ident: string;
  /** Seconds (null: never ran; always last). */
  duration: number | null;
  /** The run model's outcome when known, else the JobResult decides. */
  outcome: JobOutcome | undefined;
  result: number;
}

const OUTCOME_RANK: Record<JobOutcome, number> = { failed: 0, lost: 1, stopped: 2, running: 3, pending: 4, skipped: 5, passed: 6 };

function rankOf(k: ChildKeys): number {
  if (k.outcome) return OUTCOME_RANK[k.outcome];
  switch (k.result) {
    case JobResult.FAILURE:
      return OUTCOME_RANK.failed;
    case JobResult.ABORTED:
      return OUTCOME_RANK.skipped;
    case JobResult.SUCCESS:
      return OUTCOME_RANK.passed;
    default:
      return OUTCOME_RANK.running;
  }
}

const collator = new Intl.Collator('en', { numeric: true });

/** A sorted copy of `items` (stable: ties keep the tree's order). `desc` reverses it; never-ran jobs stay last by duration. */
export function sortChildren<T>(items: readonly T[], keys: (item: T) => ChildKeys, sort: ChildSort, desc: boolean): T[] {
  if (sort === 'tree') return desc ? [...items].reverse() : [...items];
  const keyed = items.map((item, index) => ({ item, index, k: keys(item) }));
  const sign = desc ? -1 : 1;
  keyed.sort((a, b) => {
    let d = 0;
    if (sort === 'name') d = sign * collator.compare(a.k.ident, b.k.ident);
    else if (sort === 'result') d = sign * (rankOf(a.k) - rankOf(b.k)) || collator.compare(a.k.ident, b.k.ident);
    else if (a.k.duration === null || b.k.duration === null) d = (a.k.duration === null ? 1 : 0) - (b.k.duration === null ? 1 : 0);
    else d = sign * (a.k.duration - b.k.duration);
    return d || a.index - b.index;
  });
  return keyed.map((e) => e.item);
}

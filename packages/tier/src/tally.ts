/**
 * The tier's tally of jobs (docs/run-model.md): every summary it sends and
 * stores carries `jobs`, the sum of its children's. A Gator child says its
 * own; a child that says none (Python Gator) is counted from what it did send;
 * a child not heard from yet is pending by its expected jobs. Pure functions.
 */
import { JobResult, type JobTally, type Spec, type Summary, emptyTally, tallyOf } from '@gator/protocol';

/** What the tally needs of a child's record. */
export interface TalliedChild {
  kind: 'job' | 'tier';
  /** Jobs under a tier child (0 for a job). */
  expected: number;
  result: JobResult;
}

/** Jobs a child stands for: one for a job, its expected jobs for a tier. */
export function jobsOf(child: TalliedChild): number {
  return child.kind === 'job' ? 1 : child.expected;
}

/**
 * The jobs of one child from its last summary (`done`: its final one).
 * Counted from Python's fields when the child sends no `jobs`: its failed and
 * running ids, then (final) the rest passed, (live) `sub_passed` at most.
 */
export function childTally(child: TalliedChild, summary: Summary | undefined, done: boolean): JobTally {
  if (summary?.jobs) return { ...summary.jobs };
  const n = jobsOf(child);
  if (!summary) return tallyOf(done ? (child.result === JobResult.SUCCESS ? 'passed' : 'failed') : 'pending', n);
  const failedAtLeast = done && child.result !== JobResult.SUCCESS && n > 0 ? 1 : 0;
  const failed = Math.min(n, Math.max(failedAtLeast, summary.failed_ids.length));
  const tally = emptyTally();
  tally.total = n;
  tally.failed = failed;
  if (done) {
    tally.passed = n - failed;
    return tally;
  }
  tally.running = Math.min(n - failed, summary.running_ids.length);
  const rest = n - failed - tally.running;
  // Python's sub_passed counts passed tiers too: never more than is left.
  tally.passed = Math.min(rest, Math.max(0, summary.metrics.sub_passed ?? 0));
  tally.pending = rest - tally.passed;
  return tally;
}

/** A child given up on: a job is lost; of a tier, whatever had not ended. */
export function lostTally(child: TalliedChild, last: Summary | undefined): JobTally {
  if (child.kind === 'job') return tallyOf('lost');
  const tally = childTally(child, last, false);
  tally.lost += tally.running + tally.pending;
  tally.running = 0;
  tally.pending = 0;
  return tally;
}

/** Layers of a spec, itself included (an array's jobs and groups once per repeat): the most a child's `sub_*` counts may say. */
export function layersOfSpec(spec: Spec): number {
  if (spec.kind === 'job') return 1;
  let inside = 0;
  for (const entry of spec.jobs) inside += layersOfSpec(entry);
  return 1 + (spec.kind === 'array' ? inside * spec.repeats : inside);
}

/**
 * A tier's summary (protocol.md §8): its own metrics plus, key by key, the last
 * summary of every child, ids prefixed with the tier's ident, and
 * `sub_total = max(sum, expected jobs + 1)`. Gator's extensions are merged too:
 * `running_since` (aligned with `running_ids`), `failures` and `retried` (capped), `stats`
 * (count/sum/min/max), `buckets` (by signature) and `sub_skipped`/`sub_lost`.
 *
 * Memory: a finished child's final summary is folded into running totals and
 * then forgotten, so the retained state does not grow with the number of
 * finished children (except the failed ids, which the root must list).
 */
import { BUILTIN_METRICS, type Bucket, type Failure, type MetricStats, type Metrics, type Retried, type Summary } from '@gator/protocol';

export interface RollupOptions {
  /** The tier's own ident (prefix of every id path it reports). */
  ident: string;
  /** `expectedJobs(spec)`: the floor of `sub_total` is this + 1. */
  expectedJobs: number;
  /** Most failure records kept (the counts stay exact). Default 100. */
  failureCap?: number;
  /** Example paths kept per bucket. Default 3. */
  bucketExamples?: number;
}

/** A live child's contribution: its last summary and when it started (for `running_since`). */
export interface LiveContribution {
  summary: Summary;
  started: number | null;
}

interface BucketTotal {
  count: number;
  examples: string[][];
}

function addMetrics(into: Metrics, from: Metrics | undefined): void {
  if (!from) return;
  for (const key in from) {
    const value = from[key];
    if (typeof value === 'number' && Number.isFinite(value)) into[key] = (into[key] ?? 0) + value;
  }
}

function mergeStats(into: Record<string, MetricStats>, from: Record<string, MetricStats> | undefined): void {
  if (!from) return;
  for (const key in from) {
    const s = from[key];
    const t = into[key];
    if (!t) into[key] = { count: s.count, sum: s.sum, min: s.min, max: s.max };
    else {
      t.count += s.count;
      t.sum += s.sum;
      t.min = Math.min(t.min, s.min);
      t.max = Math.max(t.max, s.max);
    }
  }
}

export class Rollup {
  readonly ident: string;
  readonly expectedJobs: number;
  private readonly failureCap: number;
  private readonly bucketExamples: number;
  // Totals of folded (finished) children, paths relative to this tier (not yet prefixed).
  private readonly metrics: Metrics = {};
  private readonly failedIds: string[][] = [];
  private readonly failures: Failure[] = [];
  private failuresDropped = 0;
  private readonly retried: Retried[] = [];
  private retriedDropped = 0;
  private readonly stats: Record<string, MetricStats> = {};
  private readonly buckets = new Map<string, BucketTotal>();
  private skipped = 0;
  private readonly skippedList: { path: string[]; reason: string }[] = [];
  private lost = 0;
  private unselected = 0;
  private folded = 0;

  constructor(options: RollupOptions) {
    this.ident = options.ident;
    this.expectedJobs = options.expectedJobs;
    this.failureCap = options.failureCap ?? 100;
    this.bucketExamples = options.bucketExamples ?? 3;
  }

  /** Children folded so far. */
  get foldedCount(): number {
    return this.folded;
  }

  /** Add a finished child's final summary to the totals (the caller then drops it). */
  fold(summary: Summary): void {
    this.folded++;
    addMetrics(this.metrics, summary.metrics);
    for (const id of summary.failed_ids) this.failedIds.push(id);
    for (const f of summary.failures ?? []) {
      if (this.failures.length < this.failureCap) this.failures.push(f);
      else this.failuresDropped++;
    }
    for (const r of summary.retried ?? []) {
      if (this.retried.length < this.failureCap) this.retried.push(r);
      else this.retriedDropped++;
    }
    mergeStats(this.stats, summary.stats);
    for (const b of summary.buckets ?? []) this.addBucket(this.buckets, b);
    this.skipped += summary.sub_skipped ?? 0;
    for (const sk of summary.skipped ?? []) if (this.skippedList.length < this.failureCap) this.skippedList.push(sk);
    this.lost += summary.sub_lost ?? 0;
    this.unselected += summary.sub_unselected ?? 0;
  }

  /**
   * The tier's summary now: own metrics + folded totals + live children, with
   * every path prefixed by the tier's ident. `ownFailure` adds the tier itself
   * to `failed_ids`/`failures` (when it fails for its own reasons, not a child's).
   */
  compose(own: Metrics, live: Iterable<LiveContribution>, ownFailure?: { reason: string; log?: string }): Summary {
    const metrics: Metrics = { ...own };
    addMetrics(metrics, this.metrics);
    const prefix = (p: readonly string[]) => [this.ident, ...p];
    const failed_ids = this.failedIds.map(prefix);
    const running_ids: string[][] = [];
    const running_since: number[] = [];
    const failures: Failure[] = this.failures.map((f) => ({ ...f, path: prefix(f.path) }));
    let dropped = this.failuresDropped;
    const retried: Retried[] = this.retried.map((r) => ({ ...r, path: prefix(r.path) }));
    let retriedDropped = this.retriedDropped;
    const stats: Record<string, MetricStats> = {};
    mergeStats(stats, this.stats);
    const buckets = new Map<string, BucketTotal>();
    for (const [signature, b] of this.buckets) buckets.set(signature, { count: b.count, examples: [...b.examples] });
    let skipped = this.skipped;
    const skippedList = this.skippedList.map((sk) => ({ ...sk, path: prefix(sk.path) }));
    let lost = this.lost;
    let unselected = this.unselected;
    const now = Date.now() / 1000;

    for (const { summary, started } of live) {
      addMetrics(metrics, summary.metrics);
      for (const id of summary.failed_ids) failed_ids.push(prefix(id));
      summary.running_ids.forEach((id, i) => {
        running_ids.push(prefix(id));
        running_since.push(summary.running_since?.[i] ?? started ?? now);
      });
      for (const f of summary.failures ?? []) {
        if (failures.length < this.failureCap) failures.push({ ...f, path: prefix(f.path) });
        else dropped++;
      }
      for (const r of summary.retried ?? []) {
        if (retried.length < this.failureCap) retried.push({ ...r, path: prefix(r.path) });
        else retriedDropped++;
      }
      mergeStats(stats, summary.stats);
      for (const b of summary.buckets ?? []) this.addBucket(buckets, b);
      skipped += summary.sub_skipped ?? 0;
      for (const sk of summary.skipped ?? []) if (skippedList.length < this.failureCap) skippedList.push({ ...sk, path: prefix(sk.path) });
      lost += summary.sub_lost ?? 0;
      unselected += summary.sub_unselected ?? 0;
    }

    if (ownFailure) {
      failed_ids.unshift([this.ident]);
      const record: Failure = { path: [this.ident], reason: ownFailure.reason };
      if (ownFailure.log) record.log = ownFailure.log;
      if (failures.length < this.failureCap) failures.unshift(record);
      else dropped++;
    }

    metrics.sub_total = Math.max(metrics.sub_total ?? 0, this.expectedJobs + 1);
    const summary: Summary = { metrics: orderMetrics(metrics), failed_ids, running_ids, running_since };
    if (failures.length > 0) summary.failures = failures;
    if (dropped > 0) summary.failures_dropped = dropped;
    if (retried.length > 0) summary.retried = retried;
    if (retriedDropped > 0) summary.retried_dropped = retriedDropped;
    if (Object.keys(stats).length > 0) summary.stats = stats;
    if (buckets.size > 0) {
      // Most jobs first (then by signature, for a stable order): every view that shows "the
      // most common failure" takes the first (the hub's run list), the others list them so.
      summary.buckets = [...buckets]
        .sort(([sa, a], [sb, b]) => b.count - a.count || (sa < sb ? -1 : sa > sb ? 1 : 0))
        .map(([signature, b]) => ({
          signature,
          count: b.count,
          examples: b.examples.map(prefix),
        }));
    }
    summary.sub_skipped = skipped;
    if (skippedList.length > 0) summary.skipped = skippedList;
    summary.sub_lost = lost;
    if (unselected > 0) summary.sub_unselected = unselected;
    return summary;
  }

  /** Internal sizes, for memory checks. */
  sizes(): { failedIds: number; failures: number; buckets: number; stats: number; metrics: number } {
    return {
      failedIds: this.failedIds.length,
      failures: this.failures.length,
      buckets: this.buckets.size,
      stats: Object.keys(this.stats).length,
      metrics: Object.keys(this.metrics).length,
    };
  }

  private addBucket(into: Map<string, BucketTotal>, b: Bucket): void {
    let t = into.get(b.signature);
    if (!t) {
      t = { count: 0, examples: [] };
      into.set(b.signature, t);
    }
    t.count += b.count;
    for (const example of b.examples) {
      if (t.examples.length >= this.bucketExamples) break;
      t.examples.push(example);
    }
  }
}

/** Built-in metrics first, in Python's order (every one present), then the rest in arrival order. */
export function orderMetrics(metrics: Metrics): Metrics {
  const out: Metrics = {};
  for (const key of BUILTIN_METRICS) out[key] = metrics[key] ?? 0;
  for (const key in metrics) if (!(key in out)) out[key] = metrics[key];
  return out;
}

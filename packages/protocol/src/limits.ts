/**
 * Per-layer message limits (protocol.md §8): a layer fails when its own count
 * of WARNING, ERROR or CRITICAL messages is greater than the limit. Tiers and
 * wrappers count and judge the same way, so both use this module.
 */
import { Severity } from './constants.js';

/** `warning: null` is unlimited (Python's default); `error` and `critical` default to 0. */
export interface LayerLimits {
  warning: number | null;
  error: number;
  critical: number;
}

export const DEFAULT_LIMITS: LayerLimits = { warning: null, error: 0, critical: 0 };

/** The severities a limit applies to, most severe first (the order of Python's `msg_*` metrics). */
export const LIMITED_SEVERITIES = ['critical', 'error', 'warning'] as const;
export type LimitedSeverity = (typeof LIMITED_SEVERITIES)[number];

/** The five `msg_*` buckets in Python's order. */
export const COUNTED_SEVERITIES = ['critical', 'error', 'warning', 'info', 'debug'] as const;
export type CountedSeverity = (typeof COUNTED_SEVERITIES)[number];

/** Bucket of a severity level: 25 counts as info, 55 as critical (`severityName`'s thresholds, without a string per call: it runs once per message). */
export function severityBucket(level: number): CountedSeverity {
  return level >= Severity.CRITICAL ? 'critical' : level >= Severity.ERROR ? 'error' : level >= Severity.WARNING ? 'warning' : level >= Severity.INFO ? 'info' : 'debug';
}

/** Message counts of one layer (or one attempt of a job), by bucket. */
export class MessageCounts {
  critical = 0;
  error = 0;
  warning = 0;
  info = 0;
  debug = 0;

  /** Count one message; returns the new count of its bucket. */
  add(level: number): number {
    return ++this[severityBucket(level)];
  }

  /** `msg_critical` … `msg_debug`, in Python's order. */
  metrics(): Record<`msg_${CountedSeverity}`, number> {
    return { msg_critical: this.critical, msg_error: this.error, msg_warning: this.warning, msg_info: this.info, msg_debug: this.debug };
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The limit of a bucket as a number (unlimited → Infinity). */
export function limitOf(limits: LayerLimits, bucket: LimitedSeverity): number {
  const limit = limits[bucket];
  return limit === null ? Number.POSITIVE_INFINITY : limit;
}

/** The buckets whose count is greater than their limit, most severe first. */
export function exceededLimits(counts: Pick<MessageCounts, LimitedSeverity>, limits: LayerLimits): LimitedSeverity[] {
  return LIMITED_SEVERITIES.filter((bucket) => counts[bucket] > limitOf(limits, bucket));
}

/** `3 error messages > limit 0`, for a tier's own reasons. */
export function describeExceeded(bucket: LimitedSeverity, count: number, limits: LayerLimits): string {
  return `${plural(count, `${bucket} message`)} > limit ${limits[bucket]}`;
}

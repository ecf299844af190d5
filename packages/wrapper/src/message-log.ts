/**
 * The wrapper's logger (the design's "logger object"): every message, from
 * the job's output, the job API or the wrapper itself, goes through
 * `record`, which counts it, stores it (or holds it until the store is
 * open), tells the renderer, forwards it to the parent (`--all-msg`) and
 * notices when a count first goes over its limit.
 */
import {
  type CountedSeverity,
  type LayerLimits,
  LIMITED_SEVERITIES,
  type LimitedSeverity,
  MessageCounts,
  type OutputLimit,
  Severity,
  type Uplink,
  emitTo,
  limitOf,
  severityBucket,
  severityName,
} from '@gator/protocol';
import type { JobStore } from './job-store.js';
import { OutputCap } from './output-cap.js';
import type { MessageSource, WrapperEvent } from './events.js';

/** First error (and critical) lines kept per attempt, for failure reports. */
export const FAILURE_ERROR_LINES = 5;

/** Unix seconds: the time of messages and rows. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/** `1 message`, `2 messages`: for the wrapper's message texts. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The messages of one attempt: what its verdict is taken from. */
export class MessageTally {
  readonly counts = new MessageCounts();
  /** First message of each bucket. */
  readonly first: Partial<Record<CountedSeverity, string>> = {};
  /** First error (and critical) lines. */
  readonly errors: string[] = [];
  /** Limits already announced as crossed. */
  readonly crossed = new Set<LimitedSeverity>();
}

export interface MessageLogOptions {
  db: JobStore;
  limits: LayerLimits;
  onEvent?: ((event: WrapperEvent) => void) | undefined;
  /** A count of the current attempt just went over its limit (after the INFO line saying so). */
  onLimitCrossed?: () => void;
  /** How much of the job's own messages is stored (head and tail); absent: all of it. */
  outputLimit?: OutputLimit;
  /** The job's messages reached `outputLimit` (once): from now on only the tail is kept. */
  onOutputCapped?: (cap: OutputCap) => void;
}

interface EarlyMessage {
  severity: number;
  message: string;
  timestamp: number;
  logFile: boolean;
}

export class MessageLog {
  /** Every message of the job, all attempts (the `msg_*` metrics). */
  readonly totals = new MessageCounts();
  /** The current attempt's. */
  tally = new MessageTally();
  private readonly db: JobStore;
  private readonly onEvent: ((event: WrapperEvent) => void) | undefined;
  private readonly onLimitCrossed: (() => void) | undefined;
  private readonly limits: LayerLimits;
  /** Limit per bucket as a number (no limit: Infinity), so the hot path has no branch. */
  private readonly limit: Record<CountedSeverity, number>;
  /** Messages logged before the store was open (e.g. a stop before run()). */
  private readonly early: EarlyMessage[] = [];
  private uplink: Uplink | undefined;
  /** The job's output limit (its own messages; the wrapper's are always stored). */
  readonly cap: OutputCap | undefined;
  /** The verdict is taken: later messages (the wrapper's own `Job failed: …`) no longer decide it. */
  private judged = false;

  constructor(options: MessageLogOptions) {
    this.db = options.db;
    this.onEvent = options.onEvent;
    this.onLimitCrossed = options.onLimitCrossed;
    this.limits = options.limits;
    const none = Number.POSITIVE_INFINITY;
    this.limit = { critical: none, error: none, warning: none, info: none, debug: none };
    for (const bucket of LIMITED_SEVERITIES) this.limit[bucket] = limitOf(options.limits, bucket);
    const onCapped = options.onOutputCapped;
    if (options.outputLimit) this.cap = new OutputCap(options.outputLimit, (cap) => onCapped?.(cap));
  }

  /**
   * The job ended: store the tail its output limit held (its timestamps say where it
   * belongs). Returns what was dropped between head and tail.
   */
  storeTail(): { lines: number; bytes: number } {
    const cap = this.cap;
    if (!cap?.capped) return { lines: 0, bytes: 0 };
    const tail = cap.takeTail();
    const store = this.db.store;
    if (store) for (const m of tail) store.addMessage(m);
    return { ...cap.dropped };
  }

  /** Forward messages >= INFO to the parent from now on (`--all-msg`). */
  forwardTo(uplink: Uplink): void {
    this.uplink = uplink;
  }

  /** A new attempt: its messages are counted afresh. */
  beginAttempt(): MessageTally {
    this.tally = new MessageTally();
    return this.tally;
  }

  /** The verdict is taken. */
  endJudging(): void {
    this.judged = true;
  }

  /** The store is open: store what was logged before. */
  storeEarly(): void {
    const store = this.db.store;
    if (store) for (const m of this.early.splice(0)) store.addMessage(m);
  }

  /** Counts, stores, tells and forwards one message. The hot path of job output. */
  record(severity: number, message: string, timestamp: number, source: MessageSource, logFile: boolean): void {
    const t = this.tally;
    const bucket = severityBucket(severity);
    const n = ++t.counts[bucket];
    this.totals[bucket]++;
    if (n === 1) t.first[bucket] = message;
    // The wrapper's own verdict line is not one of the job's errors.
    if ((bucket === 'critical' || bucket === 'error') && t.errors.length < FAILURE_ERROR_LINES && !this.judged) t.errors.push(message);
    // Past the output limit the job's messages are counted (above) but only the tail is kept.
    const kept = this.cap === undefined || source === 'wrapper' || this.cap.admit(severity, message, timestamp, logFile);
    const store = this.db.store;
    if (!kept) {
      // held for the tail, or dropped from the middle
    } else if (store !== undefined) store.addMessage({ severity, message, timestamp, logFile });
    else if (!this.db.failed) this.early.push({ severity, message, timestamp, logFile });
    if (this.onEvent !== undefined) emitTo(this.onEvent, { type: 'message', severity, message, timestamp, source });
    // The parent stores what it is sent: past the limit, nothing more goes up.
    if (kept && this.uplink !== undefined && severity >= Severity.INFO) {
      this.uplink.forward({ timestamp: Math.floor(timestamp), severity: severityName(severity), message });
    }
    if (n > this.limit[bucket] && !this.judged && !t.crossed.has(bucket as LimitedSeverity)) this.crossed(t, bucket as LimitedSeverity);
  }

  /** A message of the wrapper itself. */
  log(severity: number, message: string, logFile = true): void {
    this.record(severity, message, nowSeconds(), 'wrapper', logFile);
  }

  private crossed(t: MessageTally, bucket: LimitedSeverity): void {
    t.crossed.add(bucket);
    this.log(Severity.INFO, `${bucket.toUpperCase()} message count of ${t.counts[bucket]} exceeds provided limit of ${this.limits[bucket]}`);
    this.onLimitCrossed?.();
  }
}

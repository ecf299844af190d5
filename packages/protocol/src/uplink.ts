/**
 * A layer's link to its parent tier (protocol.md §6): `register`, heartbeats
 * (`update`: never two in flight, urgent ones at most one per 250 ms),
 * forwarded messages (`log`, posted), the final `update` + `complete`, and
 * the parent → child actions this layer serves on the same connection.
 *
 * It speaks the parent's dialect (`dialect.ts`): a Python Gator parent is sent
 * only the fields it accepts.
 *
 * Tiers and wrappers both talk to their parent through it. What a layer
 * reports (its summary and result) and how it reacts to a problem (a
 * rejected update, a parent that went away) stay the layer's: callbacks.
 */
import { PROTOCOL_VERSION, type JobResult } from './constants.js';
import { PYTHON_DIALECT, dialectFromRegister, payloadForParent, type ParentDialect } from './dialect.js';
import type { Connection, HandlersFor, UplinkServes } from './connection.js';
import type { ResponsePayload, Summary } from './messages.js';

/** What the parent answered to `register`: where this layer sits in the tree. */
export type LayerPlace = ResponsePayload<'register'>;

/** One heartbeat's content. */
export interface UplinkReport {
  summary: Summary;
  result: JobResult;
}

export interface UplinkOptions<S extends UplinkServes> {
  connection: Connection;
  /** This layer's id, as its parent knows it. */
  ident: string;
  /** The parent → child actions this layer answers (a missing one fails to compile). */
  handlers: HandlersFor<S>;
  /** The summary and result to send with the next `update`. */
  report: () => UplinkReport;
  /** Reply timeout of an `update`, the heartbeats' and the final one, ms (default 10 s). */
  updateTimeoutMs?: number;
  /** Reply timeout of `register` and `complete`, ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Fewest ms between two urgent updates (default 250). */
  throttleMs?: number;
  /** Stop forwarding messages while this much is queued towards the parent (default 16 MiB). */
  forwardBufferLimit?: number;
  /** A heartbeat the parent did not accept (the connection still open). */
  onUpdateFailed?: (error: Error) => void;
  /**
   * The parent accepted a heartbeat: what it carried has arrived (a tier drops
   * the job ends it sent then, and keeps the rest for the next one).
   */
  onUpdateAccepted?: (sent: UplinkReport) => void;
  /** The connection closed before the final report. */
  onClosed?: () => void;
  /**
   * A part of the final report the parent did not accept, told as it happens
   * (before the next part is sent), for a layer that records it in order.
   */
  onReportFailed?: (failure: ReportFailure) => void;
}

export interface FinalReport extends UplinkReport {
  /** Exit code: the job's, `-signo`, 255 when stopped or never started; 0 for a tier. */
  code: number;
  reason?: string | undefined;
  /** When the layer's own work ended (Unix seconds, this clock): the parent records it as the layer's stop. */
  stopped?: number | undefined;
}

/** Which part of the final report the parent did not accept. */
export interface ReportFailure {
  stage: 'update' | 'complete';
  error: Error;
}

const DEFAULT_UPDATE_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_THROTTLE_MS = 250;
const DEFAULT_FORWARD_BUFFER_LIMIT = 16 * 1024 * 1024;

export class Uplink<S extends UplinkServes = UplinkServes> {
  readonly connection: Connection;
  private readonly o: UplinkOptions<S>;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private throttle: NodeJS.Timeout | undefined;
  private lastUpdateAt = 0;
  /** The final report has begun: no more heartbeats, a close is expected. */
  private reporting = false;
  private forwardSkipped = 0;
  /** What the parent takes (learnt at `register`): a Python Gator parent refuses Gator's extensions. */
  private dialect: ParentDialect = PYTHON_DIALECT;

  constructor(options: UplinkOptions<S>) {
    this.o = options;
    this.connection = options.connection;
    this.connection.setHandlers(options.handlers);
    void this.connection.closed.then(() => {
      clearTimeout(this.throttle);
      if (!this.reporting) options.onClosed?.();
    });
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  /**
   * Announce this layer (its server's `host:port`) and learn its place in the tree;
   * `started` (Unix seconds, this clock) is when its own work started, which the parent records.
   */
  async register(server: string, started?: number): Promise<LayerPlace> {
    const reply = await this.connection.request(
      'register',
      { ident: this.o.ident, server, protocol: PROTOCOL_VERSION, ...(started !== undefined ? { started } : {}) },
      { timeoutMs: this.o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
    );
    this.dialect = dialectFromRegister(reply);
    return reply;
  }

  /** What the parent understands: Python Gator's subset until its `register` answer says more. */
  get parentDialect(): ParentDialect {
    return this.dialect;
  }

  /**
   * Send a heartbeat with the current report. Never two in flight: a request
   * during one sends another right after it. `urgent` (a state change) is
   * throttled to one per `throttleMs`; the periodic heartbeat is not.
   */
  update(urgent = false): void {
    if (this.reporting || !this.connection.isOpen) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const throttleMs = this.o.throttleMs ?? DEFAULT_THROTTLE_MS;
    const wait = this.lastUpdateAt + throttleMs - Date.now();
    if (urgent && wait > 0) {
      if (!this.throttle) {
        this.throttle = setTimeout(() => {
          this.throttle = undefined;
          this.update(true);
        }, wait);
        this.throttle.unref();
      }
      return;
    }
    clearTimeout(this.throttle);
    this.throttle = undefined;
    this.lastUpdateAt = Date.now();
    const report = this.o.report();
    const { summary, result } = report;
    const connection = this.connection;
    this.inFlight = connection
      .request('update', payloadForParent(this.dialect, 'update', { ident: this.o.ident, summary, result }), {
        timeoutMs: this.o.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS,
      })
      .then(
        () => this.o.onUpdateAccepted?.(report),
        (error: Error) => {
          if (connection.isOpen && !this.reporting) this.o.onUpdateFailed?.(error);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.again) {
          this.again = false;
          this.update(true);
        }
      });
  }

  /**
   * Forward one message to the parent (posted `log`, `--all-msg`). Returns
   * false when it was not sent because too much is already queued (counted:
   * `takeSkipped()` tells how many).
   */
  forward(entry: { timestamp: number; severity: string; message: string; path?: string[] }): boolean {
    if (this.connection.bufferedAmount > (this.o.forwardBufferLimit ?? DEFAULT_FORWARD_BUFFER_LIMIT)) {
      this.forwardSkipped++;
      return false;
    }
    return this.connection.post('log', payloadForParent(this.dialect, 'log', entry));
  }

  /** Messages not forwarded since the last call (the connection was busy). */
  takeSkipped(): number {
    const n = this.forwardSkipped;
    this.forwardSkipped = 0;
    return n;
  }

  /**
   * The final report: waits for a heartbeat in flight, then sends the last
   * `update` (with the final result) and `complete`. Resolves with what the
   * parent did not accept (empty when all went through, or when the parent is
   * already gone: nothing can be reported then).
   */
  async complete(final: FinalReport): Promise<ReportFailure[]> {
    this.again = false;
    clearTimeout(this.throttle);
    this.throttle = undefined;
    while (this.inFlight) await this.inFlight;
    this.reporting = true;
    const failures: ReportFailure[] = [];
    if (!this.connection.isOpen) return failures;
    const failed = (failure: ReportFailure) => {
      failures.push(failure);
      this.o.onReportFailed?.(failure);
    };
    const { summary, result, code, reason, stopped } = final;
    try {
      await this.connection.request(
        'update',
        payloadForParent(this.dialect, 'update', { ident: this.o.ident, summary, result }),
        { timeoutMs: this.o.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS },
      );
    } catch (error) {
      failed({ stage: 'update', error: error as Error });
    }
    try {
      await this.connection.request(
        'complete',
        payloadForParent(this.dialect, 'complete', { ident: this.o.ident, code, result, summary, ...(reason !== undefined ? { reason } : {}), ...(stopped !== undefined ? { stopped } : {}) }),
        { timeoutMs: this.o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
      );
    } catch (error) {
      failed({ stage: 'complete', error: error as Error });
    }
    return failures;
  }
}

/**
 * The tier's own messages (protocol.md §7): counted per severity, stored in
 * its database, emitted for the renderer, and forwarded up with `--all-msg`.
 * Messages a child forwards are not counted or stored here (Python's rule):
 * `relay` only shows and forwards them. Gator's notices (why children were
 * skipped, lost, why the tier failed) are apart: stored in GatorNotice and
 * emitted, never counted, never forwarded as messages (docs/run-model.md).
 */
import type { LayerStore } from '@gator/db';
import { MessageCounts, Severity, severityFromName, severityName, type NoticeKind, type RequestPayload, type Uplink } from '@gator/protocol';

export interface TierLogTarget {
  /** Where messages are stored once the store is open. */
  store(): LayerStore | undefined;
  /** This tier's path in the tree (its parent's path + its ident). */
  path(): string[];
  emit(
    event:
      | { type: 'message'; severity: number; message: string; timestamp: number; path?: string[] }
      | { type: 'notice'; kind: NoticeKind; message: string; timestamp: number; path?: string[] },
  ): void;
  /** The link to the parent when messages are forwarded (`--all-msg`). */
  forwardTo(): Uplink | undefined;
  /** A WARNING or worse was logged: the roll-up (message counts) changed. */
  onWarning(): void;
}

const now = () => Date.now() / 1000;

export class TierLog {
  readonly counts = new MessageCounts();

  constructor(private readonly target: TierLogTarget) {}

  log(severity: number, message: string): void {
    const timestamp = now();
    this.counts.add(severity);
    this.target.store()?.addMessage({ severity, message, timestamp });
    const path = this.target.path();
    this.target.emit({ type: 'message', severity, message, timestamp, path });
    if (severity >= Severity.INFO) {
      this.target.forwardTo()?.forward({ timestamp: Math.floor(timestamp), severity: severityName(severity), message, path });
    }
    if (severity >= Severity.WARNING) this.target.onWarning();
  }

  /** One of Gator's notices; `child` is the id (below this tier) it is about, none for the tier itself. */
  notice(kind: NoticeKind, message: string, child?: string): void {
    const timestamp = now();
    this.target.store()?.addNotice({ kind, message, timestamp, ...(child ? { path: child } : {}) });
    this.target.emit({ type: 'notice', kind, message, timestamp, path: [...this.target.path(), ...(child ? [child] : [])] });
  }

  /** A message a child forwarded (`--all-msg`): shown and passed on, never counted or stored here. */
  relay(payload: RequestPayload<'log'>, senderPath: string[] | undefined): void {
    const severity = severityFromName(payload.severity);
    const message = (payload.message ?? 'N/A').trim();
    const timestamp = payload.timestamp ?? now();
    this.target.emit({ type: 'message', severity, message, timestamp, ...(senderPath ? { path: senderPath } : {}) });
    if (severity >= Severity.INFO) {
      this.target.forwardTo()?.forward({
        timestamp,
        severity: severityName(severity),
        message,
        ...(senderPath ? { path: senderPath } : {}),
      });
    }
  }
}

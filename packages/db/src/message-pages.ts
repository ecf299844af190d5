/**
 * `get_messages` of a running layer (protocol.md §5.2): pages of the messages
 * its own store holds, read through a second connection while the store keeps
 * writing. Tiers and wrappers answer it the same way, through this.
 */
import type { ApiMessage } from '@gator/protocol';
import { openLayerReader, type LayerReader } from './reader.js';
import type { LayerStore } from './store.js';

/** Most messages one `get_messages` returns, whatever `limit` asks. */
export const MAX_MESSAGE_PAGE = 10_000;

export class MessagePages {
  private reader: LayerReader | undefined;

  constructor(private readonly store: LayerStore) {}

  /** Messages with `uid > after`, oldest first, at most `limit` (capped), and how many are stored. */
  page(after = 0, limit = 10): { messages: ApiMessage[]; total: number } {
    this.store.flush();
    this.reader ??= openLayerReader(this.store.dbFile);
    const n = Math.min(Math.max(0, limit), MAX_MESSAGE_PAGE);
    const messages = n > 0 ? this.reader.messages({ after, limit: n }) : [];
    return {
      // The wire carries whole seconds (ApiMessage, protocol.md §4).
      messages: messages.map((m) => ({ uid: m.uid, severity: m.severity, message: m.message, timestamp: Math.floor(m.timestamp) })),
      total: this.reader.countMessages(),
    };
  }

  close(): void {
    this.reader?.close();
    this.reader = undefined;
  }
}

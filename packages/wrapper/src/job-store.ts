/**
 * The job's SQLite database (the layer store of @gator/db), as the wrapper
 * uses it: a write that fails does not throw into the job's capture, it fails
 * the job once (`onFailure`) and the wrapper goes on reporting.
 */
import { layerFile } from '@gator/protocol';
import { type LayerStore, MessagePages, type NewNotice, openLayerStore } from '@gator/db';

export class JobStore {
  store: LayerStore | undefined;
  /** A write failed (or the store could not be opened): the job fails with it. */
  failed = false;
  private pages: MessagePages | undefined;
  /** Notices told before the store was open (a stop before the start): stored first once it is. */
  private early: NewNotice[] = [];

  constructor(
    private readonly tracking: string,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Open the store of the tracking directory. Throws when it cannot be created. */
  open(): LayerStore {
    const store = openLayerStore({ dir: this.tracking, kind: 'wrapper' });
    this.store = store;
    store.on('error', (error) => this.onError(error));
    if (store.failure) this.onError(store.failure);
    for (const n of this.early.splice(0)) this.write((s) => s.addNotice(n));
    return store;
  }

  onError(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onFailure(error);
  }

  /** Run one write; a failure fails the job instead of throwing. */
  write<T>(action: (store: LayerStore) => T): T | undefined {
    const store = this.store;
    if (!store) return undefined;
    try {
      return action(store);
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  /** Store one of Gator's notices; before the store is open, it waits for it. */
  notice(n: NewNotice): void {
    if (this.store) this.write((s) => s.addNotice(n));
    else if (!this.failed) this.early.push(n);
  }

  attr(name: string, value: string | number): void {
    this.write((s) => s.setAttribute(name, value));
  }

  /** Pages of the stored messages (`get_messages`); undefined when the store is not there or failed. */
  messagePages(): MessagePages | undefined {
    if (!this.store || this.failed) return undefined;
    this.pages ??= new MessagePages(this.store);
    return this.pages;
  }

  get dbFile(): string {
    return this.store?.dbFile ?? layerFile(this.tracking, 'db');
  }

  close(): void {
    this.pages?.close();
    this.store?.close();
  }
}

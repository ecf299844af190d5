/**
 * Collecting the launches of one `!JobArray` into one array submission: a
 * tier launches an array's children one by one, a cluster takes them best as
 * one array job. Launches of the same array (same base name, parent, kind,
 * resources and environment) arriving within `ARRAY_WINDOW_MS` of each other
 * are held back and handed over together: when the whole array is there, when
 * the window passes without another, or at the latest `ARRAY_MAX_WAIT_MS`
 * after the first.
 */
import type { LaunchRequest } from './scheduler.js';

/** Launches of one array arriving within this window (ms, restarted by each) become one array job. */
export const ARRAY_WINDOW_MS = 20;
/** …but a batch waits at most this long after its first launch. */
export const ARRAY_MAX_WAIT_MS = 250;

/** What the batcher needs of a scheduler's record of a child: its (parsed) launch request, with `array` set. */
export interface BatchedChild {
  readonly request: Pick<LaunchRequest, 'array' | 'path' | 'kind' | 'resources' | 'env'>;
}

interface Batch<R> {
  key: string;
  /** The array's dotted path (`nightly.sims`): the name of the array job. */
  label: string;
  size: number;
  records: R[];
  firstAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * `add` holds a child back; `flush(records, label)` receives the children of
 * one array, in launch order (at least one), when their batch is complete.
 * `remove` takes back a child that was stopped before its batch was flushed.
 */
export class ArrayBatcher<R extends BatchedChild> {
  private readonly batches = new Map<string, Batch<R>>();
  private readonly batchOf = new Map<R, Batch<R>>();

  constructor(private readonly flush: (records: R[], label: string) => void) {}

  /** Hold `record` (a child with `request.array`) until its batch is complete. */
  add(record: R): void {
    const { request } = record;
    const array = request.array!;
    const key = JSON.stringify([array.base, request.path.slice(0, -1), request.kind, request.resources, request.env]);
    let batch = this.batches.get(key);
    if (!batch) {
      const label = [...request.path.slice(0, -1), array.base].join('.') || array.base;
      batch = { key, label, size: array.size, records: [], firstAt: Date.now() };
      this.batches.set(key, batch);
    }
    this.batchOf.set(record, batch);
    batch.records.push(record);
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = undefined;
    if (batch.records.length >= batch.size) {
      this.flushBatch(batch);
      return;
    }
    const wait = Math.max(0, Math.min(ARRAY_WINDOW_MS, batch.firstAt + ARRAY_MAX_WAIT_MS - Date.now()));
    const b = batch;
    batch.timer = setTimeout(() => this.flushBatch(b), wait);
  }

  /** Take `record` back (it was stopped); true when it was still held. */
  remove(record: R): boolean {
    const batch = this.batchOf.get(record);
    if (!batch) return false;
    this.batchOf.delete(record);
    batch.records = batch.records.filter((r) => r !== record);
    if (batch.records.length === 0) {
      if (batch.timer) clearTimeout(batch.timer);
      this.batches.delete(batch.key);
    }
    return true;
  }

  private flushBatch(batch: Batch<R>): void {
    if (batch.timer) clearTimeout(batch.timer);
    if (this.batches.get(batch.key) === batch) this.batches.delete(batch.key);
    const records = batch.records;
    for (const r of records) this.batchOf.delete(r);
    if (records.length > 0) this.flush(records, batch.label);
  }
}

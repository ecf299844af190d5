/**
 * Coalescing a cluster scheduler's stop commands: every job id queued during
 * one tick of the event loop goes out in one call per kind (`scancel
 * --signal=TERM` and `scancel`, `qdel` and `qdel -f`), in chunks of at most
 * `idsPerCall` so that argv stays small, instead of one command per child.
 */

/** `items` in consecutive chunks of at most `size`. */
export function inChunks<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let at = 0; at < items.length; at += size) chunks.push(items.slice(at, at + size));
  return chunks;
}

export interface JobIdQueueOptions<K extends string> {
  /** The kinds of call, flushed in this order. */
  kinds: readonly K[];
  /** Most job ids in one call. */
  idsPerCall: number;
  /** Send one call of `kind` for `ids`; never rejects (a failure is the scheduler's to report). */
  send(kind: K, ids: string[]): Promise<void>;
  /** After every call of one flush has answered (e.g. poll soon). */
  afterFlush?(): void;
}

export class JobIdQueue<K extends string> {
  private readonly queued = new Map<K, Set<string>>();
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: JobIdQueueOptions<K>) {
    for (const kind of options.kinds) this.queued.set(kind, new Set());
  }

  /** Queue `id` for a call of `kind`, sent on the next tick with the others. */
  add(kind: K, id: string): void {
    this.queued.get(kind)!.add(id);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  /** Settles when the calls queued so far have answered (at once when none are). */
  get settled(): Promise<void> {
    return this.flushing ?? Promise.resolve();
  }

  private async flush(): Promise<void> {
    const batches = this.options.kinds.map((kind) => {
      const set = this.queued.get(kind)!;
      const ids = [...set];
      set.clear();
      return [kind, ids] as const;
    });
    this.flushing = undefined;
    const calls: Promise<void>[] = [];
    for (const [kind, ids] of batches) {
      for (const chunk of inChunks(ids, this.options.idsPerCall)) calls.push(this.options.send(kind, chunk));
    }
    await Promise.all(calls);
    this.options.afterFlush?.();
  }
}

/**
 * `gator logs [RUN] [JOB_PATH]`: the messages of a subtree in time order,
 * merged across its layers' databases. With `--follow` it keeps polling the
 * files (WAL, committed every ~100 ms by running layers) and stops once the
 * root records `stopped` and nothing more arrives.
 *
 * Gator's own notices (why a job failed, why one was skipped) are not
 * messages of the jobs (docs/run-model.md): they are shown apart, marked
 * `[gator]` instead of a severity, and `--severity` (which selects messages)
 * leaves them out, so `--severity ERROR` lists each error a job printed once.
 */
import { closeRun, isOldNoticeLine, openLayerReader, walkRun, type LayerReader, type RunNode } from '@gator/db';
import { severityName, type ApiMessage } from '@gator/protocol';
import { clock, colorsFor, dotted, severityTag, type Colors } from '../render/format.js';
import { terminalSafe } from '../render/terminal-text.js';
import { eachRunNode, findRunNode } from './run-nodes.js';

export interface LogsOptions {
  /** Root tracking directory of the run. */
  run: string;
  jobPath?: string;
  /** At or above this level (default: everything). */
  minSeverity?: number;
  grep?: RegExp;
  follow?: boolean;
  /** One JSON object a line instead of text. */
  json?: boolean;
  /** Poll period while following (default 250 ms). */
  pollMs?: number;
  /** Ends following (Ctrl-C). */
  signal?: AbortSignal;
}

export interface LogLine extends ApiMessage {
  path: string[];
  /** Set for one of Gator's notices (its kind), not a message of the layer. */
  notice?: string;
}

/** A message, or one of Gator's notices (`notice` set), of one layer. */
type Entry = ApiMessage & { notice?: string };

interface Cursor {
  readonly path: string[];
  readonly order: number;
  failure: string | undefined;
  peek(): Entry | undefined;
  shift(): Entry | undefined;
  drainNew(): Entry[];
}

/** Messages a page: a layer's reader is opened per page, so a huge run never holds every file open. */
const PAGE = 500;

/**
 * One layer's messages, read forward by uid. The lines Gator logged as
 * messages before it had notices (`Job failed: …`, `Skipping …`) are shown as
 * notices (older and Python runs).
 */
class LayerCursor implements Cursor {
  after = 0;
  private buffer: Entry[] = [];
  private exhausted = false;
  constructor(
    readonly path: string[],
    readonly dbFile: string,
    readonly order: number,
    private readonly query: { minSeverity?: number; grep?: RegExp },
    private readonly kind: 'tier' | 'wrapper',
  ) {}

  /** Why the last read failed (reported at the end if it never recovers). */
  failure: string | undefined;

  /** A page as read (its length tells whether more follow) and what of it is shown. */
  private readPage(limit: number): { raw: number; last: number | undefined; shown: Entry[] } {
    const page = this.read(limit);
    const shown: Entry[] = [];
    for (const m of page) {
      if (!isOldNoticeLine(this.kind, m.message)) shown.push(m);
      else if (this.query.minSeverity === undefined) shown.push({ ...m, notice: 'gator' });
    }
    return { raw: page.length, last: page[page.length - 1]?.uid, shown };
  }

  private read(limit: number): ApiMessage[] {
    let reader: LayerReader | undefined;
    try {
      reader = openLayerReader(this.dbFile);
      const page = reader.messages({ ...this.query, after: this.after, limit });
      this.failure = undefined;
      return page;
    } catch (error) {
      // A layer being created is read again at the next poll; one that stays unreadable is reported.
      this.failure = (error as Error).message;
      return [];
    } finally {
      reader?.close();
    }
  }

  /** Next message in uid order, paging as needed (for the initial merge). */
  peek(): Entry | undefined {
    while (this.buffer.length === 0 && !this.exhausted) {
      const page = this.readPage(PAGE);
      if (page.raw < PAGE) this.exhausted = true;
      if (page.last !== undefined) this.after = page.last;
      this.buffer = page.shown;
    }
    return this.buffer[0];
  }

  shift(): Entry | undefined {
    const m = this.peek();
    if (m) this.buffer.shift();
    return m;
  }

  /** Everything new since the last read (following). */
  drainNew(): Entry[] {
    const out: Entry[] = [];
    for (;;) {
      const page = this.readPage(PAGE);
      out.push(...page.shown);
      if (page.last !== undefined) this.after = page.last;
      if (page.raw < PAGE) return out;
    }
  }
}

/** One layer's notices (GatorNotice), read forward by uid; their `path` names the job below the layer. */
class NoticeCursor implements Cursor {
  private after = 0;
  private buffer: Entry[] | undefined;
  failure: string | undefined;
  constructor(
    readonly path: string[],
    readonly dbFile: string,
    readonly order: number,
    private readonly grep: RegExp | undefined,
  ) {}

  private read(): Entry[] {
    let reader: LayerReader | undefined;
    try {
      reader = openLayerReader(this.dbFile);
      const rows = reader.notices().filter((n) => n.uid > this.after);
      if (rows.length > 0) this.after = rows[rows.length - 1]!.uid;
      return rows
        .filter((n) => !this.grep || this.grep.test(n.message))
        .map((n) => ({ uid: n.uid, severity: 0, timestamp: n.timestamp, message: n.path ? `${n.path}: ${n.message}` : n.message, notice: n.kind }));
    } catch {
      // Notices are extra: a layer that cannot be read is reported by its message cursor.
      return [];
    } finally {
      reader?.close();
    }
  }

  peek(): Entry | undefined {
    this.buffer ??= this.read();
    return this.buffer[0];
  }

  shift(): Entry | undefined {
    const m = this.peek();
    if (m) this.buffer!.shift();
    return m;
  }

  drainNew(): Entry[] {
    this.buffer = undefined;
    return this.read();
  }
}

/** Binary min-heap of cursors by (timestamp of their next message, tree order). */
class CursorHeap {
  private items: { cursor: Cursor; head: Entry }[] = [];
  private less(a: { cursor: Cursor; head: Entry }, b: { cursor: Cursor; head: Entry }): boolean {
    return a.head.timestamp < b.head.timestamp || (a.head.timestamp === b.head.timestamp && a.cursor.order < b.cursor.order);
  }
  push(cursor: Cursor): void {
    const head = cursor.peek();
    if (!head) return;
    const items = this.items;
    items.push({ cursor, head });
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(items[i]!, items[p]!)) break;
      [items[i], items[p]] = [items[p]!, items[i]!];
      i = p;
    }
  }
  pop(): Cursor | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(items[l]!, items[m]!)) m = l;
        if (r < items.length && this.less(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top.cursor;
  }
}

/** Writes that wait for a slow pipe and stop quietly when the reader goes away (`| head`). */
class LineWriter {
  closed = false;
  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('error', () => {
      this.closed = true;
    });
  }
  async write(text: string): Promise<void> {
    if (this.closed) return;
    if (!this.out.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('error', done);
          this.out.off('close', done);
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('error', done);
        this.out.on('close', done);
      });
    }
  }
}

export function formatLogLine(line: LogLine, rootIdent: string, c: Colors): string {
  const p = line.path.length > 1 && line.path[0] === rootIdent ? line.path.slice(1) : line.path;
  const tag = line.notice !== undefined ? c.magenta(`[${'gator'.padEnd(7)}]`) : severityTag(line.severity, c);
  return `${c.dim(`[${clock(line.timestamp)}]`)} ${tag} ${c.dim(terminalSafe(dotted(p)))} ${terminalSafe(line.message)}`;
}

function jsonLine(line: LogLine): string {
  if (line.notice !== undefined) {
    return JSON.stringify({ timestamp: line.timestamp, notice: line.notice, path: dotted(line.path), message: line.message });
  }
  return JSON.stringify({
    timestamp: line.timestamp,
    severity: severityName(line.severity),
    level: line.severity,
    path: dotted(line.path),
    uid: line.uid,
    message: line.message,
  });
}

interface Scope {
  rootIdent: string;
  /** Layers of the subtree asked for: dbFile → path and kind. */
  layers: Map<string, { path: string[]; kind: 'tier' | 'wrapper' }>;
  stopped: boolean;
}

function readScope(options: LogsOptions): Scope {
  const root = walkRun(options.run);
  try {
    const top = options.jobPath ? findRunNode(root, options.jobPath) : root;
    const layers = new Map<string, { path: string[]; kind: 'tier' | 'wrapper' }>();
    for (const n of eachRunNode(top) as Iterable<RunNode>) if (n.exists) layers.set(n.dbFile, { path: n.path, kind: n.kind });
    let stopped = false;
    try {
      stopped = root.reader.attribute('stopped') !== undefined;
    } catch {
      stopped = false;
    }
    return { rootIdent: root.ident, layers, stopped };
  } finally {
    closeRun(root);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Prints the messages; resolves with the exit code (130 when following was interrupted, 1 when a layer could not be read). */
export async function logsCommand(options: LogsOptions, out: NodeJS.WriteStream, err?: NodeJS.WritableStream): Promise<number> {
  const cursors = new Map<string, Cursor>();
  const code = await printLogs(options, out, cursors);
  const unreadable = [...cursors.values()].filter((c) => c.failure !== undefined);
  for (const c of unreadable) err?.write(`gator: the messages of ${dotted(c.path)} could not be read: ${c.failure}\n`);
  return code === 0 && unreadable.length > 0 ? 1 : code;
}

async function printLogs(options: LogsOptions, out: NodeJS.WriteStream, cursors: Map<string, Cursor>): Promise<number> {
  const c = colorsFor(out);
  const writer = new LineWriter(out);
  const query = {
    ...(options.minSeverity !== undefined ? { minSeverity: options.minSeverity } : {}),
    ...(options.grep ? { grep: options.grep } : {}),
  };
  let scope = readScope(options);
  const addCursors = () => {
    for (const [dbFile, { path: p, kind }] of scope.layers) {
      if (cursors.has(dbFile)) continue;
      cursors.set(dbFile, new LayerCursor(p, dbFile, cursors.size, query, kind));
      // Notices are not messages: --severity (which selects messages) leaves them out.
      if (options.minSeverity === undefined) cursors.set(`${dbFile}#notices`, new NoticeCursor(p, dbFile, cursors.size, options.grep));
    }
  };
  const emit = async (path: string[], m: Entry) => {
    const line: LogLine = { ...m, path };
    await writer.write(`${options.json ? jsonLine(line) : formatLogLine(line, scope.rootIdent, c)}\n`);
  };

  // Everything so far, merged in time order.
  addCursors();
  const heap = new CursorHeap();
  for (const cursor of cursors.values()) heap.push(cursor);
  for (let cursor = heap.pop(); cursor && !writer.closed; cursor = heap.pop()) {
    const m = cursor.shift()!;
    await emit(cursor.path, m);
    heap.push(cursor);
  }
  if (!options.follow || writer.closed) return 0;

  // Following: poll for new layers and new messages until the root has stopped and gone quiet.
  const pollMs = options.pollMs ?? 250;
  let lastWalk = Date.now();
  let quietSinceStop = 0;
  while (!writer.closed && !options.signal?.aborted) {
    await sleep(pollMs, options.signal);
    if (options.signal?.aborted) break;
    const wasStopped = scope.stopped;
    if (Date.now() - lastWalk >= 1000 || wasStopped) {
      try {
        scope = readScope(options);
      } catch {
        // The root is being written; try again at the next poll.
      }
      lastWalk = Date.now();
      addCursors();
    } else {
      try {
        const reader = openLayerReader(options.run);
        try {
          scope.stopped = reader.attribute('stopped') !== undefined;
        } finally {
          reader.close();
        }
      } catch {
        // as above
      }
    }
    const batch: { path: string[]; m: Entry; order: number }[] = [];
    for (const cursor of cursors.values()) for (const m of cursor.drainNew()) batch.push({ path: cursor.path, m, order: cursor.order });
    batch.sort((a, b) => a.m.timestamp - b.m.timestamp || a.order - b.order || a.m.uid - b.m.uid);
    for (const { path, m } of batch) await emit(path, m);
    if (scope.stopped) {
      // A layer logs its last lines just after `stopped`: wait for a few quiet polls.
      quietSinceStop = batch.length === 0 ? quietSinceStop + 1 : 0;
      if (quietSinceStop * pollMs >= 1000) return 0;
    }
  }
  return options.signal?.aborted ? 130 : 0;
}

/**
 * The job's output limit (`output_limit` of the spec, `--output-limit-*`): how
 * many lines and bytes of the job's own messages (its output and what it logs
 * through the job API) are stored. A job that prints without end must not
 * fill the disk, and what matters most is usually at the start (set-up) and
 * at the end (the error that stopped it). So the first lines are stored as
 * they come; once the head is full, the last lines are held in memory (a
 * tenth of the limit) and stored when the job ends; the lines between are
 * dropped and counted. Every message is still counted by severity, so the
 * verdict and the limits see all of them.
 *
 * `CappedRawLog` does the same for the raw bytes of `raw_<pid>.log`.
 */
import type { RawLog } from '@gator/db';
import type { OutputLimit } from '@gator/protocol';

/** The share of each limit kept for the tail: the last tenth. */
const TAIL_SHARE = 0.1;

export interface HeldMessage {
  severity: number;
  message: string;
  timestamp: number;
  logFile: boolean;
}

export interface DroppedOutput {
  lines: number;
  bytes: number;
}

/** `12,345 lines (6.2 MB)`: for the notices. */
export function describeAmount(lines: number, bytes: number): string {
  return `${lines.toLocaleString('en-US')} line${lines === 1 ? '' : 's'} (${formatBytes(bytes)})`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Head and tail of the job's messages within `limit`. */
export class OutputCap {
  readonly limit: OutputLimit;
  /** Lines dropped from the middle so far (evicted from the tail). */
  readonly dropped: DroppedOutput = { lines: 0, bytes: 0 };
  private readonly headLines: number;
  private readonly headBytes: number;
  private readonly tailLines: number;
  private readonly tailBytes: number;
  private storedLines = 0;
  private storedBytes = 0;
  private full = false;
  /** The tail, oldest first (a queue with a moving start: no shifting on the hot path). */
  private tail: HeldMessage[] = [];
  private tailStart = 0;
  private heldBytes = 0;

  constructor(
    limit: OutputLimit,
    /** The head is full (once): from now on only the tail is kept. */
    private readonly onFull: (cap: OutputCap) => void,
  ) {
    this.limit = limit;
    this.tailLines = Math.floor(limit.lines * TAIL_SHARE);
    this.tailBytes = Math.floor(limit.bytes * TAIL_SHARE);
    this.headLines = limit.lines - this.tailLines;
    this.headBytes = limit.bytes - this.tailBytes;
  }

  /** Whether the head is full (the tail is being held). */
  get capped(): boolean {
    return this.full;
  }

  /** True: store the message now. False: it is held for the tail (or dropped later), and counted. */
  admit(severity: number, message: string, timestamp: number, logFile: boolean): boolean {
    const bytes = Buffer.byteLength(message);
    if (!this.full) {
      if (this.storedLines < this.headLines && this.storedBytes + bytes <= this.headBytes) {
        this.storedLines++;
        this.storedBytes += bytes;
        return true;
      }
      this.full = true;
      this.onFull(this);
    }
    this.tail.push({ severity, message, timestamp, logFile });
    this.heldBytes += bytes;
    while (this.tail.length - this.tailStart > this.tailLines || this.heldBytes > this.tailBytes) {
      const old = this.tail[this.tailStart]!;
      this.tail[this.tailStart++] = undefined as never;
      const b = Buffer.byteLength(old.message);
      this.heldBytes -= b;
      this.dropped.lines++;
      this.dropped.bytes += b;
      if (this.tailStart === this.tail.length) break;
    }
    if (this.tailStart > 1024 && this.tailStart * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailStart = 0;
    }
    return false;
  }

  /** The held tail, oldest first, to be stored now (the job ended); later messages are held again. */
  takeTail(): HeldMessage[] {
    const out = this.tail.slice(this.tailStart);
    this.tail = [];
    this.tailStart = 0;
    this.storedLines += out.length;
    this.storedBytes += this.heldBytes;
    this.heldBytes = 0;
    return out;
  }
}

/**
 * `raw_<pid>.log` within `maxBytes`: the first bytes are written as they come, the
 * last tenth is held and written at `close()` after a line saying how many bytes
 * were dropped between.
 */
export class CappedRawLog implements RawLog {
  readonly file: string;
  private written = 0;
  private readonly head: number;
  private readonly tailMax: number;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private droppedBytes = 0;

  constructor(
    private readonly raw: RawLog,
    maxBytes: number,
  ) {
    this.file = raw.file;
    this.tailMax = Math.floor(maxBytes * TAIL_SHARE);
    this.head = maxBytes - this.tailMax;
  }

  write(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.written < this.head) {
      const room = this.head - this.written;
      if (buf.length <= room) {
        this.written += buf.length;
        this.raw.write(buf);
        return;
      }
      this.raw.write(buf.subarray(0, room));
      this.written = this.head;
      buf = buf.subarray(room);
    }
    // Copied: the capture's chunk buffers may be pooled.
    this.tail.push(Buffer.from(buf));
    this.tailBytes += buf.length;
    while (this.tailBytes > this.tailMax && this.tail.length > 0) {
      const over = this.tailBytes - this.tailMax;
      const first = this.tail[0]!;
      if (first.length <= over) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.droppedBytes += first.length;
      } else {
        this.tail[0] = first.subarray(over);
        this.tailBytes -= over;
        this.droppedBytes += over;
      }
    }
  }

  close(): void {
    if (this.droppedBytes > 0) this.raw.write(`\n[gator: ${this.droppedBytes} bytes of output dropped here: over the job's output limit]\n`);
    for (const b of this.tail) this.raw.write(b);
    this.tail = [];
    this.raw.close();
  }
}

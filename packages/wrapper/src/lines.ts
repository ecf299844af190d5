/**
 * Turns a job's output stream (arbitrary chunks of bytes) into message lines.
 *
 * Lines end at `\n`; a trailing `\r` and other trailing whitespace are stripped
 * and blank lines skipped (as Python Gator). Bytes are decoded leniently (an
 * invalid sequence becomes U+FFFD, nothing is dropped) with one streaming
 * decoder per stream, so a character split across two chunks survives.
 * A line longer than `maxLineBytes` (UTF-8 bytes) is cut at a character
 * boundary and ends with `… [truncated N bytes]`; the rest of such a line is
 * counted, never buffered, so a job printing gigabytes without a newline
 * cannot exhaust memory.
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export type LineSink = (line: string) => void;

export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  /** Start of the current line, not yet ended by `\n`. */
  private partial = '';
  /** Bytes of the current line dropped past the cap (-1 = not overflowing). */
  private dropped = -1;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  push(chunk: Uint8Array): void {
    this.consume(this.decoder.decode(chunk, { stream: true }));
  }

  /** End of stream: decode what is left and emit a last line without newline. */
  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.consume(rest);
    this.finishLine();
  }

  private consume(text: string): void {
    let start = 0;
    if (this.dropped >= 0) {
      // Inside an over-long line: count bytes up to its end, keep nothing.
      const nl = text.indexOf('\n');
      if (nl < 0) {
        this.dropped += Buffer.byteLength(text);
        return;
      }
      this.dropped += Buffer.byteLength(text.slice(0, nl));
      this.finishLine();
      start = nl + 1;
    } else if (this.partial) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        this.partial += text;
        this.checkPartial();
        return;
      }
      this.partial += text.slice(0, nl);
      this.finishLine();
      start = nl + 1;
    }
    const sink = this.sink;
    const cap = this.maxLineBytes;
    // Hot loop: one slice per line, no other allocation.
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (nl > start) {
        let line = text.slice(start, nl);
        // UTF-16 length is a lower bound of the UTF-8 length, a third of an upper bound.
        if (line.length * 3 > cap) line = this.capLine(line);
        line = trimEnd(line);
        if (line) sink(line);
      }
      start = nl + 1;
    }
    if (start < text.length) {
      this.partial = text.slice(start);
      this.checkPartial();
    }
  }

  private checkPartial(): void {
    if (this.partial.length * 3 <= this.maxLineBytes) return;
    const bytes = Buffer.byteLength(this.partial);
    if (bytes <= this.maxLineBytes) return;
    const head = cutUtf8(this.partial, this.maxLineBytes);
    this.dropped = bytes - Buffer.byteLength(head);
    this.partial = head;
  }

  private capLine(line: string): string {
    return capMessage(line, this.maxLineBytes);
  }

  private finishLine(): void {
    let line = this.partial;
    const dropped = this.dropped;
    this.partial = '';
    this.dropped = -1;
    if (dropped > 0) line = `${trimEnd(line)} … [truncated ${dropped} bytes]`;
    line = trimEnd(line);
    if (line) this.sink(line);
  }
}

/** `String.prototype.trimEnd` without allocating when nothing needs trimming (the common case). */
function trimEnd(line: string): string {
  const last = line.charCodeAt(line.length - 1);
  // Printable ASCII other than space: nothing to trim.
  return last > 32 && last < 127 ? line : line.trimEnd();
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, cut between characters. */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** `text` cut to `maxBytes` UTF-8 bytes, ending with `… [truncated N bytes]` when it was longer. */
export function capMessage(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const head = cutUtf8(text, maxBytes);
  return `${trimEnd(head)} … [truncated ${bytes - Buffer.byteLength(head)} bytes]`;
}

/**
 * What a job (or anyone holding the run's secret) wrote, made safe to print on a
 * terminal. Job output, messages sent through the job API, idents, reasons and
 * metric names are data: an escape sequence in them could clear the screen, retitle
 * the window, move the cursor to forge a result line, or (OSC 52) write the user's
 * clipboard. Every renderer of the CLI passes such text through `terminalSafe`;
 * the stored text stays exactly as the job wrote it (`gator logs --json` gives it
 * back, JSON-escaped).
 *
 * Control characters are shown, not dropped, so a reader sees that they were
 * there: C0 (but tab), DEL and C1 become `\xNN` (`\n`, `\r` as such), and the
 * bidirectional overrides and isolates (which reorder what is shown) `\uNNNN`.
 * A regular expression over code points is the whole job, so no library.
 */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

function visible(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character shown as an escape: one line, nothing the terminal acts on. */
export function terminalSafe(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, visible) : text;
}

/** `terminalSafe` of each line of a multi-line text of Gator's own (an error with its details). */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}

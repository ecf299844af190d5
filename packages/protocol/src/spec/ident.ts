/**
 * What an ident may be. An ident names a directory under its parent's
 * tracking directory and is handed to the child as `--id`, so it must be a
 * plain name: not empty, not `.` or `..`, no `/` or `\`, no leading `-`, no
 * control characters (C0, DEL, C1, U+2028/U+2029), valid Unicode, and at most
 * `SPEC_BOUNDS.identBytes` bytes of UTF-8. Everything else is allowed, spaces
 * and dots inside included (`v1.2`, `run 3`), so every Python Gator spec
 * whose idents are names still loads.
 */
import { SPEC_BOUNDS } from './bounds.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Longest child id (`--id`): an ident plus the `_<index>` of an array copy. */
export const MAX_ID_BYTES = SPEC_BOUNDS.identBytes + `_${SPEC_BOUNDS.repeats - 1}`.length;

/** The one-line rule, for messages and docs. */
export const IDENT_RULE = `a plain name: not empty, not . or .., no / or \\, no leading -, no control characters, at most ${SPEC_BOUNDS.identBytes} bytes`;

/**
 * Why `value` is not a valid ident (or, with `kind: 'id'`, a valid child id
 * as given by `--id`, which may be longer by an array copy's `_<index>`), or
 * undefined when it is.
 */
export function identProblem(value: string, kind: 'ident' | 'id' = 'ident'): string | undefined {
  if (value.length === 0) return 'it is empty';
  if (value === '.' || value === '..') return `'${value}' names a directory, not a child`;
  const separator = /[/\\]/.exec(value);
  if (separator) return `it contains the path separator '${separator[0]}'`;
  if (value.startsWith('-')) return 'it starts with -, so a child would read it as an option';
  const control = CONTROL.exec(value);
  if (control) return `it contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (LONE_SURROGATE.test(value)) return 'it is not valid Unicode: a lone surrogate';
  const bytes = Buffer.byteLength(value, 'utf8');
  const max = kind === 'ident' ? SPEC_BOUNDS.identBytes : MAX_ID_BYTES;
  if (bytes > max) return `it is ${bytes} bytes long, more than ${max}`;
  return undefined;
}

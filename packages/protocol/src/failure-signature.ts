/**
 * Failure signatures: the first error line of a failing job with everything
 * that varies between otherwise-identical failures masked, so failures can be
 * grouped into buckets (`Assertion failed at <path>:<n>`). The wrapper signs its
 * failure with it; the hub uses it to list every member of a bucket.
 */

const MAX_SIGNATURE_LENGTH = 200;

// Order matters: quoted text and times contain digits, paths contain hex-like names.
const QUOTED = /"[^"\n]*"|`[^`\n]*`|(?<![\w'])'[^'\n]*'(?![\w'])/g;
const DATE_TIME = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g;
const TIME = /\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g;
const PATH = /(?:~|\.{1,2})?(?:\/[\w.@+~-]+)+\/?|\b[\w.@+-]+(?:\/[\w.@+~-]+)+\/?/g;
const HEX = /\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi;
const NUMBER = /\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi;

/** Mask numbers, hex, paths, times and quoted strings of one line (whitespace collapsed, at most 200 characters). */
export function failureSignature(text: string): string {
  const firstLine = text.split('\n', 1)[0] ?? '';
  const masked = firstLine
    .replace(QUOTED, '<str>')
    .replace(DATE_TIME, '<time>')
    .replace(TIME, '<time>')
    .replace(PATH, '<path>')
    .replace(HEX, '<hex>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > MAX_SIGNATURE_LENGTH ? `${masked.slice(0, MAX_SIGNATURE_LENGTH - 1)}…` : masked;
}

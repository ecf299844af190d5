import { GatorError } from '../errors.js';
import { formatBoundSeconds, SPEC_BOUNDS } from './bounds.js';

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  sec: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86400,
};

const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|sec|min|s|m|h|d)/gy;

/**
 * Seconds of a duration: a number of seconds, or a string such as `90`, `90s`,
 * `30m`, `2h`, `1h30m`, `1d 2h`, `500ms`, `1.5h`. Throws a `GatorError`
 * (`GATOR_SPEC_INVALID`) for anything else, and for zero, negative or
 * non-finite values (a timeout of nothing is a mistake, not "no timeout"), and
 * for values outside `SPEC_BOUNDS` (1 ms to 365 days).
 */
export function parseDuration(value: unknown): number {
  let seconds: number;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string') {
    seconds = parseDurationText(value);
  } else {
    throw durationError(value, 'a number of seconds or a duration string such as 90s, 30m, 2h or 1h30m');
  }
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw durationError(value, 'a positive duration');
  }
  if (seconds < SPEC_BOUNDS.durationMinSeconds || seconds > SPEC_BOUNDS.durationMaxSeconds) {
    throw durationError(value, `a duration from ${formatBoundSeconds(SPEC_BOUNDS.durationMinSeconds)} to ${formatBoundSeconds(SPEC_BOUNDS.durationMaxSeconds)}`);
  }
  return seconds;
}

function parseDurationText(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === '') throw durationError(text, 'a duration such as 90s, 30m, 2h or 1h30m');
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < trimmed.length) {
    while (trimmed[at] === ' ') at++;
    if (at >= trimmed.length) break;
    PART.lastIndex = at;
    const match = PART.exec(trimmed);
    if (!match) throw durationError(text, 'a duration such as 90s, 30m, 2h or 1h30m (units ms, s, m, h, d)');
    total += Number(match[1]) * UNIT_SECONDS[match[2]!]!;
    at = PART.lastIndex;
  }
  return total;
}

function durationError(value: unknown, expected: string): GatorError {
  const found = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new GatorError('GATOR_SPEC_INVALID', `expected ${expected}, found ${found}`);
}

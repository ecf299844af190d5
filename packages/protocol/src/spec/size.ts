import { GatorError } from '../errors.js';

/** Bytes per unit: decimal (kB, MB, …) and binary (KiB, MiB, …), case-insensitive. */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Bytes of a size: an integer number of bytes, or a string such as `64MiB`,
 * `500 MB`, `1.5GiB`, `1024` (units B, kB/MB/GB/TB decimal, KiB/MiB/GiB/TiB
 * binary). Throws a `GatorError` (`GATOR_SPEC_INVALID`) for anything else and
 * for sizes that are not positive.
 */
export function parseSize(value: unknown): number {
  let bytes: number;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const factor = match ? UNIT_BYTES[(match[2] || 'b').toLowerCase()] : undefined;
    if (!match || factor === undefined) throw sizeError(value, 'a size such as 64MiB, 500MB or 1GiB (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)');
    bytes = Math.floor(Number(match[1]) * factor);
  } else throw sizeError(value, 'a number of bytes or a size such as 64MiB, 500MB or 1GiB');
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw sizeError(value, 'a positive whole number of bytes');
  return bytes;
}

function sizeError(value: unknown, expected: string): GatorError {
  const found = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new GatorError('GATOR_SPEC_INVALID', `expected ${expected}, found ${found}`);
}

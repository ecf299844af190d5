/**
 * The bounds of a spec: how large a file, how many jobs, and the range of
 * every duration, count and size. One list, read by the schemas, the loader,
 * the relational checks and the docs (docs/spec-reference.md shows each, and
 * a test compares the two).
 */

const DAY_SECONDS = 86_400;

export const SPEC_BOUNDS = {
  /** Largest spec file, in bytes (a spec is read up to this, never further). */
  fileBytes: 32 * 1024 * 1024,
  /** Deepest nesting of YAML collections (a spec level is two: mapping + `jobs` list). */
  depth: 128,
  /** Most nodes reached through aliases (each expansion counts): bounds "billion laughs". */
  aliasNodes: 100_000,
  /** Most jobs a spec expands to, counting every copy an array makes. */
  jobs: 100_000,
  /** Most groups and arrays a spec expands to (each is a tier process), counting copies, the root included. */
  tiers: 100_000,
  /** Largest `repeats` of one array. */
  repeats: 100_000,
  /** Longest ident, in UTF-8 bytes (an array copy adds `_<index>`; directories allow 255). */
  identBytes: 200,
  /** Longest tracking path below --tracking (ids joined by `/`, an array copy adding `/<index>`), in bytes: Linux paths stop at 4096. */
  trackingPathBytes: 3072,
  /** Shortest duration (`timeout`, `hang_timeout`), in seconds: 1 ms. */
  durationMinSeconds: 0.001,
  /** Longest duration, in seconds: 365 days. */
  durationMaxSeconds: 365 * DAY_SECONDS,
  /** Most `retries`. */
  retries: 100,
  /** Largest message budget in `limits` (JavaScript's largest exact integer). */
  limit: Number.MAX_SAFE_INTEGER,
  /** Most cores one job may request. */
  cores: 65_536,
  /** Most seats of one license one job may request. */
  licenseSeats: 1_000_000,
  /** Smallest memory request, in MB (1 KB). */
  memoryMinMb: 0.001,
  /** Largest memory request, in MB (1 PB). */
  memoryMaxMb: 1_000_000_000,
  /** Largest seed magnitude (a base seed plus an index stays exact). */
  seedMagnitude: 2 ** 48,
  /** Most log rules of one job, group or array, once presets are expanded. */
  logRules: 100,
  /** Longest log rule pattern, in characters. */
  logPatternChars: 4096,
} as const;

export type SpecBounds = typeof SPEC_BOUNDS;

/** A duration in seconds as the docs write it: `1ms`, `365d`. */
export function formatBoundSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds % DAY_SECONDS === 0) return `${seconds / DAY_SECONDS}d`;
  return `${seconds}s`;
}

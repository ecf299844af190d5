/**
 * The V8 flags every child layer (wrapper, nested tier) is started with: a child
 * idles beside its job for most of its life, so it trades a little start-up work
 * for resident memory (bench case `memory`, bench/README.md "Where the costs are"):
 * - `--max-semi-space-size=1`: a young generation of 2 × 1 MiB, not one grown to
 *   2 × 4 MiB while the layer code initialises and kept for the child's whole life;
 * - `--interrupt-budget=1000000` (V8's default 67584): code must run ~15× longer
 *   before it is optimised, so start-up code is never handed to TurboFan (whose
 *   own pages, ~3.5 MiB of the Node binary, a child then never touches), while a
 *   job's stdout loop still is within its first few thousand lines;
 * - `--optimize-for-size`: V8's smaller object layouts and caches.
 * The build's code-cache warm-up runs with the same flags (V8 rejects a cache made
 * under others: tsup.config.ts), so this list is the one source of both.
 */
export const CHILD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--interrupt-budget=1000000', '--optimize-for-size'];

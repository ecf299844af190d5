/**
 * The V8 flags every child layer (wrapper, nested tier) is started with. A child
 * idles beside its job for most of its life: `--interrupt-budget=500000` (V8's
 * default 67584) lets code run ~7× longer before V8 optimises it, so a child's
 * start-up code is never handed to TurboFan, whose own code (~3.4 MiB of the Node
 * binary) and working memory a child then never touches (~4 MiB of RSS,
 * bench case `memory`), at no measurable CPU per job; a job's stdout loop or API
 * messages still get optimised within their first few thousand lines (250000 was
 * not enough: start-up code still reached TurboFan).
 * Measured and left out, as they cost CPU per job (~50 ms each, about 1 MiB each):
 * `--max-semi-space-size=1` (more scavenges while the layer code initialises) and
 * `--optimize-for-size`. See bench/README.md "Where the costs are".
 * The build's code-cache warm-up runs with the same flags (V8 rejects a cache made
 * under others: tsup.config.ts), so this list is the one source of both.
 */
export const CHILD_NODE_FLAGS: readonly string[] = ['--interrupt-budget=500000'];

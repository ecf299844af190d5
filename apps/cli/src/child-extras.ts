/**
 * What a child layer rarely runs, kept out of the layer bundle (dist/child-layer.cjs) and so
 * out of its startup snapshot: every child holds its bundle's source and what the snapshot
 * made of it, and these were ~350 KB of its 1.2 MB (~0.9 MiB of each wrapper and tier, bench
 * case `memory`). Each is in a file of its own beside the bundle, required on first use: the
 * Slurm and Grid Engine schedulers (only a nested tier of a run on a cluster loads them) and
 * re2js (only a job with `log_rules` patterns). The build (tsup.config.ts) and the layer
 * bundle's stand-ins for them take the names from here.
 */

/** Each module kept out: the file in dist/ that holds it (`<file>.cjs`, the build's entry) and its export there. */
export const CHILD_EXTRAS = {
  '@gator/scheduler-slurm': { file: 'child-schedulers', name: 'slurm' },
  '@gator/scheduler-sge': { file: 'child-schedulers', name: 'sge' },
  re2js: { file: 'child-re2js', name: 're2js' },
} as const satisfies Record<string, { file: string; name: string }>;

/**
 * The layer bundle's own instances of the modules an extra imports, lent to it under this
 * global symbol (`Symbol.for`) before it is required: the schedulers must share the layer's
 * protocol (its error classes, its scheduler contract) and zod, not bundle second copies.
 */
export const CHILD_SHARED_KEY = 'gator.child.shared';
export const CHILD_SHARED_MODULES = ['@gator/protocol', 'zod'] as const;

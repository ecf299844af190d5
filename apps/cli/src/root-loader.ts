/**
 * How the `gator` command starts (dist/root.cjs, required by dist/cli.js): it runs
 * dist/root-bundle.cjs (src/root-entry.ts, the CLI and every package it runs bundled
 * into one CommonJS file) from a V8 code cache beside it, as children do
 * (child-loader.ts; the machinery is code-cache.ts). Loading the CLI as ES modules
 * cost ~0.35 CPU s before any command ran: Node 20 lexes every CommonJS package
 * imported from ESM (ws, yaml, better-sqlite3, picocolors) and resolves every file
 * through the ESM loader, then compiles all of it.
 *
 * The build writes the cache (`node dist/root.cjs --write-code-cache`, loading what
 * `gator run` loads); the first `gator run` replaces it once with one that also holds
 * what a run compiled. A rejected or missing cache is the silent fallback: the bundle
 * is compiled from its source and a fresh cache written.
 */
import path from 'node:path';
import { runCachedBundle } from './code-cache.js';

// Only when this file is the script itself (the build): `gator --write-code-cache` is a user's mistake, not a warm-up.
const warmOnly = require.main === module && process.argv[2] === '--write-code-cache';
if (warmOnly) process.env.GATOR_ROOT_WARM_UP = '1';
runCachedBundle({
  file: path.join(__dirname, 'root-bundle.cjs'),
  cacheName: 'root-bundle',
  warmOnly,
  // A `gator --version` or `gator show` compiles little of what a run needs: only a run replaces the build's cache.
  replacesWarmUp: (exports) => (exports.ranRun as (() => boolean) | undefined)?.() === true,
});

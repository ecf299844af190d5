/**
 * Entry of the child build (dist/child-layer.cjs, run by dist/child.cjs, see
 * child-loader.ts): what a tier starts for each wrapper and nested tier. It is
 * child-main.ts bundled with every package a layer runs into one CommonJS file:
 * Node 20 imports a CommonJS package from ES modules through a WASM lexer and
 * the ESM loader's per-file resolution (ws, yaml, better-sqlite3 are CommonJS),
 * which cost a child more than loading the code itself.
 */
import { childMain } from './child-main.js';
import { warmUpChild } from './child-warm-up.js';
import { exitWhenDone } from './exit-when-done.js';

/** Run the child layer of this process's command line (the startup snapshot's main calls it: child-snapshot.ts). */
export function start(): void {
  const argv = process.argv.slice(2);
  exitWhenDone(childMain(argv[0] === '--' ? argv.slice(1) : argv));
}

if (process.env.GATOR_CHILD_WARM_UP === '1') {
  // The build's warm-ups (the code cache, the startup snapshot: child-loader.ts): load every layer's code, run none.
  void Promise.all([import('@gator/wrapper'), import('@gator/tier'), import('@gator/scheduler-local')]);
  // …and run what every child does first, so it comes compiled and its schemas built (child-warm-up.ts).
  warmUpChild();
} else {
  start();
}

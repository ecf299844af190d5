/**
 * Entry of the child build (dist/child-layer.cjs, run by dist/child.cjs, see
 * child-loader.ts): what a tier starts for each wrapper and nested tier. It is
 * child-main.ts bundled with every package a layer runs into one CommonJS file:
 * Node 20 imports a CommonJS package from ES modules through a WASM lexer and
 * the ESM loader's per-file resolution (ws, yaml, better-sqlite3 are CommonJS),
 * which cost a child more than loading the code itself.
 */
import { CredentialFileSchema, dumpSpec, loadSpec } from '@gator/protocol';
import { childMain } from './child-main.js';
import { exitWhenDone } from './exit-when-done.js';

/** Run the child layer of this process's command line (the startup snapshot's main calls it: child-snapshot.ts). */
export function start(): void {
  const argv = process.argv.slice(2);
  exitWhenDone(childMain(argv[0] === '--' ? argv.slice(1) : argv));
}

if (process.env.GATOR_CHILD_WARM_UP === '1') {
  // The build's warm-ups (the code cache, the startup snapshot: child-loader.ts): load every layer's code, run none.
  void Promise.all([import('@gator/wrapper'), import('@gator/tier'), import('@gator/scheduler-local')]);
  // …and do what every wrapper does first: read its credential file and its job's spec, and store
  // the spec back as YAML. Their schemas are built on first use: the snapshot then holds them built
  // (and the code cache what they ran compiled).
  CredentialFileSchema.parse({ credential: 'warm-up', read: 'warm-up' });
  dumpSpec(loadSpec('!Job\nident: warm-up\ncommand: "true"\n', '<warm-up>'));
} else {
  start();
}

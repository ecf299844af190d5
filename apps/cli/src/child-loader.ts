/**
 * What a tier starts for each child: `node FLAGS… dist/child.cjs --parent H:P --id ID …`
 * (FLAGS: child-node-flags.ts).
 * It runs dist/child-layer.cjs (src/child.ts bundled into one CommonJS file)
 * from a V8 code cache kept beside it: compiling that file was a third of a
 * child's start-up, and Node 20 has no compile cache of its own
 * (`module.enableCompileCache` is Node 22).
 *
 * The cache is made by the build (`node dist/child.cjs --write-code-cache`),
 * replaced once by the first real child (then it holds what a layer runs too),
 * and rewritten by a child that finds it missing or rejected: V8 rejects a
 * cache made by another Node version, build or set of flags, and the child then
 * compiles the source as if there were none (the silent fallback). Where dist/
 * is read-only the cache goes to the temporary directory, private to the user.
 * The machinery is code-cache.ts (the root's loader uses it too).
 */
import path from 'node:path';
import { runCachedBundle } from './code-cache.js';

const warmOnly = process.argv[2] === '--write-code-cache';
if (warmOnly) {
  // The build's warm-up: load the layer code without running a layer.
  process.env.GATOR_CHILD_WARM_UP = '1';
}
runCachedBundle({ file: path.join(__dirname, 'child-layer.cjs'), cacheName: 'child-layer', warmOnly });

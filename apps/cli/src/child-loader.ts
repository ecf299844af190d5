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
 *
 * A child on this machine starts from the layer's startup snapshot instead when the
 * build could make one (child-snapshot.ts): this file is then the snapshot's builder
 * (`node --build-snapshot`), and `--write-snapshot` makes and seals it.
 */
import path from 'node:path';
import { runCachedBundle } from './code-cache.js';
import { buildChildSnapshot, buildingSnapshot, writeChildSnapshot } from './child-snapshot.js';

/** The build's warm-ups load the layer code without running a layer (child-entry.ts). */
const warmUp = (on: boolean) => {
  if (on) process.env.GATOR_CHILD_WARM_UP = '1';
  else delete process.env.GATOR_CHILD_WARM_UP;
};

if (buildingSnapshot()) {
  buildChildSnapshot(__dirname, require, warmUp);
} else if (process.argv[2] === '--write-snapshot') {
  const why = writeChildSnapshot(__dirname, __filename);
  if (why) process.stderr.write(`gator: no startup snapshot for child layers (they start from the code cache): ${why}\n`);
} else {
  const warmOnly = process.argv[2] === '--write-code-cache';
  if (warmOnly) warmUp(true);
  runCachedBundle({ file: path.join(__dirname, 'child-layer.cjs'), cacheName: 'child-layer', warmOnly });
}

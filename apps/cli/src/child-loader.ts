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
 */
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

const bundle = path.join(__dirname, 'child-layer.cjs');
/**
 * V8 rejects a cache made under other V8 flags (`--max-old-space-size` in NODE_OPTIONS, say):
 * children started with other flags keep a cache of their own instead of rewriting one in turn.
 */
function flagsKey(): string {
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.trim();
  if (flags === '') return '';
  let hash = 0x811c9dc5; // FNV-1a, enough to tell flag sets apart in a file name
  for (let i = 0; i < flags.length; i += 1) hash = Math.imul(hash ^ flags.charCodeAt(i), 0x01000193) >>> 0;
  return `-f${hash.toString(16)}`;
}
const cacheName = `child-layer-${process.version}-${process.arch}${flagsKey()}.v8cache`;
const places = [path.join(__dirname, cacheName), path.join(os.tmpdir(), `gator-${process.getuid?.() ?? 0}-${Buffer.from(__dirname).toString('base64url').slice(-40)}-${cacheName}`)];
const warmOnly = process.argv[2] === '--write-code-cache';

/**
 * V8 checks a cache against the source's length, not its content: only a file that
 * no one else could have written is used (dist/ is as trusted as the code beside it;
 * in the shared temporary directory the file must be ours and not writable by others).
 */
function trusted(file: string, index: number): boolean {
  if (index === 0) return true;
  const stat = fs.statSync(file);
  return stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
}

function readCache(): { data: Buffer; file: string } | undefined {
  for (const [index, file] of places.entries()) {
    try {
      if (trusted(file, index)) return { data: fs.readFileSync(file), file };
    } catch {
      /* the next place */
    }
  }
  return undefined;
}

/**
 * Whether this child should replace a cache the build's warm-up made: that one holds
 * the module code only, one written after a real layer also what the layer ran
 * (measured: ~10% less CPU per job). The first child to take the marker does it.
 */
function takeWarmUpMarker(file: string): boolean {
  try {
    fs.unlinkSync(`${file}.warm-up`);
    return true;
  } catch {
    return false;
  }
}

function writeCache(data: Buffer): string | undefined {
  for (const [index, file] of places.entries()) {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      // Exclusive create (no following a planted link); readable by all only beside the code.
      fs.writeFileSync(tmp, data, { mode: index === 0 ? 0o644 : 0o600, flag: 'wx' });
      fs.renameSync(tmp, file);
      return file;
    } catch {
      /* read-only: the next place */
    }
  }
  return undefined;
}

let cached = warmOnly ? undefined : readCache();
// The build writes the bundle ASCII-only and already wrapped as a module function
// (tsup.config.ts): read as latin1, a file this large becomes one external one-byte
// string, the source V8 keeps (it compiles lazily from it), not a two-byte copy in the heap.
const script = new vm.Script(fs.readFileSync(bundle, 'latin1'), {
  filename: bundle,
  ...(cached ? { cachedData: cached.data } : {}),
});
const stale = cached === undefined || script.cachedDataRejected === true;
const cacheFile = cached?.file;
// Only the compile needed the cache's bytes (1.2 MB): let the next GC take them.
cached = undefined;
// After the run, so the cache holds the functions a child ran compiled too, not only the top level.
if (warmOnly) {
  process.once('exit', () => {
    const file = writeCache(script.createCachedData());
    if (file) fs.writeFileSync(`${file}.warm-up`, '');
  });
} else if (stale || takeWarmUpMarker(cacheFile!)) {
  process.once('exit', () => writeCache(script.createCachedData()));
}
if (warmOnly) {
  // The build's warm-up: load the layer code without running a layer.
  process.env.GATOR_CHILD_WARM_UP = '1';
}
// The layer code cannot import() from a vm.Script in Node 20; this module can (src/dynamic-import.ts).
(globalThis as Record<symbol, unknown>)[Symbol.for('gator.child.import')] = (url: string) => import(url);
const child = { exports: {}, id: bundle, filename: bundle, loaded: false, children: [], paths: [] };
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
run(child.exports, Module.createRequire(bundle), child, bundle, path.dirname(bundle));

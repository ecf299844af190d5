/**
 * Run a CommonJS bundle from a V8 code cache kept beside it (Node 20 has no compile
 * cache of its own: `module.enableCompileCache` is Node 22). The machinery of
 * child-loader.ts, for any bundle the build writes already wrapped as a module
 * function (tsup.config.ts): the root CLI's loader (root-loader.ts) uses it.
 *
 * The cache is made by the build (`--write-code-cache`: the bundle is loaded, not
 * run, and the cache written with a `.warm-up` marker beside it); a real run may
 * replace the build's once (it then holds what that run compiled too); a process
 * that finds it missing or rejected writes a fresh one. V8 rejects a cache made by
 * another Node version, build or set of flags, and the bundle is then compiled from
 * its source as if there were none (the silent fallback). Where the bundle's folder
 * is read-only the cache goes to the temporary directory, private to the user.
 */
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/**
 * V8 rejects a cache made under other V8 flags (`--max-old-space-size` in NODE_OPTIONS, say):
 * processes started with other flags keep a cache of their own instead of rewriting one in turn.
 */
function flagsKey(): string {
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.trim();
  if (flags === '') return '';
  let hash = 0x811c9dc5; // FNV-1a, enough to tell flag sets apart in a file name
  for (let i = 0; i < flags.length; i += 1) hash = Math.imul(hash ^ flags.charCodeAt(i), 0x01000193) >>> 0;
  return `-f${hash.toString(16)}`;
}

/** Where a cache named NAME may be, in order: beside the bundle, then the user's temporary directory. */
function cachePlaces(dir: string, name: string): string[] {
  const cacheName = `${name}-${process.version}-${process.arch}${flagsKey()}.v8cache`;
  return [path.join(dir, cacheName), path.join(os.tmpdir(), `gator-${process.getuid?.() ?? 0}-${Buffer.from(dir).toString('base64url').slice(-40)}-${cacheName}`)];
}

/**
 * V8 checks a cache against the source's length, not its content: only a file that
 * no one else could have written is used (the bundle's folder is as trusted as the code
 * in it; in the shared temporary directory the file must be ours and not writable by others).
 */
function trusted(file: string, index: number): boolean {
  if (index === 0) return true;
  const stat = fs.statSync(file);
  return stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
}

function readCache(places: readonly string[]): { data: Buffer; file: string } | undefined {
  for (const [index, file] of places.entries()) {
    try {
      if (trusted(file, index)) return { data: fs.readFileSync(file), file };
    } catch {
      /* the next place */
    }
  }
  return undefined;
}

/** Whether this process takes the build's `.warm-up` marker (the first to do so replaces that cache). */
function takeWarmUpMarker(file: string): boolean {
  try {
    fs.unlinkSync(`${file}.warm-up`);
    return true;
  } catch {
    return false;
  }
}

function writeCache(places: readonly string[], data: Buffer): string | undefined {
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

export interface CachedBundle {
  /** The bundle: ASCII only, already wrapped as a CommonJS module function (tsup.config.ts). */
  file: string;
  /** The cache's file name stem (the Node version, architecture and flags are added). */
  cacheName: string;
  /** The build's warm-up: compile and load, write the cache at exit, mark it as the build's. */
  warmOnly: boolean;
  /**
   * At exit, with the bundle's module exports: whether this run may replace the build's
   * warm-up cache with one holding what it ran (default: yes).
   */
  replacesWarmUp?: (exports: Record<string, unknown>) => boolean;
}

/** Compile FILE (from its cache when V8 takes it), run it as a CommonJS module, and return its exports. */
export function runCachedBundle(bundle: CachedBundle): Record<string, unknown> {
  const places = cachePlaces(path.dirname(bundle.file), bundle.cacheName);
  let cached = bundle.warmOnly ? undefined : readCache(places);
  // Read as latin1 (the build writes it ASCII-only), a file this large becomes one external
  // one-byte string, the source V8 keeps (it compiles lazily from it), not a two-byte copy in the heap.
  const script = new vm.Script(fs.readFileSync(bundle.file, 'latin1'), {
    filename: bundle.file,
    ...(cached ? { cachedData: cached.data } : {}),
  });
  const stale = cached === undefined || script.cachedDataRejected === true;
  const cacheFile = cached?.file;
  // Only the compile needed the cache's bytes: let the next GC take them.
  cached = undefined;
  const module = { exports: {} as Record<string, unknown>, id: bundle.file, filename: bundle.file, loaded: false, children: [], paths: [] };
  // After the run, so the cache holds the functions the process ran compiled too, not only the top level.
  process.once('exit', () => {
    if (bundle.warmOnly) {
      const file = writeCache(places, script.createCachedData());
      if (file) fs.writeFileSync(`${file}.warm-up`, '');
    } else if (stale || (fs.existsSync(`${cacheFile}.warm-up`) && (bundle.replacesWarmUp?.(module.exports) ?? true) && takeWarmUpMarker(cacheFile!))) {
      writeCache(places, script.createCachedData());
    }
  });
  // Code run from a vm.Script cannot import() in Node 20; this module can (src/dynamic-import.ts).
  (globalThis as Record<symbol, unknown>)[Symbol.for('gator.child.import')] = (url: string) => import(url);
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run(module.exports, Module.createRequire(bundle.file), module, bundle.file, path.dirname(bundle.file));
  return module.exports;
}

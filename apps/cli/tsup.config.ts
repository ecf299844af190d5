import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { defineGatorConfig } from '@gator/tsup-config';
import { CHILD_NODE_FLAGS } from './src/child-node-flags';
import { CHILD_EXTRAS, CHILD_SHARED_KEY, CHILD_SHARED_MODULES } from './src/child-extras';

/**
 * What the child build leaves out: the root-only modules `gator run` loads
 * lazily (the live renderer, the hub link) become empty stubs, and zod's
 * `locales` namespace (400 KiB; only English is used, imported on its own)
 * becomes English alone. Halves the file a child compiles and keeps in memory.
 */
/** `bindings(name)` as better-sqlite3 calls it, for the child build: the addon beside the installed package. */
const SQLITE_ADDON = `
const path = require('node:path');
const PACKAGE = 'better-sqlite3/package.json'; // resolved at run time, not by the bundler
module.exports = function bindings(name) {
  const root = path.dirname(require.resolve(PACKAGE));
  try {
    return require(path.join(root, 'build', 'Release', name));
  } catch {
    // Built elsewhere (a Debug build, a prebuilt layout): let bindings search as it would.
    return require(require.resolve('bindings', { paths: [root] }))({ bindings: name, module_root: root });
  }
};
`;

/**
 * What `ws` requires at load and a child never uses: Gator's websockets are plain `ws://` with
 * `perMessageDeflate: false`, so `https`, `tls` (`wss://` only) and `zlib` (compression only)
 * are loaded on first use instead (~11 CPU ms and 1.4 MiB of a child's start-up).
 */
const WS_UNUSED_BUILTINS = /^(node:)?(https|tls|zlib)$/;
const lazyBuiltin = (name: string) => `
let real;
const load = () => (real ??= require(${JSON.stringify(`node:${name}`)}));
module.exports = new Proxy({}, {
  get: (_target, key) => load()[key],
  has: (_target, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_target, key) => ({ ...Reflect.getOwnPropertyDescriptor(load(), key), configurable: true }),
});
`;

/**
 * Modules a child loads with the layer code but rarely or never runs, made to initialise on
 * first use: re2js (RE2 for `log_rules` patterns, ~3 CPU ms to initialise; most jobs have no
 * rules) becomes an object of getters that requires it when one is read; zod's
 * `fromJSONSchema` (never used by Gator; its module spreads all of zod's exports at load,
 * ~2.5 ms) throws if called.
 */
const LAZY_RE2JS = (names: readonly string[], load: string) => `
let real;
const load = () => (real ??= ${load});
for (const name of ${JSON.stringify(names)}) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });
`;
const NO_FROM_JSON_SCHEMA = `export function fromJSONSchema() { throw new Error('fromJSONSchema is not part of the Gator child build'); }`;

/** The root-only modules `gator run` loads lazily (the live renderer, the hub link), as empty stubs: the child build only. */
const rootOnlyStubs = {
  name: 'gator-root-only',
  setup(build: { onResolve: Function; onLoad: Function }) {
    build.onResolve({ filter: /(render\/create|hub-link)\.js$/ }, (args: { path: string }) => ({ path: args.path, namespace: 'gator-root-only' }));
    build.onLoad({ filter: /.*/, namespace: 'gator-root-only' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** `require` of module M from the child build's file of extras beside the bundle (src/child-extras.ts). */
const requireExtra = (module: keyof typeof CHILD_EXTRAS) => `require(${JSON.stringify(`./${CHILD_EXTRAS[module].file}.cjs`)}).${CHILD_EXTRAS[module].name}`;
/** A filter that matches exactly the module names given. */
const exactly = (names: readonly string[]) => new RegExp(`^(${names.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);
const EXTRA_FILES = [...new Set(Object.values(CHILD_EXTRAS).map((e) => e.file))];
const EXTRA_FILE = exactly(EXTRA_FILES.map((file) => `./${file}.cjs`));
/** The extras the layer code imports with `import()` (re2js, imported statically, has the stand-in of getters below). */
const CLUSTER_SCHEDULERS = exactly(Object.keys(CHILD_EXTRAS).filter((m) => m !== 're2js'));
/** The layer bundle's instances of CHILD_SHARED_MODULES, lent to the extras before one is required (an ES module: the same instances as every import of them). */
const LEND_SHARED = `${CHILD_SHARED_MODULES.map((id, i) => `import * as m${i} from ${JSON.stringify(id)};`).join('')}
globalThis[Symbol.for(${JSON.stringify(CHILD_SHARED_KEY)})] ??= { ${CHILD_SHARED_MODULES.map((id, i) => `${JSON.stringify(id)}: m${i}`).join(', ')} };`;

/**
 * The child build's stand-ins for what it keeps out (src/child-extras.ts): each cluster scheduler
 * (imported with `import()`, so on first use) lends the shared modules and requires its file
 * for the scheduler's factory; re2js's stand-in (gator-lazy-re2js) requires its file when first read.
 */
const childExtras = {
  name: 'gator-child-extras',
  setup(build: { onResolve: Function; onLoad: Function }) {
    build.onResolve({ filter: CLUSTER_SCHEDULERS }, (args: { path: string }) => ({ path: args.path, namespace: 'gator-child-extra' }));
    build.onLoad({ filter: /.*/, namespace: 'gator-child-extra' }, (args: { path: keyof typeof CHILD_EXTRAS }) => ({
      // An ES module of the scheduler's default export (its factory: all src/schedulers.ts imports it for).
      contents: `import 'gator-child-lend-shared';\nexport default ${requireExtra(args.path)}.default;`,
      loader: 'js',
    }));
    build.onResolve({ filter: /^gator-child-lend-shared$/ }, () => ({ path: 'lend-shared', namespace: 'gator-child-lend-shared' }));
    build.onLoad({ filter: /.*/, namespace: 'gator-child-lend-shared' }, () => ({ contents: LEND_SHARED, loader: 'js', resolveDir: path.resolve('src') }));
    build.onResolve({ filter: EXTRA_FILE }, (args: { path: string }) => ({ path: args.path, external: true }));
  },
};

/** The extras' own build: each module it would share with the layer bundle is the one the bundle lent (LEND_SHARED). */
const sharedFromLayer = {
  name: 'gator-child-shared',
  setup(build: { onResolve: Function; onLoad: Function }) {
    build.onResolve({ filter: exactly(CHILD_SHARED_MODULES) }, (args: { path: string }) => ({ path: args.path, namespace: 'gator-child-shared' }));
    build.onLoad({ filter: /.*/, namespace: 'gator-child-shared' }, (args: { path: string }) => ({
      contents: `const shared = globalThis[Symbol.for(${JSON.stringify(CHILD_SHARED_KEY)})];
if (!shared) throw new Error('dist/' + __filename.split('/').pop() + ' is loaded by the child layer bundle only (src/child-extras.ts)');
module.exports = shared[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};

/**
 * What a bundle of the layer code leaves out or loads late (the child build and the root build);
 * EXTRAS: the child build, whose re2js is its file of extras.
 */
const layerCode = (extras: boolean) => ({
  name: 'gator-child-only',
  setup(build: { onResolve: Function; onLoad: Function }) {
    build.onResolve({ filter: /locales\/index\.js$/ }, (args: { path: string; importer: string }) =>
      args.importer.includes(`${path.sep}zod${path.sep}`) ? { path: path.join(path.dirname(args.importer), '../locales/en.js'), namespace: 'gator-zod-en' } : undefined,
    );
    // better-sqlite3's JavaScript is bundled (so it runs from the code cache, not compiled from
    // its files in every child); `bindings`, which finds the addon by trying a dozen paths from a
    // stack trace, becomes a direct load of the installed package's build.
    build.onResolve({ filter: /^bindings$/ }, (args: { importer: string }) =>
      args.importer.includes(`${path.sep}better-sqlite3${path.sep}`) ? { path: 'bindings', namespace: 'gator-sqlite-addon' } : undefined,
    );
    build.onResolve({ filter: WS_UNUSED_BUILTINS }, (args: { path: string; importer: string }) =>
      args.importer.includes(`${path.sep}ws${path.sep}`) ? { path: args.path.replace(/^node:/, ''), namespace: 'gator-lazy-builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'gator-lazy-builtin' }, (args: { path: string }) => ({ contents: lazyBuiltin(args.path), loader: 'js' }));
    build.onResolve({ filter: /^re2js$/ }, (args: { namespace: string; resolveDir: string }) =>
      args.namespace === 'gator-lazy-re2js' ? undefined : { path: 're2js', namespace: 'gator-lazy-re2js', pluginData: args.resolveDir },
    );
    build.onLoad({ filter: /.*/, namespace: 'gator-lazy-re2js' }, (args: { pluginData: string }) => {
      const names = Object.keys(createRequire(path.join(args.pluginData, 'noop.js'))('re2js') as object);
      return { contents: LAZY_RE2JS(names, extras ? requireExtra('re2js') : `require('re2js')`), loader: 'js', resolveDir: args.pluginData };
    });
    build.onResolve({ filter: /from-json-schema\.js$/ }, (args: { path: string; importer: string }) =>
      args.importer.includes(`${path.sep}zod${path.sep}`) ? { path: args.path, namespace: 'gator-no-from-json-schema' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'gator-no-from-json-schema' }, () => ({ contents: NO_FROM_JSON_SCHEMA, loader: 'js' }));
    build.onLoad({ filter: /.*/, namespace: 'gator-sqlite-addon' }, () => ({ contents: SQLITE_ADDON, loader: 'js' }));
    build.onLoad({ filter: /.*/, namespace: 'gator-zod-en' }, (args: { path: string }) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
});

/**
 * The layer bundle is written already wrapped as a CommonJS module function, so the
 * loader compiles the file's text as it reads it (src/child-loader.ts): wrapping it
 * there (`Module.wrap`) made V8 keep a second, concatenated copy of the 1.8 MB source.
 */
const CJS_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'] as const;
/**
 * esbuild's `__toESM` (every `import x from 'node:fs'` of a bundled module) copies the module's
 * properties into a new object of getters, once per importing module: 22 copies of `fs` alone,
 * ~2,800 closures and dictionary-mode objects in every child. One copy per module (and mode)
 * is enough: the copies are equal, live getters over the same module.
 */
const TO_ESM = 'var __toESM=';
const TO_ESM_ONCE =
  'var __toESMCopies=new WeakMap;var __toESM=(mod,isNodeMode)=>{if(mod==null||typeof mod!="object"&&typeof mod!="function")return __toESMCopy(mod,isNodeMode);' +
  'let copies=__toESMCopies.get(mod);copies||__toESMCopies.set(mod,copies=[]);const i=isNodeMode?1:0;return copies[i]||(copies[i]=__toESMCopy(mod,isNodeMode))};var __toESMCopy=';
const wrapLayer = {
  name: 'gator-child-wrap',
  renderChunk(code: string, info: { path: string }) {
    if (path.basename(info.path) !== 'child-layer.cjs') return undefined;
    if (code.split(TO_ESM).length !== 2) throw new Error(`child build: expected one '${TO_ESM}' helper in the bundle (esbuild's output changed?)`);
    return { code: `${CJS_WRAPPER[0]}${code.replace(TO_ESM, TO_ESM_ONCE)}${CJS_WRAPPER[1]}` };
  },
};

/**
 * The root build (dist/root-bundle.cjs, run by dist/root.cjs: src/root-loader.ts) is written
 * wrapped as the child build is, by the same plugin: the loaders share code-cache.ts.
 */
const wrapRoot = {
  name: 'gator-root-wrap',
  renderChunk: (code: string, info: { path: string }) =>
    path.basename(info.path) === 'root-bundle.cjs' ? wrapLayer.renderChunk(code, { path: path.join(path.dirname(info.path), 'child-layer.cjs') }) : undefined,
};

/**
 * A bundle run from a V8 code cache (src/code-cache.ts): ENTRY's bundle and its loader, one
 * CommonJS file each, every package inlined (better-sqlite3's native addon is loaded from its
 * package: SQLITE_ADDON). The bundle keeps its source in memory for as long as it runs (V8
 * compiles lazily from it): no comments or indentation, and ASCII only (esbuild escapes the
 * rest), so it is held as one byte per character, outside the V8 heap. WRITE_CACHE runs once
 * it is built.
 */
function cachedBundle(entry: Record<string, string>, esbuildPlugins: NonNullable<Options['esbuildPlugins']>, wrap: NonNullable<Options['plugins']>[number], writeCache: string): Options {
  return {
    entry,
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    dts: false,
    sourcemap: false,
    clean: false,
    splitting: false,
    shims: true,
    noExternal: [/./],
    esbuildPlugins,
    plugins: [wrap],
    minifyWhitespace: true,
    minifySyntax: true,
    onSuccess: writeCache,
  };
}

export default defineConfig((options) => [
  // The public API (src/index.ts), split so an importer loads only what it uses, and
  // dist/cli.js, which starts the root build below.
  (defineGatorConfig({ entry: ['src/index.ts', 'src/cli.ts'], splitting: true }) as (o: typeof options) => object)(options),
  // Child processes (wrappers, nested tiers) start from one CommonJS file holding
  // every package they run (src/child-entry.ts): see there for why.
  // The V8 code cache of the child build (src/child-loader.ts) is written under the children's
  // own Node flags: V8 rejects a cache made under others.
  // Then its startup snapshot (src/child-snapshot.ts), which the build may fail to make: children then start from the cache.
  cachedBundle(
    { 'child-layer': 'src/child-entry.ts', child: 'src/child-loader.ts', 'child-import': 'src/child-import.ts' },
    [rootOnlyStubs, childExtras, layerCode(true)],
    wrapLayer,
    `${['node', ...CHILD_NODE_FLAGS, 'dist/child.cjs', '--write-code-cache'].join(' ')} && node dist/child.cjs --write-snapshot`,
  ),
  // What child layers rarely run (src/child-extras.ts): a CommonJS file each beside their bundle.
  {
    entry: Object.fromEntries(EXTRA_FILES.map((file) => [file, `src/${file}.ts`])),
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    dts: false,
    sourcemap: false,
    clean: false,
    splitting: false,
    noExternal: [/./],
    esbuildPlugins: [sharedFromLayer],
    minifyWhitespace: true,
    minifySyntax: true,
  },
  // The root (`gator`, dist/cli.js) starts from one CommonJS file too, with its own code cache
  // (src/root-loader.ts): the CLI and every package it runs except @gator/hub, which serves
  // files from beside its code and is imported as a package (src/dynamic-import.ts).
  // Its cache is written under no Node flags, as `gator` is usually run; other flags get a cache of their own.
  cachedBundle({ 'root-bundle': 'src/root-entry.ts', root: 'src/root-loader.ts' }, [layerCode(false)], wrapRoot, 'node dist/root.cjs --write-code-cache'),
]);

// Experiment: the child bundle with Node's network modules, ws and better-sqlite3 deferred to first use,
// so that a Node 20 startup snapshot can hold zod, yaml and every schema already built.
// node bench/proposals/child-snapshot/build.mjs OUT_DIR: the child bundle with Node's network
// modules, ws and better-sqlite3 deferred to first use (lazy proxies), then a startup snapshot of it.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const dist = path.join(repo, 'apps/cli/dist');
const out = path.resolve(process.argv[2] ?? path.join(here, 'out'));
const esbuild = await import(path.join(repo, 'node_modules/.pnpm/node_modules/esbuild/lib/main.js'));
import { createRequire } from 'node:module';
const requireHere = createRequire(path.join(dist, 'child.cjs'));
const keysOf = (name) => Object.keys(requireHere(name)).filter((k) => k !== '__esModule');
const LAZY = ['ws', 'better-sqlite3', 'http', 'node:http', 'https', 'node:https', 'net', 'node:net', 'tls', 'node:tls', 'child_process', 'node:child_process', 'zlib', 'node:zlib', 'node:readline', 'readline', 'dgram', 'node:dgram', 'dns', 'node:dns', 'node:worker_threads', 'worker_threads', 'node:inspector'];
const lazyPlugin = {
  name: 'lazy',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!LAZY.includes(args.path) || args.namespace === 'lazy') return undefined;
      if (args.importer.includes('/ws/lib/') || args.importer.includes('/better-sqlite3/')) return undefined;
      return { path: args.path, namespace: 'lazy' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      loader: 'js',
      contents: `
const KEYS = ${JSON.stringify(keysOf(args.path))};`+`
const real = () => globalThis.__gatorRequire(${JSON.stringify(args.path)});
const handler = {
  get: (_, k) => { const m = real(); const v = m[k]; return typeof v === 'function' && !/^[A-Z]/.test(String(k)) ? v.bind(m) : v; },
  has: (_, k) => k in real(),
  ownKeys: () => [...KEYS, 'prototype'],
  getOwnPropertyDescriptor: (t, k) => k === 'prototype' ? Object.getOwnPropertyDescriptor(t, k) : KEYS.includes(k) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined,
  construct: (_, a) => new (real())(...a),
  apply: (_, t, a) => real().apply(t, a),
  getPrototypeOf: () => Function.prototype,
};
module.exports = new Proxy(class {}, handler);`,
    }));
  },
};
const stubPlugin = {
  name: 'stub',
  setup(build) {
    build.onResolve({ filter: /(render\/create|hub-link)\.js$/ }, (a) => ({ path: a.path, namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    build.onResolve({ filter: /locales\/index\.js$/ }, (a) => a.importer.includes('/zod/') ? { path: path.join(path.dirname(a.importer), '../locales/en.js'), namespace: 'zen' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'zen' }, (a) => ({ contents: `export { default as en } from ${JSON.stringify(a.path)};`, loader: 'js', resolveDir: path.dirname(a.path) }));
  },
};
await esbuild.build({
  entryPoints: [path.join(here, 'entry.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: path.join(out, 'snapshot-entry.cjs'),
  plugins: [stubPlugin, lazyPlugin], logLevel: 'error', ignoreAnnotations: true, nodePaths: [path.join(repo, 'apps/cli/node_modules')],
  define: { 'import.meta.url': 'globalThis.__gatorMetaUrl' },
});
execFileSync(process.execPath, ['--snapshot-blob', path.join(out, 'child.blob'), '--build-snapshot', path.join(out, 'snapshot-entry.cjs')], { stdio: 'inherit' });
console.log(`GATOR_CLI_DIST=${dist} node --snapshot-blob ${path.join(out, 'child.blob')}`);

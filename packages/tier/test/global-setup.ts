// Bundles the nested-tier entry of the fixture child (real tier code, real
// local scheduler) into test/.build/tier-child.mjs, so child processes can run
// it with plain node. better-sqlite3 stays external (it is a native module).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const packages = path.resolve(here, '..', '..');

export default async function setup(): Promise<void> {
  const outdir = path.join(here, '.build');
  fs.mkdirSync(outdir, { recursive: true });
  const dbRequire = createRequire(path.join(packages, 'db', 'package.json'));
  const sqlite = dbRequire.resolve('better-sqlite3');
  await build({
    entryPoints: [path.join(here, 'fixtures', 'tier-child.ts')],
    outfile: path.join(outdir, 'tier-child.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    alias: {
      '@gator/protocol': path.join(packages, 'protocol', 'src', 'index.ts'),
      '@gator/db': path.join(packages, 'db', 'src', 'index.ts'),
      '@gator/scheduler-local': path.join(packages, 'scheduler-local', 'src', 'index.ts'),
    },
    external: ['bufferutil', 'utf-8-validate'],
    // CommonJS dependencies bundled into ESM still call require().
    banner: { js: "import { createRequire as __gatorRequire } from 'node:module'; const require = __gatorRequire(import.meta.url);" },
    plugins: [
      {
        name: 'native-sqlite',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true }));
        },
      },
    ],
  });
  // esbuild keeps a helper process for later builds; end it (the leak check counts it).
  await stop();
}

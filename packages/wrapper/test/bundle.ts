/**
 * Builds the job client and a wrapper launcher from the sources into one
 * temp dir, for tests that need them in a separate process (a job using the
 * client, a wrapper that gets kill -9'ed). Everything is bundled except
 * better-sqlite3 (native), so the output runs from anywhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'tsup';

const here = path.dirname(new URL(import.meta.url).pathname);
const packages = path.resolve(here, '../..');

export interface Bundle {
  dir: string;
  /** ESM module exporting connectJobClient. */
  client: string;
  /** `node launcher.js <json options>`: runs runWrapper, prints the outcome as JSON. */
  launcher: string;
  remove(): void;
}

export async function bundle(): Promise<Bundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-wrapper-bundle-'));
  const betterSqlite = createRequire(path.join(packages, 'db/package.json')).resolve('better-sqlite3');
  await build({
    entry: { client: path.join(packages, 'wrapper/src/client/index.ts'), launcher: path.join(here, 'fixtures/launcher.ts') },
    outDir: dir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
    config: false,
    splitting: false,
    noExternal: [/.*/],
    external: ['bufferutil', 'utf-8-validate'],
    // CommonJS dependencies (ws) call require(): give the ESM bundle one.
    banner: { js: "import { createRequire as __gatorRequire } from 'node:module'; const require = __gatorRequire(import.meta.url);" },
    esbuildPlugins: [
      {
        name: 'gator-sources',
        setup(b) {
          b.onResolve({ filter: /^@gator\/(protocol|db)$/ }, (args) => ({ path: path.join(packages, args.path.slice('@gator/'.length), 'src/index.ts') }));
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlite, external: true }));
        },
      },
    ],
  });
  return {
    dir,
    client: path.join(dir, 'client.js'),
    launcher: path.join(dir, 'launcher.js'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

// Builds the web UI (Preact, bundled by esbuild) into `outDir`: app.js, style.css, index.html.
// Used by tsup's onSuccess (dist/ui) and by the browser test (a temp dir).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/** @param {string} outDir @param {{ minify?: boolean }} [options] */
export async function buildUi(outDir, options = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(here, 'ui/main.tsx')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  for (const file of ['index.html', 'style.css', 'favicon.svg']) {
    fs.copyFileSync(path.join(here, 'ui', file), path.join(outDir, file));
  }
  return outDir;
}

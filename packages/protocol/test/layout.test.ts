// The names of a layer's files are written once (`LAYER_FILES`): a second spelling elsewhere
// would drift silently (a reader looking for a file nobody writes), so it fails here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { LAYER_FILES } from '../src/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sources(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'test' || entry.name === 'fixtures') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(full, out);
    else if (/\.(ts|tsx|mjs|js)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(full);
  }
  return out;
}

it('no source outside layout.ts spells a layer file name as a string', () => {
  const roots = ['packages', 'apps', 'bench/src', 'examples'].map((p) => path.join(repo, p));
  const files = roots.flatMap((root) => sources(root)).filter((f) => !f.endsWith(path.join('protocol', 'src', 'layout.ts')));
  expect(files.length).toBeGreaterThan(50);
  const quoted = Object.values(LAYER_FILES).map((name) => new RegExp(`['"]${name.replace('.', '\\.')}['"]`));
  const offenders = files.flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    return quoted.filter((re) => re.test(text)).map((re) => `${path.relative(repo, file)}: ${re.source}`);
  });
  expect(offenders).toEqual([]);
});

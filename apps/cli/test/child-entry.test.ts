/**
 * The lean child entry (dist/child.cjs): it runs the layer code from a V8 code
 * cache and falls back silently to compiling the source when the cache is
 * missing, damaged or made by another Node (V8 rejects it), then rewrites it.
 * A copy of the built entry in a scratch directory under this package (so
 * `better-sqlite3` resolves as from dist/), run in its warm-up mode (loads
 * every layer's code, runs none).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const cacheFile = (dir: string, flags = '') =>
  fs.readdirSync(dir).find((f) => f.startsWith(`child-layer-${process.version}-${process.arch}${flags}`) && f.endsWith('.v8cache'));
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(path.dirname(dist), 'node_modules', '.child-entry-test-'));
  for (const file of ['child.cjs', 'child-layer.cjs']) fs.copyFileSync(path.join(dist, file), path.join(dir, file));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function loadLayers(env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(dir, 'child.cjs')], { env: { ...process.env, ...env, GATOR_CHILD_WARM_UP: '1' }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('the child entry and its code cache', () => {
  it('the build made a cache beside the entry', () => {
    expect(cacheFile(dist)).toBeDefined();
  });

  it('without a cache it runs, and writes one', () => {
    expect(cacheFile(dir)).toBeUndefined();
    expect(loadLayers()).toEqual({ status: 0, stderr: '' });
    expect(cacheFile(dir)).toBeDefined();
  });

  it('a damaged cache (or one from another Node build) is rejected silently and replaced', () => {
    const file = path.join(dir, cacheFile(dir)!);
    const good = fs.statSync(file).size;
    fs.writeFileSync(file, Buffer.alloc(good, 7));
    expect(loadLayers()).toEqual({ status: 0, stderr: '' });
    expect(fs.readFileSync(file).equals(Buffer.alloc(good, 7))).toBe(false);
    // The replacement is accepted: no further rewrite.
    const rewritten = fs.statSync(file).mtimeMs;
    expect(loadLayers()).toEqual({ status: 0, stderr: '' });
    expect(fs.statSync(file).mtimeMs).toBe(rewritten);
  });

  it('children started with other V8 flags keep a cache of their own', () => {
    const plain = path.join(dir, cacheFile(dir)!);
    const before = fs.readFileSync(plain);
    expect(loadLayers({ NODE_OPTIONS: '--max-old-space-size=300' })).toEqual({ status: 0, stderr: '' });
    expect(cacheFile(dir, '-f')).toBeDefined();
    expect(fs.readFileSync(plain).equals(before)).toBe(true);
  });

  it('the build command writes the cache (as at install)', () => {
    const fresh = fs.mkdtempSync(path.join(dir, 'build-'));
    for (const file of ['child.cjs', 'child-layer.cjs']) fs.copyFileSync(path.join(dir, file), path.join(fresh, file));
    execFileSync(process.execPath, [path.join(fresh, 'child.cjs'), '--write-code-cache'], { stdio: 'pipe', timeout: 60_000 });
    expect(cacheFile(fresh)).toBeDefined();
  });
});

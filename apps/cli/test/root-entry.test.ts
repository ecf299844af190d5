/**
 * The root entry (dist/root.cjs, what dist/cli.js starts): it runs the CLI from
 * one CommonJS bundle with a V8 code cache and falls back silently to compiling
 * the source when the cache is missing, damaged or made by another Node (V8
 * rejects it), then rewrites it. Only a `gator run` replaces the build's cache
 * (it then holds what a run compiled). A copy of the built entry in a scratch
 * directory under this package, so its packages resolve as from dist/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const FILES = ['root.cjs', 'root-bundle.cjs'];
const cacheFile = (dir: string) => fs.readdirSync(dir).find((f) => f.startsWith(`root-bundle-${process.version}-${process.arch}`) && f.endsWith('.v8cache'));
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(path.dirname(dist), 'node_modules', '.root-entry-test-'));
  for (const file of FILES) fs.copyFileSync(path.join(dist, file), path.join(dir, file));
  // As dist/cli.js: an ES module that requires the root entry.
  fs.copyFileSync(path.join(dist, 'cli.js'), path.join(dir, 'cli.mjs'));
  fs.writeFileSync(path.join(dir, 'job.yaml'), '!Job\nident: lone\ncommand: "true"\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `gator ARGS` through the copy, under no Node flags (the cache's own set). */
function gator(args: string[], script = 'root.cjs'): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  delete env.NODE_OPTIONS;
  const result = spawnSync(process.execPath, [path.join(dir, script), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the root entry and its code cache', () => {
  it('the build made a cache beside the entry', () => {
    expect(cacheFile(dist)).toBeDefined();
  });

  it('without a cache it runs, and writes one', () => {
    expect(cacheFile(dir)).toBeUndefined();
    const r = gator(['--version']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^gator\/\S+ /);
    expect(cacheFile(dir)).toBeDefined();
  });

  it('a damaged cache (or one from another Node build) is rejected silently and replaced', () => {
    const file = path.join(dir, cacheFile(dir)!);
    const good = fs.statSync(file).size;
    fs.writeFileSync(file, Buffer.alloc(good, 7));
    expect(gator(['--version'])).toMatchObject({ status: 0, stderr: '' });
    expect(fs.readFileSync(file).equals(Buffer.alloc(good, 7))).toBe(false);
    // The replacement is accepted: no further rewrite.
    const rewritten = fs.statSync(file).mtimeMs;
    expect(gator(['--version'])).toMatchObject({ status: 0, stderr: '' });
    expect(fs.statSync(file).mtimeMs).toBe(rewritten);
  });

  it("the build's cache is replaced by the first run, not by another command", () => {
    execFileSync(process.execPath, [path.join(dir, 'root.cjs'), '--write-code-cache'], { stdio: 'pipe', timeout: 60_000 });
    const file = path.join(dir, cacheFile(dir)!);
    expect(fs.existsSync(`${file}.warm-up`)).toBe(true);
    const built = fs.readFileSync(file);
    expect(gator(['validate', 'job.yaml'])).toMatchObject({ status: 0 });
    expect(fs.readFileSync(file).equals(built)).toBe(true);
    expect(fs.existsSync(`${file}.warm-up`)).toBe(true);
    const run = gator(['run', 'job.yaml', '--tracking', 'run']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(fs.existsSync(`${file}.warm-up`)).toBe(false);
    expect(fs.readFileSync(file).equals(built)).toBe(false);
  });

  it('`gator --write-code-cache` is a usage error, not a warm-up', () => {
    const file = path.join(dir, cacheFile(dir)!);
    const r = gator(['--write-code-cache'], 'cli.mjs');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option/);
    expect(fs.existsSync(`${file}.warm-up`)).toBe(false);
  });
});

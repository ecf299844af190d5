/**
 * The child layer's startup snapshot (src/child-snapshot.ts): the build makes and
 * seals dist/child-layer.blob; a tier starts its local children from it while the
 * seal holds, and from child.cjs and its code cache otherwise (the silent fallback).
 * Scratch copies of dist/ live under this package's node_modules (so `better-sqlite3`
 * resolves as from dist/).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { childSnapshotFlags } from '../src/child-snapshot.js';
import { CLI, descendants, startProcess, tempDir, waitFor, writeSpec } from './helpers.js';
import { collectResults } from './run-helpers.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const BLOB = 'child-layer.blob';
const SEAL = 'child-layer.blob.json';
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of FILES of dist/ (all of it by default) in a fresh scratch directory. */
function copyOfDist(files?: string[]): string {
  const dir = fs.mkdtempSync(path.join(path.dirname(dist), 'node_modules', '.child-snapshot-test-'));
  scratch.push(dir);
  const out = path.join(dir, 'dist');
  if (files) {
    fs.mkdirSync(out);
    for (const file of files) fs.copyFileSync(path.join(dist, file), path.join(out, file));
  } else {
    fs.cpSync(dist, out, { recursive: true, preserveTimestamps: true });
  }
  return out;
}

/**
 * A group (the root's tier) holding a group (a child tier) of one job that says it is running,
 * then waits to be released (the test reads the command lines meanwhile).
 */
const SPEC = `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: inner
    jobs:
      - !Job
        ident: waits
        command: bash
        args: ["-c", "touch running; while [ ! -e release ]; do sleep 0.05; done"]
`;

const commandLine = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};

/** Run SPEC with the CLI at `cli`: the command lines of its child layers (the group's tier, the job's wrapper) while its job runs. */
async function childCommandLines(cli: string): Promise<string[]> {
  const dir = tempDir();
  const spec = writeSpec(dir, 'spec.yaml', SPEC);
  const run = startProcess(process.execPath, [cli, 'run', spec, '--tracking', 'run'], { cwd: dir });
  let lines: string[] = [];
  await waitFor(() => {
    lines = descendants(run.child.pid!).map(commandLine).filter((line) => line.includes('child.cjs'));
    return lines.length >= 2 && fs.existsSync(path.join(dir, 'running'));
  }, 60_000, 'the tier and the wrapper to run the job');
  fs.writeFileSync(path.join(dir, 'release'), '');
  const done = await run.done;
  expect(done.code, done.stdout + done.stderr).toBe(0);
  expect(collectResults(path.join(dir, 'run')).get('inner.waits')).toMatchObject({ kind: 'wrapper', result: 1 });
  return lines;
}

describe('the child startup snapshot', () => {
  it('the build made one and sealed it: local children start from it', () => {
    expect(fs.existsSync(path.join(dist, BLOB))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dist, SEAL), 'utf8'))).toMatchObject({ node: process.version, execPath: process.execPath, dir: dist });
    expect(childSnapshotFlags(dist, true)).toEqual(['--snapshot-blob', path.join(dist, BLOB)]);
  });

  it('not for the children of a remote scheduler, nor under NODE_OPTIONS (V8 would refuse it)', () => {
    expect(childSnapshotFlags(dist, false)).toEqual([]);
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-old-space-size=300';
    try {
      expect(childSnapshotFlags(dist, true)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  });

  it('a seal that no longer holds (dist/ moved, the bundle rebuilt) keeps the blob unused', () => {
    // Copied with its seal: the snapshot would still hold the old folder's paths.
    const moved = copyOfDist(['child.cjs', 'child-layer.cjs', BLOB, SEAL]);
    expect(childSnapshotFlags(moved, true)).toEqual([]);
    // The same seal naming the new folder passes: the folder alone decided (new mtimes do not count).
    const seal = JSON.parse(fs.readFileSync(path.join(dist, SEAL), 'utf8')) as Record<string, unknown>;
    const resealed = copyOfDist(['child.cjs', 'child-layer.cjs', BLOB]);
    fs.writeFileSync(path.join(resealed, SEAL), JSON.stringify({ ...seal, dir: resealed }));
    expect(childSnapshotFlags(resealed, true)).toEqual(['--snapshot-blob', path.join(resealed, BLOB)]);
    // …nor a blob cut short since it was sealed (V8 would end every child at its start).
    const truncated = copyOfDist(['child.cjs', 'child-layer.cjs', BLOB]);
    fs.writeFileSync(path.join(truncated, SEAL), JSON.stringify({ ...seal, dir: truncated }));
    fs.truncateSync(path.join(truncated, BLOB), fs.statSync(path.join(truncated, BLOB)).size - 1);
    expect(childSnapshotFlags(truncated, true)).toEqual([]);
    // …and a bundle changed since (one byte) does not.
    const rebuilt = copyOfDist(['child.cjs', 'child-layer.cjs', BLOB]);
    fs.writeFileSync(path.join(rebuilt, SEAL), JSON.stringify({ ...seal, dir: rebuilt }));
    fs.appendFileSync(path.join(rebuilt, 'child-layer.cjs'), ' ');
    expect(childSnapshotFlags(rebuilt, true)).toEqual([]);
  });

  it("a group's tier and its job's wrapper start from the snapshot, and the run reports the job", async () => {
    const lines = await childCommandLines(CLI);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toContain(`--snapshot-blob ${path.join(dist, BLOB)} ${path.join(dist, 'child.cjs')}`);
  });

  it('without a blob, the same run starts its children from the code cache', async () => {
    const copy = copyOfDist();
    fs.rmSync(path.join(copy, BLOB));
    fs.rmSync(path.join(copy, SEAL));
    const lines = await childCommandLines(path.join(copy, 'cli.js'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).toContain(path.join(copy, 'child.cjs'));
      expect(line).not.toContain('--snapshot-blob');
    }
  });

  it('the build command makes and seals a blob; a bundle it cannot snapshot leaves none, and says why', () => {
    const dir = copyOfDist(['child.cjs', 'child-layer.cjs', 'child-import.cjs']);
    const write = () => spawnSync(process.execPath, [path.join(dir, 'child.cjs'), '--write-snapshot'], { encoding: 'utf8', timeout: 120_000 });
    let result = write();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(childSnapshotFlags(dir, true)).toEqual(['--snapshot-blob', path.join(dir, BLOB)]);

    // A layer bundle that fails as it loads: the build goes on (exit 0), with no blob and no seal.
    fs.writeFileSync(path.join(dir, 'child-layer.cjs'), '(function () { throw new Error("cannot load this layer"); })');
    result = write();
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/no startup snapshot for child layers .*cannot load this layer/);
    expect(fs.existsSync(path.join(dir, BLOB))).toBe(false);
    expect(fs.existsSync(path.join(dir, SEAL))).toBe(false);
  });
});

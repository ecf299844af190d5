/**
 * The child layer's startup snapshot (issue 15): dist/child-layer.blob, a V8 heap
 * with the layer bundle (dist/child-layer.cjs) already loaded and initialised,
 * which a child on this machine starts from (`node FLAGS… --snapshot-blob BLOB
 * child.cjs …`) instead of compiling and running the bundle: a wrapper then starts
 * at about the cost of `node -e 0` plus its own work (bench/README.md "Where the
 * costs are").
 *
 * Made by the build, after the code cache (`node dist/child.cjs --write-snapshot`):
 * `node --build-snapshot dist/child.cjs` loads the bundle as the code-cache warm-up
 * does, then a child started from the new blob (`--snapshot-probe`) seals it with
 * what made it (Node binary, version, flags, bundle, folder) and its size. A tier gives
 * its children the blob only while that seal still holds and NODE_OPTIONS is empty (V8 refuses a
 * snapshot under other flags, and ends the process), and only for a scheduler that
 * runs them on this machine: anything else, or a build where the snapshot could not
 * be made, starts from child.cjs and its code cache (the silent fallback).
 */
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { CHILD_NODE_FLAGS } from './child-node-flags.js';

const BLOB = 'child-layer.blob';
const BUNDLE = 'child-layer.cjs';
/** The blob's seal: the fingerprint of what made it, written by a child that started from it. */
const SEAL = `${BLOB}.json`;
/** Lent by the snapshot's main to the layer code for `import()` (src/dynamic-import.ts). */
const LENT_IMPORT = Symbol.for('gator.child.import');

/**
 * What a blob depends on: a child may start from it only while all of it is unchanged. The
 * bundle by its content, not its mtime: a build restored from turbo's cache has new mtimes.
 */
function fingerprint(dir: string): string {
  const stamp = (file: string) => {
    const stat = fs.statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  };
  // Loaded here, not at import: child.cjs holds this module, and a child never needs crypto before its layer does.
  const { createHash } = (process.getBuiltinModule?.('node:crypto') ?? Module.createRequire(path.join(dir, BUNDLE))('node:crypto')) as typeof import('node:crypto');
  return JSON.stringify({
    node: process.version,
    arch: process.arch,
    execPath: process.execPath,
    binary: stamp(process.execPath),
    flags: CHILD_NODE_FLAGS,
    // The snapshot holds the bundle's own paths (its `__filename`, `import.meta.url`): a moved dist/ has none of its own.
    dir,
    // A blob cut short or replaced since (a full disk, a copy) would make V8 end the child at its start.
    blob: fs.statSync(path.join(dir, BLOB)).size,
    bundle: createHash('sha256').update(fs.readFileSync(path.join(dir, BUNDLE))).digest('base64url'),
  });
}

const checked = new Map<string, string | undefined>();

/** The blob in DIR (beside child.cjs) when a child of this Node may start from it; checked once per process. */
function usableBlob(dir: string): string | undefined {
  if (!checked.has(dir)) {
    let blob: string | undefined;
    try {
      const file = path.join(dir, BLOB);
      if (fs.readFileSync(path.join(dir, SEAL), 'utf8') === fingerprint(dir) && fs.statSync(file).isFile()) blob = file;
    } catch {
      /* no blob, no seal, or no bundle: the code cache */
    }
    checked.set(dir, blob);
  }
  return checked.get(dir);
}

/**
 * The Node flags that start a child of the script in DIR from the snapshot (`--snapshot-blob
 * BLOB`), or none. `local`: the child runs on this machine (the scheduler is not remote).
 */
export function childSnapshotFlags(dir: string, local: boolean): string[] {
  // V8 takes a snapshot only under the flags it was made with: any NODE_OPTIONS may change them.
  if (!local || (process.env.NODE_OPTIONS ?? '').trim() !== '') return [];
  const blob = usableBlob(dir);
  return blob ? ['--snapshot-blob', blob] : [];
}

/** Whether this process is `node --build-snapshot` (the loader then builds instead of running). */
export function buildingSnapshot(): boolean {
  // Not `v8.startupSnapshot.isBuildingSnapshot()`: that would load node:v8 in every child.
  return process.execArgv.includes('--build-snapshot');
}

/**
 * The body of `node --build-snapshot dist/child.cjs`: load the bundle (its entry sees
 * `warmUp` and runs no layer), and make the snapshot's main run the entry's `start`.
 * The bundle's `require` is the builder's (built-in modules only) until the snapshot
 * runs, then an ordinary one: the bundle loads the SQLite addon and any package
 * only when it runs.
 */
export function buildChildSnapshot(dir: string, builderRequire: NodeJS.Require, warmUp: (on: boolean) => void): void {
  const file = path.join(dir, BUNDLE);
  const v8 = builderRequire('node:v8') as typeof import('node:v8');
  let runtime: NodeJS.Require | undefined;
  const current = () => runtime ?? builderRequire;
  // What the bundle uses of its `require`: calls, and `resolve` (it finds the SQLite addon's package).
  const bundleRequire = Object.assign((id: string) => current()(id), {
    resolve: (id: string, options?: { paths?: string[] }) => current().resolve(id, options),
  }) as unknown as NodeJS.Require;
  const module = { exports: {} as Record<string, unknown>, id: file, filename: file, loaded: false, children: [], paths: [] };
  const script = new vm.Script(fs.readFileSync(file, 'latin1'), { filename: file });
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  warmUp(true);
  run(module.exports, bundleRequire, module, file, dir);
  warmUp(false);
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    runtime = Module.createRequire(file);
    // A function compiled into the snapshot has no import(); a file loaded now does.
    (globalThis as Record<symbol, unknown>)[LENT_IMPORT] = (url: string) => (runtime!('./child-import.cjs') as { importUrl: (url: string) => Promise<unknown> }).importUrl(url);
    if (process.argv[2] === '--snapshot-probe') {
      // Started from the new blob and got this far: seal it.
      fs.writeFileSync(path.join(dir, SEAL), fingerprint(dir));
      return;
    }
    (module.exports.start as () => void)();
  });
}

/** The error a failed snapshot step printed (not Node's warnings about unverified modules, not its stack). */
function whyNot(stderr: string, status: number | null): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  return lines.find((line) => /^\[?\w*Error\b/.test(line)) ?? lines.filter((line) => line && !/warning|verified|may still work|issue tracker|trace-warnings|^at |^Node\.js v/i.test(line)).at(-1) ?? `exit ${status}`;
}

/**
 * `node dist/child.cjs --write-snapshot` (the build): make the blob and seal it, or leave
 * none. Returns why it could not, for the build's log; undefined when made.
 */
export function writeChildSnapshot(dir: string, script: string): string | undefined {
  const blob = path.join(dir, BLOB);
  fs.rmSync(path.join(dir, SEAL), { force: true });
  // Loaded here only: children never run this.
  const { spawnSync } = (process.getBuiltinModule?.('node:child_process') ?? Module.createRequire(script)('node:child_process')) as typeof import('node:child_process');
  const steps = [
    [...CHILD_NODE_FLAGS, '--snapshot-blob', blob, '--build-snapshot', script],
    [...CHILD_NODE_FLAGS, '--snapshot-blob', blob, script, '--snapshot-probe'],
  ];
  for (const args of steps) {
    const { status, stderr, error } = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    if (status !== 0 || !fs.existsSync(path.join(dir, args.includes('--snapshot-probe') ? SEAL : BLOB))) {
      fs.rmSync(blob, { force: true });
      fs.rmSync(path.join(dir, SEAL), { force: true });
      return error?.message ?? whyNot(stderr ?? '', status);
    }
  }
  return undefined;
}

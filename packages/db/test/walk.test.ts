import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { closeRun, openLayerStore, walkRun, type RunNode } from '../src/index.js';
import { tempDir } from './helpers.js';

/** A layer written through the store: `ident` attribute, one message, children rows. */
function layer(dir: string, kind: 'tier' | 'wrapper', ident: string, children: { ident: string; rel: string }[] = []): void {
  const store = openLayerStore({ dir, kind });
  store.setAttribute('ident', ident);
  store.addMessage({ severity: 20, message: `hello from ${ident}` });
  for (const c of children) {
    const uidx = store.addChild({ ident: c.ident, dbFile: path.join(dir, c.rel, 'db.sqlite'), expectedChildren: 0 });
    store.updateChild(uidx, { result: c.ident === 'lint' ? 3 : 1 });
  }
  store.close();
}

/** nightly → [compile, tests → [seed_0, seed_1], lint (pruned: no dir)] */
function buildRun(root: string): void {
  layer(root, 'tier', 'nightly', [
    { ident: 'compile', rel: 'compile' },
    { ident: 'tests', rel: 'tests' },
    { ident: 'lint', rel: 'lint' },
  ]);
  layer(path.join(root, 'compile'), 'wrapper', 'compile');
  layer(path.join(root, 'tests'), 'tier', 'tests', [
    { ident: 'seed_0', rel: 'seed/0' },
    { ident: 'seed_1', rel: 'seed/1' },
  ]);
  layer(path.join(root, 'tests', 'seed', '0'), 'wrapper', 'seed_0');
  layer(path.join(root, 'tests', 'seed', '1'), 'wrapper', 'seed_1');
}

function outline(node: RunNode): unknown {
  return {
    path: node.path.join('.'),
    kind: node.kind,
    exists: node.exists,
    ...(node.children.length > 0 ? { children: node.children.map(outline) } : {}),
  };
}

const expected = {
  path: 'nightly',
  kind: 'tier',
  exists: true,
  children: [
    { path: 'nightly.compile', kind: 'wrapper', exists: true },
    {
      path: 'nightly.tests',
      kind: 'tier',
      exists: true,
      children: [
        { path: 'nightly.tests.seed_0', kind: 'wrapper', exists: true },
        { path: 'nightly.tests.seed_1', kind: 'wrapper', exists: true },
      ],
    },
    { path: 'nightly.lint', kind: 'wrapper', exists: false },
  ],
};

describe('walkRun', () => {
  test('follows ChildEntry.db_file through the whole tree', () => {
    const root = tempDir();
    buildRun(root);
    const run = walkRun(root);
    expect(outline(run)).toEqual(expected);
    const seed1 = run.children[1].children[1];
    expect(seed1.dir).toBe(path.join(root, 'tests', 'seed', '1'));
    expect(seed1.entry?.ident).toBe('seed_1');
    expect(seed1.reader.messages().map((m) => m.message)).toEqual(['hello from seed_1']);
    const lint = run.children[2];
    expect(lint.entry?.result).toBe(3);
    expect(() => lint.reader).toThrow(expect.objectContaining({ code: 'GATOR_DB_READ' }));
    closeRun(run);
    // Readers reopen on demand after closeRun.
    expect(run.reader.attribute('ident')).toBe('nightly');
    closeRun(run);
  });

  test('a moved tree is found through subdirectories (db_file points at the old place)', () => {
    const original = path.join(tempDir(), 'run');
    buildRun(original);
    const moved = path.join(tempDir(), 'elsewhere');
    fs.renameSync(original, moved);
    const run = walkRun(moved);
    expect(outline(run)).toEqual(expected);
    expect(run.children[1].children[0].dbFile).toBe(path.join(moved, 'tests', 'seed', '0', 'db.sqlite'));
    closeRun(run);
  });

  test('a copied tree is walked inside the copy, not through the original', () => {
    const original = path.join(tempDir(), 'run');
    buildRun(original);
    const copy = path.join(tempDir(), 'copy');
    fs.cpSync(original, copy, { recursive: true });
    const run = walkRun(copy);
    expect(outline(run)).toEqual(expected);
    const dirs: string[] = [];
    const visit = (n: RunNode): void => {
      dirs.push(n.dir);
      n.children.forEach(visit);
    };
    visit(run);
    expect(dirs.every((d) => d.startsWith(copy))).toBe(true);
    closeRun(run);
  });

  test('layers on disk that no ChildEntry names are still listed (a tier that died before writing rows)', () => {
    const root = tempDir();
    layer(root, 'tier', 'top');
    layer(path.join(root, 'orphan'), 'wrapper', 'orphan_job');
    layer(path.join(root, 'arr', '0'), 'wrapper', 'arr_0');
    const run = walkRun(root);
    expect(outline(run)).toEqual({
      path: 'top',
      kind: 'tier',
      exists: true,
      children: [
        { path: 'top.arr_0', kind: 'wrapper', exists: true },
        { path: 'top.orphan_job', kind: 'wrapper', exists: true },
      ],
    });
    expect(run.children[0].entry).toBeUndefined();
    closeRun(run);
  });

  test('a db_file that points back up the tree does not loop', () => {
    const root = tempDir();
    const store = openLayerStore({ dir: root, kind: 'tier' });
    store.setAttribute('ident', 'loop');
    store.addChild({ ident: 'self', dbFile: path.join(root, 'db.sqlite'), expectedChildren: 0 });
    store.close();
    const run = walkRun(root);
    expect(outline(run)).toEqual({ path: 'loop', kind: 'tier', exists: true, children: [{ path: 'loop.self', kind: 'wrapper', exists: false }] });
    closeRun(run);
  });
});

/** Open files of this process whose path ends in db.sqlite (Linux /proc). */
function openDatabases(): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('db.sqlite');
    } catch {
      return false;
    }
  }).length;
}

describe.runIf(fs.existsSync('/proc/self/fd'))('connections held by a walk (a 10,000-job run must not open 10,000 at once)', () => {
  test('a walk leaves no layer database open (the run model closes each layer once read)', async () => {
    const root = tempDir();
    const jobs = Array.from({ length: 30 }, (_, i) => ({ ident: `job_${i}`, rel: `job_${i}` }));
    layer(root, 'tier', 'wide', jobs);
    for (const job of jobs) layer(path.join(root, job.rel), 'wrapper', job.ident);
    const before = openDatabases();
    const walked = walkRun(root);
    expect(walked.children).toHaveLength(30);
    expect(openDatabases() - before).toBe(0);
    closeRun(walked);
    const { loadRunModel } = await import('../src/index.js');
    const model = loadRunModel(root);
    expect(model.totals.total).toBe(30);
    expect(openDatabases() - before).toBe(0);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

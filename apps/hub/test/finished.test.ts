import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLayer, type FixtureNode } from '../bench/fixture.mjs';
import type { Hub } from '../src/index.ts';
import { getJson, postJson, startTestHub, tempDir } from './helpers.ts';

const RUN: FixtureNode = {
  ident: 'nightly',
  children: [
    { ident: 'compile', messages: [[20, 'compiling top'], [10, 'cc -O2 top.c'], [20, 'done']], env: { SEED: '7', GATOR_TOKEN: 'do-not-show', API_KEY: 'nope' }, cwd: '/work/proj', cmd: "make 'all targets'" },
    {
      ident: 'lint',
      result: 2,
      messages: [[20, 'linting'], [30, 'unused signal q'], [40, 'lint.sv:12: undriven wire w'], [40, 'lint.sv:40: undriven wire z'], [20, 'lint finished']],
    },
    { ident: 'tests', children: [{ ident: 'seed_0', messages: [[20, 'seed 0 ok']] }, { ident: 'seed_1', messages: [[20, 'seed 1 ok']] }] },
    { ident: 'deploy', notStarted: true },
  ],
};

describe('a finished run served from its SQLite files', () => {
  const tmp = tempDir();
  let hub: Hub;
  let uid: number;
  let tracking: string;
  beforeAll(async () => {
    tracking = path.join(tmp.dir, 'tracking');
    hub = await startTestHub(tmp.dir);
    uid = (await postJson(`${hub.url}/api/register`, { ident: 'nightly', url: '127.0.0.1:9', layer: 'tier', owner: 'alice' })).body.uid;
    writeLayer(tracking, RUN, { path: [], uidx: uid, root: uid, t0: 1_700_000_000 });
    await postJson(`${hub.url}/api/job/${uid}/complete`, { db_file: path.join(tracking, 'db.sqlite'), result: 2 });
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('lists the finished run with its final numbers, read from its file at completion', async () => {
    const r = await getJson(`${hub.url}/api/jobs?q=%23${uid}`);
    expect(r.body.children[0]).toMatchObject({ status: 3, result: 2, live: false, metrics: { sub_failed: 2, sub_passed: 4, msg_error: 2 } });
    expect(r.body.children[0].summary).toMatchObject({ failures: 1 });
  });

  it('resolves the root with its children (depth 1)', async () => {
    const r = await getJson(`${hub.url}/api/job/${uid}/resolve`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uidx: uid, root: uid, path: [], ident: 'nightly', status: 3, result: 2, owner: 'alice', server_url: '', expected_children: 4, children_total: 4, layer: 'tier' });
    expect(r.body.db_file).toBe(path.join(tracking, 'db.sqlite'));
    expect(r.body.metrics).toMatchObject({ sub_failed: 2, msg_error: 2 });
    const kids = r.body.children as { ident: string; status: number; result: number; uidx: number; layer: string; expected_children: number; metrics: Record<string, number>; path: string[] }[];
    expect(kids.map((k) => k.ident)).toEqual(['compile', 'lint', 'tests', 'deploy']);
    expect(kids.map((k) => k.result)).toEqual([1, 2, 1, 3]);
    expect(kids.every((k) => k.status === 3)).toBe(true);
    expect(kids.map((k) => k.uidx)).toEqual([1, 2, 3, 4]);
    expect(kids[2]).toMatchObject({ layer: 'tier', expected_children: 2, path: ['nightly'] });
    expect(kids[1].metrics).toMatchObject({ msg_error: 2, msg_warning: 1, sub_failed: 1 });
  });

  it('follows a hierarchy (first segment discarded) and nest_path, with depth', async () => {
    const tests = await getJson(`${hub.url}/api/job/${uid}/resolve/nightly/tests`);
    expect(tests.body).toMatchObject({ ident: 'tests', path: ['nightly'], uidx: 3, status: 3, result: 1 });
    expect(tests.body.children.map((c: { ident: string }) => c.ident)).toEqual(['seed_0', 'seed_1']);
    // Python's UI bug `resolve/}`: the only segment is discarded, so this is the root.
    const brace = await getJson(`${hub.url}/api/job/${uid}/resolve/}`);
    expect(brace.body.ident).toBe('nightly');
    const nested = await getJson(`${hub.url}/api/job/${uid}/resolve?nest_path=root/tests/seed_1&depth=1`);
    expect(nested.body.children).toHaveLength(1);
    expect(nested.body.children[0].ident).toBe('tests');
    expect(nested.body.children[0].children[0]).toMatchObject({ ident: 'seed_1', path: ['nightly', 'tests'], status: 3 });
    const deep = await getJson(`${hub.url}/api/job/${uid}/resolve?depth=2`);
    const testsDeep = deep.body.children.find((c: { ident: string }) => c.ident === 'tests');
    expect(testsDeep.children.map((c: { ident: string }) => c.ident)).toEqual(['seed_0', 'seed_1']);
    const leaf = await getJson(`${hub.url}/api/job/${uid}/resolve/nightly/tests/seed_0?depth=0`);
    expect(leaf.body).toMatchObject({ ident: 'seed_0', layer: 'wrapper', expected_children: 0, children: [] });
    const missing = await getJson(`${hub.url}/api/job/${uid}/resolve/nightly/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.reason).toContain("'nope'");
    const pruned = await getJson(`${hub.url}/api/job/${uid}/resolve/nightly/deploy`);
    expect(pruned.body).toMatchObject({ ident: 'deploy', result: 3, status: 3 });
  });

  it('pages and filters children (Gator extension)', async () => {
    const page = await getJson(`${hub.url}/api/job/${uid}/resolve?offset=1&limit=2`);
    expect(page.body.children.map((c: { ident: string }) => c.ident)).toEqual(['lint', 'tests']);
    expect(page.body.children_total).toBe(4);
    const failed = await getJson(`${hub.url}/api/job/${uid}/resolve?only=failed`);
    expect(failed.body.children.map((c: { ident: string }) => c.ident)).toEqual(['lint']);
    expect(failed.body.children_total).toBe(1);
    const aborted = await getJson(`${hub.url}/api/job/${uid}/resolve?only=aborted`);
    expect(aborted.body.children.map((c: { ident: string }) => c.ident)).toEqual(['deploy']);
  });

  it('serves a layer’s messages with Python paging and Gator filters', async () => {
    const first = await getJson(`${hub.url}/api/job/${uid}/messages/nightly/lint?limit=2`);
    expect(first.body).toMatchObject({ total: 5, status: 3 });
    expect(first.body.messages).toEqual([
      { uid: 1, severity: 20, message: 'linting', timestamp: expect.any(Number) },
      { uid: 2, severity: 30, message: 'unused signal q', timestamp: expect.any(Number) },
    ]);
    const next = await getJson(`${hub.url}/api/job/${uid}/messages/nightly/lint?after=${first.body.next_after}&limit=100`);
    expect(next.body.messages.map((m: { uid: number }) => m.uid)).toEqual([3, 4, 5]);
    const errors = await getJson(`${hub.url}/api/job/${uid}/messages/nightly/lint?severity=error&limit=100`);
    expect(errors.body.messages.map((m: { message: string }) => m.message)).toEqual(['lint.sv:12: undriven wire w', 'lint.sv:40: undriven wire z']);
    expect(errors.body).toMatchObject({ total: 5, matched: 2 });
    const grep = await getJson(`${hub.url}/api/job/${uid}/messages/nightly/lint?grep=WIRE%20Z&limit=100`);
    expect(grep.body.messages.map((m: { uid: number }) => m.uid)).toEqual([4]);
    const bad = await getJson(`${hub.url}/api/job/${uid}/messages/nightly/lint?severity=loud`);
    expect(bad.status).toBe(400);
    const pruned = await getJson(`${hub.url}/api/job/${uid}/messages/nightly/deploy`);
    expect(pruned.body).toMatchObject({ messages: [], total: 0 });
    // The root's own messages (Python's default limit is 10).
    const root = await getJson(`${hub.url}/api/job/${uid}/messages`);
    expect(root.body.status).toBe(3);
  });

  it('gives a job’s details: attributes, repro line without secrets, errors, summary', async () => {
    const compile = await getJson(`${hub.url}/api/job/${uid}/detail/nightly/compile`);
    expect(compile.status).toBe(200);
    expect(compile.body.repro.line).toBe("cd /work/proj && env SEED=7 make 'all targets'");
    expect(JSON.stringify(compile.body)).not.toContain('do-not-show');
    expect(JSON.stringify(compile.body)).not.toContain('nope');
    expect(compile.body.attributes).toMatchObject({ ident: 'compile', cwd: '/work/proj' });
    expect(compile.body.procStats[0]).toMatchObject({ nproc: 1, mem: 8_000_000 });
    const lint = await getJson(`${hub.url}/api/job/${uid}/detail/nightly/lint`);
    expect(lint.body.errors.map((m: { message: string }) => m.message)).toEqual(['lint.sv:12: undriven wire w', 'lint.sv:40: undriven wire z']);
    const root = await getJson(`${hub.url}/api/job/${uid}/detail`);
    expect(root.body.summary.failures).toEqual([
      { path: ['nightly', 'lint'], reason: 'exit code 1', errors: ['lint.sv:12: undriven wire w', 'lint.sv:40: undriven wire z'], kind: 'exit', log: expect.stringMatching(/tracking[\\/]lint$/) },
    ]);
    expect(root.body.repro).toBeNull();
    expect(root.body.run).toMatchObject({ uidx: uid, result: 2 });
  });

  it('finds jobs by name across the tree', async () => {
    const r = await getJson(`${hub.url}/api/job/${uid}/find?q=seed`);
    expect(r.body.matches.map((m: { path: string[] }) => m.path)).toEqual([
      ['tests', 'seed_0'],
      ['tests', 'seed_1'],
    ]);
    expect(r.body.complete).toBe(true);
  });

  it('still reads a tracking tree that was moved after the run', async () => {
    const moved = path.join(tmp.dir, 'moved');
    fs.cpSync(tracking, moved, { recursive: true });
    const uid2 = (await postJson(`${hub.url}/api/register`, { ident: 'nightly', url: '127.0.0.1:9', layer: 'tier', owner: 'alice' })).body.uid;
    await postJson(`${hub.url}/api/job/${uid2}/complete`, { db_file: path.join(moved, 'db.sqlite'), result: 2 });
    fs.rmSync(path.join(tracking, 'tests'), { recursive: true });
    const r = await getJson(`${hub.url}/api/job/${uid2}/messages/nightly/tests/seed_1?limit=10`);
    expect(r.status).toBe(200);
    expect(r.body.messages[0].message).toBe('seed 1 ok');
  });
});

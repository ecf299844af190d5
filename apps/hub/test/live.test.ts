import path from 'node:path';
import { JobResult, JobState } from '@gator/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLayer } from '../bench/fixture.mjs';
import type { Hub } from '../src/index.ts';
import { FakeLayer, getJson, openEvents, postJson, startTestHub, tempDir } from './helpers.ts';

const TOKEN = 'live-run-token-abc';

describe('a live run: the hub asks its websocket servers', () => {
  const tmp = tempDir();
  let hub: Hub;
  let root: FakeLayer;
  let uid: number;
  const ev: ReturnType<typeof openEvents>[] = [];

  beforeAll(async () => {
    hub = await startTestHub(tmp.dir);
    root = new FakeLayer('regress', [new FakeLayer('build'), new FakeLayer('sim_0'), new FakeLayer('sim_1')]);
    root.children![2].status = JobState.PENDING;
    await root.listen(TOKEN);
    root.log(20, 'regress starting');
    root.children![0].log(20, 'building');
    uid = (await postJson(`${hub.url}/api/register`, { ident: 'regress', url: root.server!.address, layer: 'tier', owner: 'bob', token: TOKEN })).body.uid;
  });
  afterAll(async () => {
    for (const e of ev) await e.close();
    await hub.close();
    await root.close();
    tmp.cleanup();
  });

  it('resolves the live tree over the websocket, with the run token', async () => {
    const r = await getJson(`${hub.url}/api/job/${uid}/resolve`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ident: 'regress', status: 2, owner: 'bob', root: uid, live: true, children_total: 3 });
    expect(r.body.children.map((c: { ident: string }) => c.ident)).toEqual(['build', 'sim_0', 'sim_1']);
    expect(r.body.children[0].server_url).toBe(root.children![0].server!.address);
    const build = await getJson(`${hub.url}/api/job/${uid}/resolve/regress/build`);
    expect(build.body).toMatchObject({ ident: 'build', path: ['regress'], status: 2, layer: 'wrapper' });
    const pending = await getJson(`${hub.url}/api/job/${uid}/resolve/regress/sim_1`);
    expect(pending.status).toBe(404);
    expect(pending.body.reason).toContain("hasn't started yet");
  });

  it('reads live messages with get_messages (any layer), with filters scanned by the hub', async () => {
    const build = root.children![0];
    for (let i = 0; i < 30; i++) build.log(i % 10 === 9 ? 40 : 20, `build step ${i}`);
    const all = await getJson(`${hub.url}/api/job/${uid}/messages/regress/build?limit=5`);
    expect(all.body).toMatchObject({ total: 31, status: 2 });
    expect(all.body.messages.map((m: { message: string }) => m.message)[0]).toBe('building');
    const errors = await getJson(`${hub.url}/api/job/${uid}/messages/regress/build?severity=40&limit=100`);
    expect(errors.body.messages.map((m: { message: string }) => m.message)).toEqual(['build step 9', 'build step 19', 'build step 29']);
    const grep = await getJson(`${hub.url}/api/job/${uid}/messages/regress/build?grep=STEP%201&limit=3`);
    expect(grep.body.messages.map((m: { message: string }) => m.message)).toEqual(['build step 1', 'build step 10', 'build step 11']);
    const rest = await getJson(`${hub.url}/api/job/${uid}/messages/regress/build?grep=STEP%201&limit=100&after=${grep.body.next_after}`);
    expect(rest.body.messages).toHaveLength(8);
    const rootMsgs = await getJson(`${hub.url}/api/job/${uid}/messages`);
    expect(rootMsgs.body.messages[0].message).toBe('regress starting');
  });

  it('pushes tree changes and new messages to browsers as they happen (SSE)', async () => {
    const stream = openEvents(`${hub.url}/api/events?runs=1&watch=${uid}/regress&tail=${uid}/regress/sim_0&after=0`);
    ev.push(stream);
    const baseline = await stream.next((e) => e.event === 'node' && !e.data.partial, 'the baseline of the watched root');
    expect(baseline.data.job.children.map((c: { ident: string }) => c.ident)).toEqual(['build', 'sim_0', 'sim_1']);

    // A job fails, another starts, messages arrive: each shows up without asking.
    const sim0 = root.children![0 + 1];
    sim0.log(20, 'sim_0 running');
    sim0.log(40, 'sim_0: assertion failed at 100ns');
    const msgs = await stream.next((e) => e.event === 'messages' && e.data.messages.some((m: { message: string }) => m.message.includes('assertion')), 'tailed messages');
    expect(msgs.data).toMatchObject({ key: `${uid}/regress/sim_0`, status: 2 });
    sim0.finish(JobResult.FAILURE);
    root.children![2].status = JobState.STARTED;
    await stream.next(
      (e) => e.event === 'node' && e.data.partial && e.data.job.children.some((c: { ident: string; result: number }) => c.ident === 'sim_0' && c.result === JobResult.FAILURE),
      'sim_0 failing in the tree',
    );

    // A heartbeat reaches the runs list at once.
    await postJson(`${hub.url}/api/job/${uid}/heartbeat`, { metrics: { sub_total: 4, sub_active: 2, sub_passed: 1, sub_failed: 1 }, failed_ids: [['regress', 'sim_0']], running_ids: [] });
    const run = await stream.next((e) => e.event === 'run' && e.data.job.uidx === uid && e.data.job.metrics.sub_failed === 1, 'the heartbeat');
    expect(run.data.job).toMatchObject({ live: true, ident: 'regress' });
    expect(JSON.stringify(run.data)).not.toContain(TOKEN);
  });

  it('switches to the files once the run completes', async () => {
    const stream = openEvents(`${hub.url}/api/events?watch=${uid}/regress`);
    ev.push(stream);
    await stream.next((e) => e.event === 'node', 'the live baseline');
    const tracking = path.join(tmp.dir, 'regress-tracking');
    writeLayer(
      tracking,
      { ident: 'regress', children: [{ ident: 'build' }, { ident: 'sim_0', result: 2, messages: [[40, 'sim_0: assertion failed at 100ns']] }, { ident: 'sim_1' }] },
      { path: [], uidx: uid, root: uid, t0: 1_700_000_000 },
    );
    await postJson(`${hub.url}/api/job/${uid}/complete`, { db_file: path.join(tracking, 'db.sqlite'), result: 2 });
    const final = await stream.next((e) => e.event === 'node' && e.data.job.status === 3, 'the final tree from files');
    expect(final.data.job).toMatchObject({ ident: 'regress', result: 2, live: false });
    await root.close();
    const r = await getJson(`${hub.url}/api/job/${uid}/messages/regress/sim_0?severity=error`);
    expect(r.body).toMatchObject({ status: 3, total: 1 });
  });

  it('explains an unreachable live run instead of failing obscurely', async () => {
    const ghost = (await postJson(`${hub.url}/api/register`, { ident: 'ghost', url: '127.0.0.1:1', layer: 'tier', owner: 'bob' })).body.uid;
    const r = await getJson(`${hub.url}/api/job/${ghost}/resolve`);
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'GATOR_HUB_UNREACHABLE' });
    expect(r.body.reason).toContain('127.0.0.1:1');
  });

  it('falls back to the announced db_file when a live root is gone', async () => {
    const tracking = path.join(tmp.dir, 'crashed');
    writeLayer(tracking, { ident: 'crashed', children: [{ ident: 'a' }] }, { path: [], uidx: 0, root: 0, t0: 1_700_000_000 });
    const id = (await postJson(`${hub.url}/api/register`, { ident: 'crashed', url: '127.0.0.1:1', layer: 'tier', owner: 'bob', db_file: path.join(tracking, 'db.sqlite') })).body.uid;
    const r = await getJson(`${hub.url}/api/job/${id}/resolve`);
    expect(r.status).toBe(200);
    expect(r.body.children.map((c: { ident: string }) => c.ident)).toEqual(['a']);
  });
});

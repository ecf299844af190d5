import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.ts';
import { getJson, postJson, startTestHub, tempDir } from './helpers.ts';

// The exact bodies Python Gator's hub client sends (hub.md §4).
const PY_REGISTER = { ident: 'nightly', url: '10.1.2.3:41877', layer: 'tier', owner: 'alice' };
const PY_HEARTBEAT = {
  metrics: { sub_total: 6, sub_active: 1, sub_passed: 4, sub_failed: 1, msg_critical: 0, msg_error: 2, msg_warning: 0, msg_info: 11, msg_debug: 16, lint_warnings: 3 },
  failed_ids: [['nightly', 'regress', 'sim_3']],
  running_ids: [['nightly', 'regress', 'sim_5']],
};

describe('REST API (Python hub compatible), SQLite registry', () => {
  const tmp = tempDir();
  let hub: Hub;
  beforeAll(async () => {
    hub = await startTestHub(tmp.dir);
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('identifies itself as Python hub does', async () => {
    const r = await getJson(`${hub.url}/api`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ tool: 'gator-hub', version: '1.0' });
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('runs a Python client exchange: register, heartbeat, complete', async () => {
    const reg = await postJson(`${hub.url}/api/register`, PY_REGISTER);
    expect(reg.status).toBe(200);
    expect(reg.body).toEqual({ result: 'success', uid: expect.any(Number) });
    const uid = reg.body.uid as number;

    const hb = await postJson(`${hub.url}/api/job/${uid}/heartbeat`, PY_HEARTBEAT);
    expect(hb.body).toEqual({ result: 'success' });
    // A second heartbeat replaces (upserts) the metric rows.
    const hb2 = await postJson(`${hub.url}/api/job/${uid}/heartbeat`, { ...PY_HEARTBEAT, metrics: { ...PY_HEARTBEAT.metrics, sub_passed: 5, sub_active: 0 } });
    expect(hb2.status).toBe(200);

    const live = await getJson(`${hub.url}/api/jobs`);
    const row = live.body.children.find((j: { uidx: number }) => j.uidx === uid);
    expect(row).toMatchObject({
      uidx: uid,
      root: uid,
      path: [],
      ident: 'nightly',
      owner: 'alice',
      status: 2,
      server_url: '10.1.2.3:41877',
      db_file: '',
      stopped: null,
      result: 0,
      children: [],
      expected_children: true,
      live: true,
    });
    expect(row.metrics).toMatchObject({ sub_passed: 5, sub_active: 0, lint_warnings: 3 });
    expect(row.updated).toBe(row.started);

    const done = await postJson(`${hub.url}/api/job/${uid}/complete`, { db_file: '/abs/tracking/db.sqlite', result: 1 });
    expect(done.body).toEqual({ result: 'success' });

    const one = await getJson(`${hub.url}/api/job/${uid}`);
    expect(one.status).toBe(200);
    expect(one.body.result).toBe('success');
    expect(one.body.job).toMatchObject({ uid, layer: 'tier', ident: 'nightly', server_url: '10.1.2.3:41877', owner: 'alice', completion: expect.any(Number) });
    expect(one.body.metrics).toContainEqual({ registration: uid, name: 'lint_warnings', value: 3 });
    const slash = await getJson(`${hub.url}/api/job/${uid}/`);
    expect(slash.body.job.uid).toBe(uid);

    const after = await getJson(`${hub.url}/api/jobs`);
    const finished = after.body.children.find((j: { uidx: number }) => j.uidx === uid);
    expect(finished).toMatchObject({ status: 3, result: 1, db_file: '/abs/tracking/db.sqlite', live: false });
    expect(finished.stopped).toBeGreaterThanOrEqual(finished.started);
    expect(finished.updated).toBe(finished.stopped);
  });

  it('lists newest first with Python after/before/limit windows, plus search and state filters', async () => {
    const uids: number[] = [];
    for (const [ident, owner] of [
      ['alpha', 'bob'],
      ['beta', 'carol'],
      ['gamma_regress', 'bob'],
    ]) {
      uids.push((await postJson(`${hub.url}/api/register`, { ident, url: '127.0.0.1:1', layer: 'wrapper', owner })).body.uid);
    }
    const all = await getJson(`${hub.url}/api/jobs?limit=1000`);
    const listed = all.body.children.map((j: { uidx: number }) => j.uidx);
    expect(listed).toEqual([...listed].sort((a: number, b: number) => b - a));
    expect(all.body.status).toBe(2);
    expect(all.body.children.find((j: { uidx: number }) => j.uidx === uids[0]).expected_children).toBe(false);

    // Default limit is 10, as Python's.
    for (let i = 0; i < 8; i++) await postJson(`${hub.url}/api/register`, { ident: `filler_${i}`, url: '127.0.0.1:1', layer: 'tier', owner: 'x' });
    expect((await getJson(`${hub.url}/api/jobs`)).body.children).toHaveLength(10);

    const window = await getJson(`${hub.url}/api/jobs?after=${uids[0] - 1}&before=${uids[2]}&limit=100`);
    expect(window.body.children.map((j: { uidx: number }) => j.uidx)).toEqual([uids[1], uids[0]]);
    const newer = await getJson(`${hub.url}/api/jobs?after=${uids[1]}&limit=1000`);
    expect(newer.body.children.every((j: { uidx: number }) => j.uidx > uids[1])).toBe(true);

    const search = await getJson(`${hub.url}/api/jobs?q=REGRESS&limit=100`);
    expect(search.body.children.map((j: { ident: string }) => j.ident)).toEqual(['gamma_regress']);
    const byOwner = await getJson(`${hub.url}/api/jobs?q=carol&limit=100`);
    expect(byOwner.body.children.map((j: { ident: string }) => j.ident)).toEqual(['beta']);
    const byUid = await getJson(`${hub.url}/api/jobs?q=${encodeURIComponent(`#${uids[0]}`)}&limit=100`);
    expect(byUid.body.children.map((j: { uidx: number }) => j.uidx)).toEqual([uids[0]]);
    const literal = await getJson(`${hub.url}/api/jobs?q=${encodeURIComponent('%')}&limit=100`);
    expect(literal.body.children).toEqual([]);

    await postJson(`${hub.url}/api/job/${uids[0]}/complete`, { db_file: '/x/db.sqlite', result: 2 });
    await postJson(`${hub.url}/api/job/${uids[1]}/complete`, { db_file: '/y/db.sqlite', result: 1 });
    await postJson(`${hub.url}/api/job/${uids[2]}/heartbeat`, { metrics: { sub_failed: 2, sub_total: 3 }, failed_ids: [], running_ids: [] });
    const failed = await getJson(`${hub.url}/api/jobs?state=failed&limit=100`);
    expect(failed.body.children.map((j: { uidx: number }) => j.uidx)).toEqual([uids[2], uids[0]]);
    const passed = await getJson(`${hub.url}/api/jobs?state=passed&limit=100`);
    expect(passed.body.children.map((j: { uidx: number }) => j.uidx)).toContain(uids[1]);
    expect(passed.body.children.map((j: { uidx: number }) => j.uidx)).not.toContain(uids[0]);
    const liveOnly = await getJson(`${hub.url}/api/jobs?state=live&limit=1000`);
    expect(liveOnly.body.children.every((j: { live: boolean }) => j.live)).toBe(true);
    expect(liveOnly.body.total).toBe(liveOnly.body.children.length);
  });

  it('keeps the run token server-side only', async () => {
    const secret = 'run-secret-token-123';
    const uid = (await postJson(`${hub.url}/api/register`, { ...PY_REGISTER, ident: 'secretive', token: secret })).body.uid;
    for (const path of [`/api/jobs?limit=1000`, `/api/job/${uid}`]) {
      const r = await fetch(`${hub.url}${path}`);
      expect(await r.text()).not.toContain(secret);
    }
  });

  it('answers bad requests with JSON errors, never a stack', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/api/job/999999', {}, 404, 'GATOR_HUB_NOT_FOUND'],
      ['/api/job/999999/resolve', {}, 404, 'GATOR_HUB_NOT_FOUND'],
      ['/api/job/abc', {}, 400, 'GATOR_HUB_BAD_REQUEST'],
      ['/api/nothing', {}, 404, 'GATOR_HUB_NOT_FOUND'],
      ['/api/register', {}, 405, 'GATOR_HUB_BAD_REQUEST'],
      ['/api/register', { method: 'POST', body: '{not json' }, 400, 'GATOR_HUB_BAD_REQUEST'],
      ['/api/register', { method: 'POST', body: JSON.stringify({ ident: 'x' }) }, 400, 'GATOR_HUB_BAD_REQUEST'],
      ['/api/job/999999/heartbeat', { method: 'POST', body: JSON.stringify(PY_HEARTBEAT) }, 404, 'GATOR_HUB_NOT_FOUND'],
      ['/api/job/1/heartbeat', { method: 'POST', body: JSON.stringify({ metrics: 'lots' }) }, 400, 'GATOR_HUB_BAD_REQUEST'],
      ['/api/job/999999/complete', { method: 'POST', body: JSON.stringify({ db_file: '/a', result: 1 }) }, 404, 'GATOR_HUB_NOT_FOUND'],
      ['/api/jobs?limit=-4', {}, 400, 'GATOR_HUB_BAD_REQUEST'],
      ['/api/jobs?state=sideways', {}, 400, 'GATOR_HUB_BAD_REQUEST'],
    ];
    for (const [path, init, status, code] of cases) {
      const r = await getJson(`${hub.url}${path}`, init);
      expect(r.status, path).toBe(status);
      expect(r.headers.get('content-type'), path).toMatch(/application\/json/);
      expect(r.body, path).toMatchObject({ result: 'error', status, code, reason: expect.any(String) });
      expect(JSON.stringify(r.body), path).not.toMatch(/\bat .*\.ts:\d+/);
    }
  });

  it('reports a completed run whose files are gone as not found', async () => {
    const uid = (await postJson(`${hub.url}/api/register`, PY_REGISTER)).body.uid;
    await postJson(`${hub.url}/api/job/${uid}/complete`, { db_file: '/nonexistent/tracking/db.sqlite', result: 1 });
    const r = await getJson(`${hub.url}/api/job/${uid}/resolve`);
    expect(r.status).toBe(404);
    expect(r.body.reason).toContain('/nonexistent/tracking/db.sqlite');
    const m = await getJson(`${hub.url}/api/job/${uid}/messages`);
    expect(m.status).toBe(404);
  });

  it('serves a page for the UI routes', async () => {
    const r = await fetch(`${hub.url}/runs/1/nightly`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../src/index.ts';
import { getJson, openEvents, postJson, startTestHub, tempDir } from './helpers.ts';

const TOKEN = 'hub-access-token-42';

describe('binding and access', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('refuses a non-loopback bind without a token, with a clear error', async () => {
    await expect(startHub({ host: '0.0.0.0', port: 0, database: `${tmp.dir}/a.sqlite` })).rejects.toMatchObject({
      code: 'GATOR_HUB_INSECURE',
      message: expect.stringContaining('without a token'),
      hint: expect.stringContaining('--token'),
    });
  });

  it('rejects bad options and a busy port with typed errors', async () => {
    await expect(startHub({ port: 70000, database: `${tmp.dir}/b.sqlite` })).rejects.toMatchObject({ code: 'GATOR_HUB_CONFIG' });
    await expect(startHub({ port: 0, token: 'short', database: `${tmp.dir}/b.sqlite` })).rejects.toMatchObject({ code: 'GATOR_HUB_CONFIG' });
    const hub = await startTestHub(tmp.dir);
    try {
      await expect(startHub({ port: hub.port, database: `${tmp.dir}/c.sqlite` })).rejects.toMatchObject({
        code: 'GATOR_HUB_CONFIG',
        message: expect.stringContaining('already in use'),
      });
    } finally {
      await hub.close();
    }
  });

  it('reports an unusable database as a storage error', async () => {
    // A regular file where a directory should be.
    fs.writeFileSync(`${tmp.dir}/plain-file`, 'x');
    await expect(startHub({ port: 0, database: `${tmp.dir}/plain-file/hub.sqlite` })).rejects.toMatchObject({
      code: 'GATOR_HUB_STORAGE',
      message: expect.stringContaining('plain-file'),
    });
  });
});

describe('a hub with a token (reachable from other hosts)', () => {
  const tmp = tempDir();
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ host: '0.0.0.0', port: 0, token: TOKEN, database: `${tmp.dir}/hub.sqlite` });
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('answers 401 without the token, for the API, events and the UI', async () => {
    const api = await getJson(`${hub.url}/api/jobs`);
    expect(api.status).toBe(401);
    expect(api.body).toMatchObject({ code: 'GATOR_HUB_UNAUTHORIZED' });
    expect((await getJson(`${hub.url}/api/events?runs=1`)).status).toBe(401);
    expect((await fetch(`${hub.url}/`)).status).toBe(401);
    expect((await getJson(`${hub.url}/api/jobs`, { headers: { authorization: 'Bearer wrong-token-000' } })).status).toBe(401);
  });

  it('accepts the bearer header, a Python-style path prefix, and ?token= (which sets a cookie)', async () => {
    const bearer = await getJson(`${hub.url}/api/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    // Python's client builds http://<hub>/api/register; with --hub host:port/TOKEN the token leads the path.
    const reg = await postJson(`${hub.url}/${TOKEN}/api/register`, { ident: 'py', url: '127.0.0.1:1', layer: 'tier', owner: 'p' });
    expect(reg.body).toEqual({ result: 'success', uid: expect.any(Number) });
    const page = await fetch(`${hub.url}/runs/1/py?token=${TOKEN}`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/runs/1/py');
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await getJson(`${hub.url}/api/jobs`, { headers: { cookie: cookie.split(';')[0] } });
    expect(withCookie.status).toBe(200);
    const events = openEvents(`${hub.url}/api/events?runs=1`, { headers: { cookie: cookie.split(';')[0] } });
    try {
      await events.next((e) => e.event === 'hello', 'hello');
    } finally {
      await events.close();
    }
  });
});

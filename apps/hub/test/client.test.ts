import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubClient, parseHubAddress, type Hub } from '../src/index.ts';
import { getJson, startTestHub, tempDir } from './helpers.ts';

const SUMMARY = { metrics: { sub_total: 3, sub_active: 1, sub_passed: 1, sub_failed: 1 }, failed_ids: [['top', 'a']], running_ids: [['top', 'b']] };

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('parseHubAddress', () => {
  it('takes Python’s host:port, host:port/TOKEN and URLs', () => {
    expect(parseHubAddress('localhost:8080')).toEqual({ baseUrl: 'http://localhost:8080', token: undefined });
    expect(parseHubAddress('10.0.0.5:8080/s3cr3t-token')).toEqual({ baseUrl: 'http://10.0.0.5:8080', token: 's3cr3t-token' });
    expect(parseHubAddress('[::1]:9000')).toEqual({ baseUrl: 'http://[::1]:9000', token: undefined });
    expect(parseHubAddress('https://hub.example/gator/?token=abc')).toEqual({ baseUrl: 'https://hub.example/gator', token: 'abc' });
    for (const bad of ['', 'localhost', 'host:0', 'host:99999', 'ftp://x', 'a b:1']) {
      expect(() => parseHubAddress(bad), bad).toThrow(/hub address|hub URL/);
    }
  });
});

describe('createHubClient against the hub', () => {
  const tmp = tempDir();
  let hub: Hub;
  beforeAll(async () => {
    hub = await startTestHub(tmp.dir);
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('registers, heartbeats and completes a run (bodies the hub understands)', async () => {
    const warnings: string[] = [];
    const client = createHubClient(hub.url.replace('http://', ''), { onWarning: (m) => warnings.push(m) });
    const uid = await client.register({ ident: 'top', url: '127.0.0.1:4000', layer: 'tier', owner: 'dana', token: 'run-token-xyz', db_file: '/t/db.sqlite' });
    expect(uid).toEqual(expect.any(Number));
    expect(client.uid).toBe(uid);
    client.heartbeat(SUMMARY);
    client.heartbeat({ ...SUMMARY, metrics: { ...SUMMARY.metrics, sub_passed: 2, sub_active: 0 } });
    await client.complete({ db_file: '/t/db.sqlite', result: 2 });
    await client.close();
    expect(warnings).toEqual([]);
    const job = await getJson(`${hub.url}/api/job/${uid}`);
    expect(job.body.job).toMatchObject({ ident: 'top', owner: 'dana', layer: 'tier', completion: expect.any(Number) });
    const list = await getJson(`${hub.url}/api/jobs?q=%23${uid}`);
    expect(list.body.children[0]).toMatchObject({ result: 2, db_file: '/t/db.sqlite', metrics: { sub_passed: 2, sub_active: 0 } });
  });

  it('never throws and warns when the hub is down; register resolves undefined', async () => {
    const warnings: string[] = [];
    const client = createHubClient(`127.0.0.1:${await deadPort()}`, { onWarning: (m) => warnings.push(m), retryBaseMs: 10, attempts: 3 });
    const uid = await client.register({ ident: 'x', url: '127.0.0.1:1', layer: 'wrapper', owner: 'e' });
    expect(uid).toBeUndefined();
    client.heartbeat(SUMMARY);
    await client.complete({ db_file: '/x', result: 1 });
    await client.close();
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatch(/could not register the run .*the run goes on without it/);
  });

  it('reaches a hub that comes up after the run started', async () => {
    const port = await deadPort();
    const warnings: string[] = [];
    const client = createHubClient(`127.0.0.1:${port}`, { onWarning: (m) => warnings.push(m), retryBaseMs: 50, attempts: 8 });
    const registering = client.register({ ident: 'late', url: '127.0.0.1:1', layer: 'tier', owner: 'f' });
    const late = await startTestHub(tmp.dir, { port, database: `${tmp.dir}/late.sqlite` });
    try {
      const uid = await registering;
      expect(uid).toEqual(expect.any(Number));
      await client.complete({ db_file: '/late/db.sqlite', result: 1 });
      await client.close();
      const list = await getJson(`${late.url}/api/jobs`);
      expect(list.body.children[0]).toMatchObject({ ident: 'late', result: 1 });
    } finally {
      await late.close();
    }
  });

  it('uses the hub token and reports a refusal without retrying forever', async () => {
    const secure = await startTestHub(tmp.dir, { database: `${tmp.dir}/secure.sqlite`, token: 'hub-token-0123' });
    try {
      const ok = createHubClient(`${secure.url.replace('http://', '')}/hub-token-0123`);
      expect(await ok.register({ ident: 'a', url: '127.0.0.1:1', layer: 'tier', owner: 'g' })).toEqual(expect.any(Number));
      await ok.close();
      const warnings: string[] = [];
      const refused = createHubClient(secure.url, { onWarning: (m) => warnings.push(m), retryBaseMs: 10 });
      expect(await refused.register({ ident: 'b', url: '127.0.0.1:1', layer: 'tier', owner: 'g' })).toBeUndefined();
      await refused.close();
      expect(warnings[0]).toContain('HTTP 401');
    } finally {
      await secure.close();
    }
  });

  it('sends only the newest of queued heartbeats and bounds its wait on close', async () => {
    const bodies: unknown[] = [];
    // A slow hub: each request takes 300 ms.
    const slow = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        bodies.push({ url: req.url, body: JSON.parse(text || '{}') });
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(req.url === '/api/register' ? '{"result":"success","uid":7}' : '{"result":"success"}');
        }, 300);
      });
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    try {
      const client = createHubClient(`127.0.0.1:${(slow.address() as AddressInfo).port}`);
      const registered = client.register({ ident: 'q', url: '127.0.0.1:1', layer: 'tier', owner: 'h' });
      for (let i = 0; i < 50; i++) client.heartbeat({ ...SUMMARY, metrics: { ...SUMMARY.metrics, n: i } });
      expect(await registered).toBe(7);
      await client.close({ timeoutMs: 10_000 });
      const beats = bodies.filter((b) => (b as { url: string }).url === '/api/job/7/heartbeat');
      expect(beats).toHaveLength(1);
      expect((beats[0] as { body: { metrics: { n: number } } }).body.metrics.n).toBe(49);
      expect(bodies[0]).toEqual({ url: '/api/register', body: { ident: 'q', url: '127.0.0.1:1', layer: 'tier', owner: 'h' } });
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });
});

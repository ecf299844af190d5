// PostgreSQL mode against a real server: the one scripts/test-setup.d/hub.sh starts from
// Debian's packages (run here if it is not up yet). Each run uses its own fresh databases.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLayer } from '../bench/fixture.mjs';
import { startHub, type Hub } from '../src/index.ts';
import { getJson, postJson, tempDir } from './helpers.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const urlFile = path.join(process.env.GATOR_HUB_PG_DIR ?? '/tmp/gator-hub-pg', 'url');

function serverUrl(): string {
  if (process.env.GATOR_HUB_PG_URL) return process.env.GATOR_HUB_PG_URL;
  if (!fs.existsSync(urlFile)) {
    const setup = spawnSync('bash', [path.join(repoRoot, 'scripts/test-setup.d/hub.sh')], { encoding: 'utf8', timeout: 300_000 });
    if (setup.status !== 0) throw new Error(`PostgreSQL is not available and scripts/test-setup.d/hub.sh failed:\n${setup.stderr}`);
  }
  return fs.readFileSync(urlFile, 'utf8').trim();
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

describe('the registry in PostgreSQL', () => {
  const tmp = tempDir();
  const suffix = randomBytes(4).toString('hex');
  const dbName = `gator_hub_test_${suffix}`;
  const pyName = `gator_hub_py_${suffix}`;
  let admin: pg.Client;
  let base: string;
  let hub: Hub;

  beforeAll(async () => {
    // Make sure the server is really up (a stale url file after a reboot restarts it).
    spawnSync('bash', [path.join(repoRoot, 'scripts/test-setup.d/hub.sh')], { encoding: 'utf8', timeout: 300_000 });
    base = serverUrl();
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.query(`CREATE DATABASE ${pyName}`);
    hub = await startHub({ port: 0, database: withDatabase(base, dbName), pollIntervalMs: 200 });
  });
  afterAll(async () => {
    await hub?.close();
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${pyName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    tmp.cleanup();
  });

  it('reports where it stores, without the password', () => {
    expect(hub.database).toContain(dbName);
    expect(hub.database).not.toContain(new URL(base).password);
  });

  it('stores registrations, heartbeats (metric upserts) and completions in Python’s tables', async () => {
    const uid = (await postJson(`${hub.url}/api/register`, { ident: 'pg_run', url: '127.0.0.1:1', layer: 'tier', owner: 'ivy', token: 'tok-pg-secret' })).body.uid;
    await postJson(`${hub.url}/api/job/${uid}/heartbeat`, { metrics: { sub_total: 2, sub_passed: 1, ratio: 0.5 }, failed_ids: [], running_ids: [] });
    await postJson(`${hub.url}/api/job/${uid}/heartbeat`, { metrics: { sub_total: 2, sub_passed: 2, ratio: 0.75 }, failed_ids: [], running_ids: [] });
    const direct = new pg.Client({ connectionString: withDatabase(base, dbName) });
    await direct.connect();
    try {
      const metrics = await direct.query('SELECT name, value FROM metric WHERE registration = $1 ORDER BY name', [uid]);
      expect(metrics.rows).toEqual([
        { name: 'ratio', value: 0.75 },
        { name: 'sub_passed', value: 2 },
        { name: 'sub_total', value: 2 },
      ]);
      const tracking = path.join(tmp.dir, 'run');
      writeLayer(tracking, { ident: 'pg_run', children: [{ ident: 'a', messages: [[20, 'hello from a']] }, { ident: 'b', result: 2, messages: [[40, 'b broke']] }] }, { path: [], uidx: uid, root: uid, t0: 1_700_000_000 });
      await postJson(`${hub.url}/api/job/${uid}/complete`, { db_file: path.join(tracking, 'db.sqlite'), result: 2 });
      const reg = await direct.query('SELECT r.ident, r.owner, r.layer, c.result, c.db_file FROM registration r JOIN completion c ON c.uid = r.completion WHERE r.uid = $1', [uid]);
      expect(reg.rows[0]).toEqual({ ident: 'pg_run', owner: 'ivy', layer: 'tier', result: 2, db_file: path.join(tracking, 'db.sqlite') });
      // Completion takes the final numbers from the root's file (the last heartbeat precedes the root's result).
      const final = await direct.query("SELECT name, value FROM metric WHERE registration = $1 AND name IN ('sub_total', 'sub_failed', 'ratio') ORDER BY name", [uid]);
      expect(final.rows).toEqual([
        { name: 'ratio', value: 0.75 },
        { name: 'sub_failed', value: 2 },
        { name: 'sub_total', value: 3 },
      ]);
    } finally {
      await direct.end();
    }

    const list = await getJson(`${hub.url}/api/jobs?q=PG_RUN&state=failed`);
    expect(list.body.children).toHaveLength(1);
    expect(list.body.children[0]).toMatchObject({ uidx: uid, status: 3, result: 2, metrics: { sub_failed: 2, ratio: 0.75 }, expected_children: true });
    expect(JSON.stringify(list.body)).not.toContain('tok-pg-secret');
    const tree = await getJson(`${hub.url}/api/job/${uid}/resolve`);
    expect(tree.body.children.map((c: { ident: string; result: number }) => [c.ident, c.result])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    const msgs = await getJson(`${hub.url}/api/job/${uid}/messages/pg_run/b`);
    expect(msgs.body.messages[0].message).toBe('b broke');
  });

  it('pages with Python’s after/before window', async () => {
    const uids: number[] = [];
    for (let i = 0; i < 4; i++) uids.push((await postJson(`${hub.url}/api/register`, { ident: `w${i}`, url: '127.0.0.1:1', layer: 'wrapper', owner: 'ivy' })).body.uid);
    const window = await getJson(`${hub.url}/api/jobs?after=${uids[0]}&before=${uids[3]}&limit=100`);
    expect(window.body.children.map((j: { uidx: number }) => j.uidx)).toEqual([uids[2], uids[1]]);
    const limited = await getJson(`${hub.url}/api/jobs?limit=2`);
    expect(limited.body.children.map((j: { uidx: number }) => j.uidx)).toEqual([uids[3], uids[2]]);
    expect(limited.body.total).toBeGreaterThanOrEqual(5);
  });

  it('opens a database Python’s hub created and adds its own columns', async () => {
    const py = new pg.Client({ connectionString: withDatabase(base, pyName) });
    await py.connect();
    try {
      // Piccolo's tables as Python's hub creates them (hub.md §3).
      await py.query('CREATE TABLE completion (uid SERIAL PRIMARY KEY, db_file VARCHAR(5000), timestamp INTEGER, result INTEGER)');
      await py.query('CREATE TABLE registration (uid SERIAL PRIMARY KEY, layer VARCHAR(16), ident VARCHAR(250), server_url VARCHAR(250), owner VARCHAR(250), timestamp INTEGER, completion INTEGER REFERENCES completion(uid))');
      await py.query('CREATE TABLE metric (uid SERIAL PRIMARY KEY, registration INTEGER REFERENCES registration(uid), name VARCHAR(250), value INTEGER)');
      await py.query("INSERT INTO registration (layer, ident, server_url, owner, timestamp) VALUES ('tier', 'old_run', '10.0.0.1:5', 'py', 1700000000)");
    } finally {
      await py.end();
    }
    const old = await startHub({ port: 0, database: withDatabase(base, pyName) });
    try {
      const list = await getJson(`${old.url}/api/jobs`);
      expect(list.body.children).toEqual([expect.objectContaining({ ident: 'old_run', owner: 'py', status: 2, started: 1700000000 })]);
      const uid = (await postJson(`${old.url}/api/register`, { ident: 'new_run', url: '127.0.0.1:1', layer: 'tier', owner: 'ts' })).body.uid;
      expect((await postJson(`${old.url}/api/job/${uid}/heartbeat`, { metrics: { sub_total: 1, coverage: 0.875 } })).status).toBe(200);
      expect((await getJson(`${old.url}/api/job/${uid}`)).body.metrics).toContainEqual({ registration: uid, name: 'coverage', value: 0.875 });
    } finally {
      await old.close();
    }
  });

  it('explains an unreachable server as a storage error', async () => {
    const wrong = new URL(base);
    wrong.password = 'wrong-password';
    await expect(startHub({ port: 0, database: wrong.toString() })).rejects.toMatchObject({
      code: 'GATOR_HUB_STORAGE',
      message: expect.not.stringContaining('wrong-password'),
    });
  });
});

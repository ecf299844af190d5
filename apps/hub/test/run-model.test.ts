/**
 * The hub reads its counts and verdicts from the run model (@gator/db
 * loadRunModel): jobs only, and a run whose root died is interrupted.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLayerStore } from '@gator/db';
import type { Hub } from '../src/index.ts';
import { getJson, postJson, startTestHub, tempDir } from './helpers.ts';

describe('a registered run whose root died without completing', () => {
  const tmp = tempDir();
  let hub: Hub;
  let uid: number;
  beforeAll(async () => {
    hub = await startTestHub(tmp.dir);
    const tracking = path.join(tmp.dir, 'tracking');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const root = openLayerStore({ dir: tracking, kind: 'tier' });
    root.setAttribute('ident', 'nightly');
    root.setAttribute('started', 1_700_000_000);
    root.setAttribute('pid', Number(gone.stdout));
    root.setAttribute('host', os.hostname());
    const pairDir = path.join(tracking, 'pair');
    const pairUid = root.addChild({ ident: 'pair', dbFile: path.join(pairDir, 'db.sqlite'), expectedChildren: 2 });
    root.updateChild(pairUid, { started: 1_700_000_001 });
    root.close();
    const pair = openLayerStore({ dir: pairDir, kind: 'tier' });
    pair.setAttribute('ident', 'pair');
    pair.setAttribute('started', 1_700_000_001);
    for (const [ident, result] of [['ok', 1], ['bad', 2]] as const) {
      const dir = path.join(pairDir, ident);
      const u = pair.addChild({ ident, dbFile: path.join(dir, 'db.sqlite'), expectedChildren: 0 });
      pair.updateChild(u, { started: 1_700_000_002, stopped: 1_700_000_003, result });
      const job = openLayerStore({ dir, kind: 'wrapper' });
      job.setAttribute('ident', ident);
      job.setAttribute('started', 1_700_000_002);
      job.setAttribute('stopped', 1_700_000_003);
      job.setAttribute('result', result);
      job.close();
    }
    pair.close();
    uid = (await postJson(`${hub.url}/api/register`, { ident: 'nightly', url: '127.0.0.1:9', layer: 'tier', db_file: path.join(tracking, 'db.sqlite') })).body.uid;
    // Heartbeats in the Python shape count tiers: the hub must not show these.
    await postJson(`${hub.url}/api/job/${uid}/heartbeat`, { metrics: { sub_total: 3, sub_passed: 1, sub_failed: 2, sub_active: 0 }, failed_ids: [], running_ids: [] });
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('is listed as interrupted, with when it was last heard of, counting jobs only', async () => {
    const r = await getJson(`${hub.url}/api/jobs?q=%23${uid}`);
    const run = r.body.children[0];
    expect(run).toMatchObject({ live: true, stale: true, outcome: 'interrupted' });
    expect(run.last_heard).toBeGreaterThan(0);
    expect(run.summary.jobs).toEqual({ total: 2, passed: 1, failed: 1, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 });
  });

  it('gives every node its jobs and outcome from the model', async () => {
    const pair = await getJson(`${hub.url}/api/job/${uid}/detail/nightly/pair`);
    expect(pair.body.job).toMatchObject({ jobs: { total: 2, passed: 1, failed: 1 } });
    expect(pair.body.summary.failures).toEqual([{ path: ['nightly', 'pair', 'bad'], reason: 'result FAILURE' }]);
    expect(pair.body.run).toMatchObject({ outcome: 'interrupted' });
  });
});

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

/** A finished run's root tier with one passed and one failed job; `recorded`: the attributes a Gator root stores at its end. */
function writeFinishedRun(tracking: string, recorded: Record<string, string | number>): void {
  const root = openLayerStore({ dir: tracking, kind: 'tier' });
  root.setAttribute('ident', 'nightly');
  root.setAttribute('started', 1_700_000_000);
  for (const [ident, result] of [['ok', 1], ['bad', 2]] as const) {
    const dir = path.join(tracking, ident);
    const u = root.addChild({ ident, dbFile: path.join(dir, 'db.sqlite'), expectedChildren: 0 });
    root.updateChild(u, { started: 1_700_000_001, stopped: 1_700_000_002, result });
    const job = openLayerStore({ dir, kind: 'wrapper' });
    job.setAttribute('ident', ident);
    job.setAttribute('started', 1_700_000_001);
    job.setAttribute('stopped', 1_700_000_002);
    job.setAttribute('result', result);
    job.close();
  }
  root.setAttribute('stopped', 1_700_000_003);
  root.setAttribute('result', 2);
  for (const [name, value] of Object.entries(recorded)) root.setAttribute(name, value);
  root.close();
}

describe('the runs list and the trend of finished runs', () => {
  const tmp = tempDir();
  let hub: Hub;
  const uids: Record<string, number> = {};
  const tally = (passed: number, failed: number) => ({ total: passed + failed, passed, failed, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 });
  beforeAll(async () => {
    hub = await startTestHub(tmp.dir);
    const runs: Record<string, Record<string, string | number>> = {
      // An older root: no recorded verdict or roll-up, so the model counts its files.
      older: {},
      // A Gator root records its verdict and its final roll-up's tally: that is what is shown.
      recorded: { outcome: 'failed', summary: JSON.stringify({ metrics: {}, failed_ids: [['nightly', 'bad']], running_ids: [], jobs: tally(1, 1) }) },
      // A roll-up that still counts a running job is not a final one: the model counts.
      unfinished: { outcome: 'failed', summary: JSON.stringify({ metrics: {}, failed_ids: [], running_ids: [['nightly', 'bad']], jobs: { ...tally(1, 0), total: 2, running: 1 } }) },
    };
    for (const [name, attrs] of Object.entries(runs)) {
      const tracking = path.join(tmp.dir, name);
      writeFinishedRun(tracking, attrs);
      const dbFile = path.join(tracking, 'db.sqlite');
      const uid = (await postJson(`${hub.url}/api/register`, { ident: 'nightly', url: '127.0.0.1:9', layer: 'tier', db_file: dbFile })).body.uid as number;
      await postJson(`${hub.url}/api/job/${uid}/complete`, { db_file: dbFile, result: 2 });
      uids[name] = uid;
    }
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('show every run’s verdict and jobs, from its root’s records or else its files', async () => {
    const list = (await getJson(`${hub.url}/api/jobs?limit=10`)).body.children as { uidx: number; outcome?: string; summary: { jobs?: unknown } }[];
    const trend = (await getJson(`${hub.url}/api/job/${uids.unfinished}/trend`)).body.points as { uid: number; outcome: string; jobs: unknown; passRate: number }[];
    for (const name of ['older', 'recorded', 'unfinished']) {
      const shown = list.find((r) => r.uidx === uids[name]);
      expect(shown, name).toMatchObject({ outcome: 'failed', summary: { jobs: tally(1, 1) } });
      expect(trend.find((p) => p.uid === uids[name]), name).toMatchObject({ outcome: 'failed', jobs: tally(1, 1), passRate: 0.5 });
    }
  });
});

/**
 * Triage over a live run: its messages read from the end over the layers'
 * websockets (get_messages pages forward only), and its children sorted
 * before paging. (Finished runs: apps/cli/test/e2e/triage-hub.test.ts.)
 */
import { JobResult, JobState } from '@gator/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.ts';
import { FakeLayer, getJson, postJson, startTestHub, tempDir } from './helpers.ts';

const TOKEN = 'triage-run-token-1';

describe('triage of a live run', () => {
  const tmp = tempDir();
  let hub: Hub;
  let root: FakeLayer;
  let uid: number;

  beforeAll(async () => {
    hub = await startTestHub(tmp.dir);
    root = new FakeLayer('nightly', [new FakeLayer('zeta'), new FakeLayer('alpha'), new FakeLayer('mid')]);
    await root.listen(TOKEN);
    const [zeta, alpha] = root.children!;
    for (let i = 1; i <= 2500; i++) zeta!.log(20, `line ${i}`);
    zeta!.finish(JobResult.FAILURE);
    alpha!.finish(JobResult.SUCCESS);
    root.children![2]!.status = JobState.STARTED;
    uid = (await postJson(`${hub.url}/api/register`, { ident: 'nightly', url: root.server!.address, layer: 'tier', token: TOKEN })).body.uid;
  });
  afterAll(async () => {
    await hub.close();
    await root.close();
    tmp.cleanup();
  });

  it('reads a live job’s messages from the end and pages back', async () => {
    const base = `${hub.url}/api/job/${uid}/messages/nightly/zeta`;
    const end = await getJson(`${base}?tail=1&limit=1000`);
    expect(end.status).toBe(200);
    expect(end.body.messages).toHaveLength(1000);
    expect(end.body.messages.at(-1).message).toBe('line 2500');
    expect(end.body.messages[0].message).toBe('line 1501');
    expect(end.body.prev_before).toBe(1501);
    const back = await getJson(`${base}?tail=1&limit=1000&before=${end.body.prev_before}`);
    expect(back.body.messages.map((m: { uid: number }) => m.uid)).toEqual(Array.from({ length: 1000 }, (_, i) => 501 + i));
    const first = await getJson(`${base}?tail=1&limit=1000&before=${back.body.prev_before}`);
    expect(first.body.messages).toHaveLength(500);
    expect(first.body.prev_before).toBe(0);
  });

  it('sorts a live tier’s children by name and by result before paging', async () => {
    const idents = async (q: string) => ((await getJson(`${hub.url}/api/job/${uid}/resolve?depth=1&${q}`)).body.children as { ident: string }[]).map((c) => c.ident);
    expect(await idents('sort=name')).toEqual(['alpha', 'mid', 'zeta']);
    expect(await idents('sort=result')).toEqual(['zeta', 'mid', 'alpha']);
    expect(await idents('sort=name&desc=1&limit=1')).toEqual(['zeta']);
    const bad = await getJson(`${hub.url}/api/job/${uid}/resolve?sort=size`);
    expect(bad.status).toBe(400);
  });

  it('says plainly that a run whose files it cannot read cannot be searched', async () => {
    const r = await getJson(`${hub.url}/api/job/${uid}/search/nightly?q=line`);
    expect(r.status).toBe(404);
    expect(r.body.reason).toMatch(/cannot be read here/);
  });
});

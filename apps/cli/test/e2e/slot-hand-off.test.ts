/**
 * Issue 15, no idle slot: a pre-started wrapper spawns its job on its go and
 * gives its slot back at its job's end, before it reports. The tier then records
 * the job's own start and stop (what the wrapper reports), so a job's times are
 * one truth: its ChildEntry row, its own database, `gator show --json`, the
 * recorded model the hub reads for a finished run and the hub's API agree to
 * the digit, and a tier's rows never show more jobs at once than the pool has
 * slots (what the hub's timeline draws). The same with wrappers hosted in their tier
 * (`wrappers=inprocess`), whose slots are also free at their jobs' ends.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachNode, loadRecordedRunModel, openLayerReader } from '@gator/db';
import { gator, startHub, tempDir, waitFor, writeSpec } from '../helpers.js';

const SPEC = `!JobGroup
ident: top
jobs:
  - !JobArray
    ident: arr
    repeats: 6
    jobs:
      - !Job {ident: s, command: sleep, args: ["0.2"]}
  - !Job {ident: solo, command: sleep, args: ["0.2"]}
`;

/** Most intervals open at once (an end and a start at the same instant do not overlap). */
function mostAtOnce(bars: { started: number; stopped: number }[]): number {
  const edges = bars.flatMap((b) => [[b.started, 1] as const, [b.stopped, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (open += d));
  return most;
}

// A wrapper process says `ended` on its go channel; a wrapper hosted in its tier tells the same through its run.
describe.each([
  ['wrapper processes', [] as string[]],
  ['wrappers=inprocess', ['--sched-arg', 'wrappers=inprocess']],
])('slot hand-off, %s', (_mode, modeArgs) => {
  it("every view tells a job's own start and stop, and no tier shows more jobs at once than slots", async () => {
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);
    try {
      const file = writeSpec(dir, 'spec.yaml', SPEC);
      const tracking = path.join(dir, 'run');
      const done = await gator(['run', file, '--tracking', 'run', '--hub', address, '--interval', '0.5', '--sched-arg', 'concurrency=2', ...modeArgs], { cwd: dir });
      expect(done.code, done.stdout + done.stderr).toBe(0);

      // Each tier's rows against the jobs' own databases.
      const own = new Map<string, { started: number; stopped: number }>();
      const rows = new Map<string, { started: number; stopped: number }>();
      const allBars: { started: number; stopped: number }[] = [];
      for (const [tier, prefix] of [
        [tracking, 'top'],
        [path.join(tracking, 'arr'), 'top.arr'],
      ] as const) {
        const reader = openLayerReader(tier);
        const bars: { started: number; stopped: number }[] = [];
        for (const row of reader.children()) {
          if (row.ident === 'arr') continue;
          const job = openLayerReader(path.dirname(row.dbFile));
          const attrs = job.attributes();
          job.close();
          const key = `${prefix}.${row.ident}`;
          own.set(key, { started: Number(attrs.started), stopped: Number(attrs.stopped) });
          rows.set(key, { started: row.started!, stopped: row.stopped! });
          bars.push(rows.get(key)!);
        }
        reader.close();
        expect(mostAtOnce(bars), prefix).toBeLessThanOrEqual(2);
        allBars.push(...bars);
      }
      expect(rows.size).toBe(7);
      expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(own));
      // One pool for the run: across tiers too.
      expect(mostAtOnce(allBars)).toBeLessThanOrEqual(2);

      // gator show --json (the run model: each job's own database) and the recorded model (the tiers' rows).
      type Shown = { path: string[]; kind: string; started: number; stopped: number; children?: Shown[] };
      const show = JSON.parse((await gator(['show', tracking, '--json'], { cwd: dir })).stdout) as { root: Shown };
      const shown = new Map<string, { started: number; stopped: number }>();
      const walk = (n: Shown) => {
        if (n.kind === 'job') shown.set(n.path.join('.'), { started: n.started, stopped: n.stopped });
        for (const c of n.children ?? []) walk(c);
      };
      walk(show.root);
      expect(Object.fromEntries(shown)).toEqual(Object.fromEntries(own));
      const recorded = loadRecordedRunModel(tracking);
      expect(recorded).toBeDefined();
      const fromRecords = new Map<string, { started: number; stopped: number }>();
      for (const n of eachNode(recorded!.root)) if (n.kind === 'job') fromRecords.set(n.path.join('.'), { started: n.started!, stopped: n.stopped! });
      expect(Object.fromEntries(fromRecords)).toEqual(Object.fromEntries(own));

      // The hub's API on the finished run.
      type Listed = { uidx: number; live: boolean; db_file: string };
      let run: Listed | undefined;
      await waitFor(async () => {
        const list = (await (await fetch(`${url}/api/jobs`)).json()) as { children: Listed[] };
        run = list.children.find((r) => path.dirname(r.db_file) === tracking);
        return run !== undefined && !run.live;
      }, 30_000, 'the hub to see the run complete');
      type ApiNode = { ident: string; started: number | null; stopped: number | null; children?: ApiNode[] };
      const top = (await (await fetch(`${url}/api/job/${run!.uidx}/resolve?depth=2`)).json()) as ApiNode;
      const solo = top.children?.find((c) => c.ident === 'solo');
      expect({ started: solo?.started, stopped: solo?.stopped }).toEqual(own.get('top.solo'));
      const arr = top.children?.find((c) => c.ident === 'arr');
      for (const c of arr?.children ?? []) expect({ started: c.started, stopped: c.stopped }, c.ident).toEqual(own.get(`top.arr.${c.ident}`));
      expect(arr?.children?.length).toBe(6);
    } finally {
      hub.child.kill('SIGTERM');
      await hub.done;
    }
  }, 180_000);
});

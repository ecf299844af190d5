/**
 * Issue 19, scale: the hub reads a finished run's counts from its tiers'
 * records (@gator/db loadRecordedRunModel) instead of every job's database.
 * On a real run with failures of several kinds (exit code, stderr, a log rule,
 * a timeout, a lost wrapper, a skipped dependant, a pass on a retry, in a
 * group and an array), that reading must be the run model's own, and the
 * hub, `gator show --json` and the JUnit export must tell the same numbers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachNode, loadRecordedRunModel, loadRunModel, type NodeModel } from '@gator/db';
import { gator, startGator, startHub, tempDir, waitFor, writeSpec } from '../helpers.js';

const SPEC = `!JobGroup
ident: nightly
jobs:
  - !JobGroup
    ident: unit
    jobs:
      - !Job {ident: ok, command: bash, args: [-c, 'echo fine']}
      - !Job {ident: exit3, command: bash, args: [-c, 'echo about to fail; exit 3']}
      - !Job {ident: stderr, command: bash, args: [-c, 'echo oops >&2']}
      - !Job
        ident: rule
        command: bash
        args: [-c, 'echo "CHECK_FAIL mismatch"']
        log_rules: [{pattern: '^CHECK_FAIL', severity: ERROR}]
      - !Job {ident: after, command: bash, args: [-c, 'echo never'], on_pass: [exit3]}
  - !JobArray
    ident: seeds
    repeats: 4
    jobs:
      - !Job {ident: sim, command: bash, args: [-c, 'if [ $(( \${GATOR_ARRAY_INDEX:-0} % 2 )) -eq 1 ]; then echo bad seed; exit 5; fi; echo even']}
  - !Job {ident: slow, command: bash, args: [-c, 'echo waiting; sleep 30'], timeout: 1}
  - !Job
    ident: flaky
    retries: 1
    command: bash
    args: [-c, 'if [ -e "$GATOR_TRACKING/tried" ]; then echo second; exit 0; fi; touch "$GATOR_TRACKING/tried"; exit 1']
  - !Job {ident: lost, command: bash, args: [-c, 'kill -9 \\$PPID; sleep 5']}
`;

/** A node without what the records do not hold for a passed job (its own clock, attempts' times, exit). */
function comparable(n: NodeModel): Record<string, unknown> {
  const { children: _children, started, stopped, duration, attempts, exit, ...rest } = n;
  const passedJob = n.kind === 'job' && n.outcome === 'passed';
  return {
    ...rest,
    lastAttempt: attempts[attempts.length - 1]?.attempt ?? null,
    ...(passedJob ? {} : { started, stopped, duration, exit, attempts }),
  };
}

describe('a finished run read from its tiers’ records', () => {
  it('is the run model, and the hub, show --json and the JUnit export agree on it', async () => {
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);
    try {
      const file = writeSpec(dir, 'spec.yaml', SPEC);
      const tracking = path.join(dir, 'tracking');
      const done = await gator(['run', file, '--tracking', tracking, '--hub', address, '--interval', '0.5'], { cwd: dir });
      expect(done.code, done.stdout + done.stderr).toBe(1);

      const full = loadRunModel(tracking, { errorLines: 1 });
      const recorded = loadRecordedRunModel(tracking, { errorLines: 1 });
      expect(recorded, 'a finished Gator run can be read from its records').toBeDefined();
      expect([...eachNode(recorded!.root)].map(comparable)).toEqual([...eachNode(full.root)].map(comparable));
      for (const key of ['totals', 'messages', 'failures', 'verdict', 'outcome', 'notices', 'buckets', 'summary'] as const) {
        expect(recorded![key], key).toEqual(full[key]);
      }
      // Every kind of end is there.
      expect(full.totals).toMatchObject({ total: 12, passed: 4, failed: 6, lost: 1, skipped: 1 });
      expect(new Set(full.failures.map((f) => f.path.at(-1)))).toEqual(new Set(['exit3', 'stderr', 'rule', 'sim_1', 'sim_3', 'slow', 'lost']));

      const show = JSON.parse((await gator(['show', tracking, '--json'], { cwd: dir })).stdout) as { totals: Record<string, number> };
      await gator(['export', tracking, '--junit', path.join(dir, 'r.xml')], { cwd: dir });
      const xml = fs.readFileSync(path.join(dir, 'r.xml'), 'utf8');
      const head = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/.exec(xml);
      expect(head, xml.slice(0, 400)).not.toBeNull();

      let run: { uidx: number; live: boolean; outcome?: string; summary: { jobs?: Record<string, number> } } | undefined;
      await waitFor(async () => {
        const list = (await (await fetch(`${url}/api/jobs`)).json()) as { children: NonNullable<typeof run>[] };
        run = list.children.find((r) => !r.live);
        return run !== undefined;
      }, 30_000, 'the hub to see the run complete');
      // The runs list and the trend read the root's recorded verdict and roll-up (run-tallies.ts headline), before anything loads the model.
      const trend = (await (await fetch(`${url}/api/job/${run!.uidx}/trend`)).json()) as { points: { uid: number; outcome: string; jobs: Record<string, number> | null; passRate: number | null }[] };
      const root = (await (await fetch(`${url}/api/job/${run!.uidx}/resolve?depth=1`)).json()) as { jobs: Record<string, number>; children: { ident: string; jobs?: Record<string, number>; outcome?: string; flaky?: boolean }[] };
      const failed = (await (await fetch(`${url}/api/job/${run!.uidx}/failed/nightly`)).json()) as { total: number; jobs: { path: string[]; kind: string | null; outcome: string }[] };

      // One set of numbers: the model's.
      expect(show.totals).toEqual(full.totals);
      expect(run!.summary.jobs).toEqual(full.totals);
      expect(run!.outcome).toBe(full.outcome);
      expect(full.summary?.jobs, 'the root’s roll-up is the model’s tally').toEqual(full.totals);
      const point = trend.points.find((p) => p.uid === run!.uidx);
      expect(point).toMatchObject({ outcome: full.outcome, jobs: full.totals, passRate: full.totals.passed / (full.totals.passed + full.totals.failed + full.totals.lost + full.totals.stopped) });
      expect(root.jobs).toEqual(full.totals);
      expect([Number(head![1]), Number(head![2]), Number(head![3]), Number(head![4])]).toEqual([
        full.totals.total,
        full.totals.failed,
        full.totals.lost,
        full.totals.skipped + full.totals.stopped,
      ]);
      for (const child of full.root.children ?? []) {
        const shown = root.children.find((c) => c.ident === child.ident);
        expect(shown?.outcome, child.ident).toBe(child.outcome);
        if (child.totals) expect(shown?.jobs, child.ident).toEqual(child.totals);
      }
      expect(root.children.find((c) => c.ident === 'flaky')?.flaky).toBe(true);
      expect(failed.total).toBe(full.failures.length);
      expect(failed.jobs.map((j) => [j.path.join('.'), j.outcome, j.kind])).toEqual(
        [...eachNode(full.root)].filter((n) => n.kind === 'job' && (n.outcome === 'failed' || n.outcome === 'lost')).map((n) => [n.path.join('.'), n.outcome, n.outcomeKind]),
      );
    } finally {
      hub.child.kill('SIGTERM');
      await hub.done;
    }
  }, 120_000);

  it('the runs list and the trend tell a rerun’s and a stopped run’s numbers as show --json does', async () => {
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);
    try {
      const fixed = path.join(dir, 'fixed');
      const file = writeSpec(
        dir,
        'spec.yaml',
        `!JobGroup
ident: nightly
jobs:
  - !Job {ident: ok, command: bash, args: [-c, 'echo fine']}
  - !Job {ident: bad, command: bash, args: [-c, 'test -f ${fixed}']}
  - !Job {ident: after, command: bash, args: [-c, 'echo after'], on_pass: [bad]}
`,
      );
      const first = await gator(['run', file, '--tracking', 'tracking/first', '--hub', address, '--interval', '0.5'], { cwd: dir });
      expect(first.code, first.stdout + first.stderr).toBe(1);
      fs.writeFileSync(fixed, '');
      const second = await gator(['run', file, '--tracking', 'tracking/second', '--rerun-failed', 'tracking/first', '--hub', address, '--interval', '0.5'], { cwd: dir });
      expect(second.code, second.stdout + second.stderr).toBe(0);
      const long = writeSpec(
        dir,
        'long.yaml',
        `!JobGroup
ident: nightly
jobs:
  - !Job {ident: ok, command: bash, args: [-c, 'echo fine']}
  - !Job {ident: long, command: bash, args: [-c, 'sleep 30']}
`,
      );
      const stopping = startGator(['run', long, '--tracking', 'tracking/third', '--hub', address, '--interval', '0.5'], { cwd: dir });
      await waitFor(() => fs.existsSync(path.join(dir, 'tracking/third/long/db.sqlite')), 30_000, 'the long job to start');
      stopping.child.kill('SIGINT');
      await stopping.done;

      const names = ['first', 'second', 'third'];
      type Listed = { uidx: number; live: boolean; db_file: string; outcome?: string; summary: { jobs?: Record<string, number> } };
      let listed: Listed[] = [];
      await waitFor(async () => {
        listed = ((await (await fetch(`${url}/api/jobs?limit=10`)).json()) as { children: Listed[] }).children;
        return listed.length === 3 && listed.every((r) => !r.live);
      }, 30_000, 'the hub to see the three runs complete');
      const latest = Math.max(...listed.map((r) => r.uidx));
      const trend = (await (await fetch(`${url}/api/job/${latest}/trend`)).json()) as { points: { uid: number; outcome: string; jobs: Record<string, number> | null }[] };
      const outcomes: string[] = [];
      for (const name of names) {
        const tracking = path.join(dir, 'tracking', name);
        const full = loadRunModel(tracking);
        const show = JSON.parse((await gator(['show', tracking, '--json'], { cwd: dir })).stdout) as { totals: Record<string, number> };
        const shown = listed.find((r) => path.dirname(r.db_file) === tracking);
        expect(shown, name).toBeDefined();
        expect(shown!.summary.jobs, name).toEqual(full.totals);
        expect(show.totals, name).toEqual(full.totals);
        expect(shown!.outcome, name).toBe(full.outcome);
        expect(trend.points.find((p) => p.uid === shown!.uidx), name).toMatchObject({ outcome: full.outcome, jobs: full.totals });
        outcomes.push(full.outcome);
      }
      expect(outcomes).toEqual(['failed', 'passed', 'stopped']);
    } finally {
      hub.child.kill('SIGTERM');
      await hub.done;
    }
  }, 120_000);
});

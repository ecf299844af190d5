/**
 * Issue 19: the history of a run from the hub's database. Two runs of one spec
 * in two unrelated tracking directories join a real hub; its history API finds
 * both (they are not siblings on disk), diffs the second against the first and
 * gives one job's trials, as `gator diff` and `gator history` would.
 */
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gator, startHub, tempDir, writeSpec } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');

const SPEC = `!JobGroup
ident: hubbed
jobs:
  - !Job {ident: fixme, command: bash, args: [-c, 'test "$RUN" = 2']}
  - !Job {ident: flaky, retries: 1, command: bash, args: [-c, 'test "$RUN" = 1 && exit 0; test -f f.marker && exit 0; touch f.marker; exit 5']}
`;

interface History {
  runs: { dir: string; uid: number | null }[];
  diff: { sections: Record<string, { path: string }[]> } | null;
  job?: { rows: { trial: { outcome: string } }[]; flakeRate: number };
}

describe('history through the hub', () => {
  it('finds the runs of the spec it registered, wherever they are, and diffs the newest against the one before', async () => {
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);
    try {
      const spec = writeSpec(dir, 'spec.yaml', SPEC);
      for (const run of ['1', '2']) {
        const done = await gator(['run', spec, '--tracking', path.join(`place${run}`, 'run'), '--hub', address, '--interval', '0.5'], { cwd: dir, env: { RUN: run } });
        expect(done.code, done.stdout + done.stderr).toBe(run === '1' ? 1 : 0);
      }
      const list = (await (await fetch(`${url}/api/jobs?limit=10`)).json()) as { children: { uidx: number; ident: string; started: number }[] };
      const runs = list.children.filter((j) => j.ident === 'hubbed').sort((a, b) => a.uidx - b.uidx);
      expect(runs).toHaveLength(2);
      const reply = await fetch(`${url}/api/job/${runs[1]!.uidx}/history?path=flaky`);
      expect(reply.status).toBe(200);
      const history = (await reply.json()) as History;
      expect(history.runs.map((r) => [path.relative(dir, r.dir), r.uid])).toEqual([
        [path.join('place1', 'run'), runs[0]!.uidx],
        [path.join('place2', 'run'), runs[1]!.uidx],
      ]);
      const paths = Object.fromEntries(Object.entries(history.diff!.sections).filter(([, v]) => v.length > 0).map(([k, v]) => [k, v.map((e) => e.path)]));
      expect(paths).toMatchObject({ fixed: ['fixme'], flaky: ['flaky'] });
      expect(paths.newFailures).toBeUndefined();
      expect(history.job!.rows.map((r) => r.trial.outcome)).toEqual(['flaky', 'passed']);
      expect(history.job!.flakeRate).toBe(0.5);
      // The hub's tree says the job is flaky (the UI shows ↻ FLAKY), and counts it as passed.
      const tree = (await (await fetch(`${url}/api/job/${runs[1]!.uidx}/resolve/hubbed`)).json()) as { jobs: { passed: number }; children: { ident: string; outcome: string; flaky?: boolean }[] };
      expect(tree.children.find((c) => c.ident === 'flaky')).toMatchObject({ outcome: 'passed', flaky: true });
      expect(tree.children.find((c) => c.ident === 'fixme')!.flaky).toBeUndefined();
      expect(tree.jobs.passed).toBe(2);
      // In a browser: the run's tree marks the flaky job ↻ FLAKY, the fixed one passed.
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-e2e-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1200, height: 700 },
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const page = await context.newPage();
        await page.goto(`${url}/runs/${runs[1]!.uidx}/hubbed`);
        const flakyRow = page.locator('[data-testid=tree-row][data-ident=flaky]');
        await flakyRow.waitFor({ timeout: 30_000 });
        expect(await flakyRow.getAttribute('data-verdict')).toBe('flaky');
        expect(await flakyRow.textContent()).toContain('↻');
        expect(await page.locator('[data-testid=tree-row][data-ident=fixme]').getAttribute('data-verdict')).toBe('pass');
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'hub-flaky-tree.png') });
      } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
      // The first run of the spec has nothing before it.
      const first = (await (await fetch(`${url}/api/job/${runs[0]!.uidx}/history`)).json()) as History;
      expect(first.diff).toBeNull();
      expect(first.runs).toHaveLength(1);
    } finally {
      hub.child.kill('SIGTERM');
      await hub.done;
    }
  });
});

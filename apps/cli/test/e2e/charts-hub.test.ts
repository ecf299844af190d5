/**
 * Issue 19, the hub's pictures: three real runs of one spec through a real
 * hub, then its chart endpoints and the charts in headless Chromium: the
 * run's timeline (a bar per job, lanes that never overlap, outcome colours,
 * flaky apart), the duration histogram with the slowest jobs, a job's CPU and
 * memory from its samples, its trend across runs, and the spec's pass rate on
 * the runs page. Screenshots go to test-artifacts/.
 */
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gator, startGator, startHub, tempDir, waitFor, writeSpec } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
const WAIT = { timeout: 30_000 };

// Run 1: fixme fails. Run 2: everything passes. Run 3: breaks fails, flaky passes on its retry.
const spec = (hungry: string) => `!JobGroup
ident: charted
jobs:
  - !Job {ident: build, command: bash, args: [-c, 'sleep 0.5']}
  - !Job {ident: fixme, command: bash, args: [-c, 'sleep 0.3; test "$RUN" != 1']}
  - !Job {ident: breaks, command: bash, args: [-c, 'sleep 0.3; test "$RUN" != 3']}
  - !Job {ident: flaky, retries: 1, command: bash, args: [-c, 'test "$RUN" != 3 && exit 0; test -f f.marker && exit 0; touch f.marker; exit 5']}
  - !Job {ident: hungry, command: python3, args: [${JSON.stringify(hungry)}]}
  - !JobGroup
    ident: deep
    jobs:
      - !JobGroup
        ident: deeper
        jobs:
          - !Job {ident: leaf, command: bash, args: [-c, 'sleep 0.4']}
`;

// About 96 MiB resident and a busy core for 3 s: something to see in the samples.
const HUNGRY = `import time
x = bytearray(96 * 2**20)
for i in range(0, len(x), 4096):
    x[i] = 1
end = time.time() + 3
while time.time() < end:
    pass
`;

interface Bar {
  path: string[];
  started: number;
  stopped: number | null;
  outcome: string;
  reason: string | null;
  lane: number;
}

async function fills(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => [...new Set(els.map((e) => getComputedStyle(e).fill))]);
}

describe('the hub’s charts', () => {
  it('draws a run’s timeline, its durations, a job’s resources and trends from real runs', async () => {
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);
    try {
      const hungry = path.join(dir, 'hungry.py');
      fs.writeFileSync(hungry, HUNGRY);
      const file = writeSpec(dir, 'spec.yaml', spec(hungry));
      for (const run of ['1', '2', '3']) {
        const done = await gator(['run', file, '--tracking', path.join('tracking', `run${run}`), '--hub', address, '--interval', '0.5', '--sched-arg', 'concurrency=3'], {
          cwd: dir,
          env: { RUN: run },
        });
        expect(done.code, done.stdout + done.stderr).toBe(run === '2' ? 0 : 1);
      }
      const list = (await (await fetch(`${url}/api/jobs?limit=10`)).json()) as { children: { uidx: number; ident: string }[] };
      const uids = list.children.filter((j) => j.ident === 'charted').map((j) => j.uidx).sort((a, b) => a - b);
      expect(uids).toHaveLength(3);
      const last = uids[2]!;

      // The timeline: every job that ran, once, by its path; outcomes from the run model.
      const timeline = (await (await fetch(`${url}/api/job/${last}/timeline`)).json()) as { bars: Bar[]; lanes: number; started: number; stopped: number; truncated: boolean };
      const byPath = Object.fromEntries(timeline.bars.map((b) => [b.path.join('.'), b.outcome]));
      expect(byPath).toEqual({ build: 'passed', fixme: 'passed', breaks: 'failed', flaky: 'flaky', hungry: 'passed', 'deep.deeper.leaf': 'passed' });
      expect(timeline.bars.find((b) => b.path.join('.') === 'breaks')!.reason).toBeTruthy();
      expect(timeline.truncated).toBe(false);
      // No two bars of a lane overlap, and lanes are needed: jobs ran side by side.
      expect(timeline.lanes).toBeGreaterThanOrEqual(2);
      for (let lane = 0; lane < timeline.lanes; lane++) {
        const inLane = timeline.bars.filter((b) => b.lane === lane).sort((a, b) => a.started - b.started);
        for (let i = 1; i < inLane.length; i++) expect(inLane[i]!.started).toBeGreaterThanOrEqual(inLane[i - 1]!.stopped!);
      }
      // A subtree's timeline has its jobs only.
      const deep = (await (await fetch(`${url}/api/job/${last}/timeline/charted/deep`)).json()) as { bars: Bar[] };
      expect(deep.bars.map((b) => b.path.join('.'))).toEqual(['deep.deeper.leaf']);

      // The samples of the hungry job: its memory and its busy core.
      const resources = (await (await fetch(`${url}/api/job/${last}/resources/charted/hungry`)).json()) as { samples: { cpu: number; mem: number; timestamp: number }[] };
      expect(resources.samples.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...resources.samples.map((s) => s.mem))).toBeGreaterThan(64 * 2 ** 20);
      expect(Math.max(...resources.samples.map((s) => s.cpu))).toBeGreaterThan(20);
      expect((await fetch(`${url}/api/job/${last}/resources/charted/deep`)).status).toBe(400);

      // The spec's pass rate: 5 of 6 jobs, all 6, 5 of 6 (flaky counts as passed).
      const trend = (await (await fetch(`${url}/api/job/${last}/trend`)).json()) as { points: { uid: number; outcome: string; passRate: number }[] };
      expect(trend.points.map((p) => [p.uid, p.outcome, Number(p.passRate.toFixed(3))])).toEqual([
        [uids[0], 'failed', 0.833],
        [uids[1], 'passed', 1],
        [uids[2], 'failed', 0.833],
      ]);

      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-e2e-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 1000 },
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const pageErrors: string[] = [];
      try {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        const page = await context.newPage();
        page.on('pageerror', (e) => pageErrors.push(String(e)));

        // The runs page: the spec's pass rate, one point per run, coloured by its verdict.
        await page.goto(url);
        await page.locator('[data-testid=pass-rate-point]').nth(2).waitFor(WAIT);
        expect(await page.$$eval('[data-testid=pass-rate-point]', (els) => els.map((e) => [e.getAttribute('data-outcome'), e.getAttribute('data-rate')]))).toEqual([
          ['failed', '0.8333'],
          ['passed', '1.0000'],
          ['failed', '0.8333'],
        ]);
        expect(await page.locator('[data-testid=pass-rate-axis] text').allTextContents()).toEqual(['0%', '25%', '50%', '75%', '100%']);
        await page.screenshot({ path: path.join(ARTIFACTS, 'hub-pass-rate.png') });

        // The run's timeline and durations.
        await page.goto(`${url}/runs/${last}/charted`);
        await page.locator('[data-testid=tab-charts]').click();
        await page.locator('[data-testid=timeline-bar]').first().waitFor(WAIT);
        expect(await page.locator('[data-testid=timeline-bar]').count()).toBe(6);
        expect(await page.locator('[data-testid=timeline-tick]').count()).toBeGreaterThanOrEqual(2);
        expect(await page.locator('[data-testid=timeline-bar][data-path="deep.deeper.leaf"]').count()).toBe(1);
        const [pass] = await fills(page, '[data-testid=timeline-bar][data-outcome=passed]');
        const [fail] = await fills(page, '[data-testid=timeline-bar][data-outcome=failed]');
        const [flaky] = await fills(page, '[data-testid=timeline-bar][data-outcome=flaky]');
        expect(pass).toBe('rgb(47, 158, 91)');
        expect(fail).toBe('rgb(216, 57, 59)');
        expect(new Set([pass, fail, flaky]).size).toBe(3);
        expect(await page.locator('[data-testid=timeline-bar][data-path=breaks] title').textContent()).toMatch(/^breaks · failed · .+ · \S/);
        const counts = await page.$$eval('[data-testid=histogram-bar]', (els) => els.map((e) => Number(e.getAttribute('data-count'))));
        expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
        expect(await page.locator('[data-testid=histogram-tick]').count()).toBeGreaterThanOrEqual(2);
        expect(await page.locator('[data-testid=slowest-row]').first().textContent()).toContain('hungry');
        await page.screenshot({ path: path.join(ARTIFACTS, 'hub-timeline.png') });

        // A click on a bar opens the job; its charts: CPU and memory, and its runs.
        await page.locator('[data-testid=timeline-bar][data-path=hungry]').click();
        await page.locator('[data-testid=detail-ident]', { hasText: 'hungry' }).waitFor(WAIT);
        expect(page.url()).toBe(`${url}/runs/${last}/charted/hungry`);
        await page.locator('[data-testid=tab-charts]').click();
        await page.locator('[data-testid=cpu]').waitFor(WAIT);
        expect(Number(await page.locator('[data-testid=cpu]').getAttribute('data-points'))).toBe(resources.samples.length);
        expect(Number(await page.locator('[data-testid=mem]').getAttribute('data-points'))).toBe(resources.samples.length);
        const memLabels = await page.locator('[data-testid=mem-axis] text').allTextContents();
        expect(memLabels[0]).toBe('0 B');
        expect(memLabels.filter((l) => / MiB$/.test(l)).length).toBeGreaterThanOrEqual(1);
        await page.locator('[data-testid=trend-bar]').nth(2).waitFor(WAIT);
        expect(await page.locator('[data-testid=trend-bar]').count()).toBe(3);
        await page.screenshot({ path: path.join(ARTIFACTS, 'hub-job-charts.png') });

        // The flaky job's trend: passed, passed, then flaky in its own colour.
        await page.goto(`${url}/runs/${last}/charted/flaky`);
        await page.locator('[data-testid=tab-charts]').click();
        await page.locator('[data-testid=trend-bar]').nth(2).waitFor(WAIT);
        expect(await page.$$eval('[data-testid=trend-bar]', (els) => els.map((e) => e.getAttribute('data-outcome')))).toEqual(['passed', 'passed', 'flaky']);
        expect(await page.locator('[data-testid=trend-summary]').textContent()).toContain('flake rate 33%');
        expect(await fills(page, '[data-testid=trend-bar][data-outcome=flaky]')).toEqual([flaky]);
        await page.screenshot({ path: path.join(ARTIFACTS, 'hub-job-trend.png') });
        expect(pageErrors).toEqual([]);
      } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    } finally {
      hub.child.kill('SIGTERM');
      await hub.done;
    }
  }, 180_000);

  it('draws a live run’s timeline: a running job’s bar grows to the hub’s clock', async () => {
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);
    try {
      const file = writeSpec(
        dir,
        'live.yaml',
        `!JobGroup
ident: live_charted
jobs:
  - !Job {ident: quick, command: bash, args: [-c, 'exit 0']}
  - !Job {ident: slow, command: bash, args: [-c, 'while [ ! -f release ]; do sleep 0.1; done']}
`,
      );
      const run = startGator(['run', file, '--tracking', 'tracking/live', '--hub', address, '--interval', '0.5'], { cwd: dir });
      let bars: Bar[] = [];
      let uid = 0;
      await waitFor(async () => {
        const list = (await (await fetch(`${url}/api/jobs?limit=5`)).json()) as { children: { uidx: number; ident: string }[] };
        uid = list.children.find((j) => j.ident === 'live_charted')?.uidx ?? 0;
        if (!uid) return false;
        const reply = await fetch(`${url}/api/job/${uid}/timeline`);
        if (!reply.ok) return false;
        bars = ((await reply.json()) as { bars: Bar[] }).bars;
        return bars.some((b) => b.path[0] === 'slow' && b.outcome === 'running') && bars.some((b) => b.path[0] === 'quick' && b.outcome === 'passed');
      }, 60_000, 'the live timeline to show the running job');
      expect(bars.find((b) => b.path[0] === 'slow')!.stopped).toBeNull();
      fs.writeFileSync(path.join(dir, 'release'), '');
      const done = await run.done;
      expect(done.code, done.stdout + done.stderr).toBe(0);
    } finally {
      hub.child.kill('SIGTERM');
      await hub.done;
    }
  }, 120_000);
});

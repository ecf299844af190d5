/**
 * Issue 19, the hub's Charts tab on a live run, in headless Chromium: a running
 * job's CPU and memory are drawn from its samples and the chart grows as new
 * samples come in; selecting another node keeps the Charts tab (a group shows
 * its timeline there). Screenshots go to test-artifacts/.
 */
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startGator, startHub, tempDir, waitFor, writeSpec } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
const WAIT = { timeout: 30_000 };

// Busy and holding ~64 MiB until the test writes the file `release` names.
const busyScript = (release: string) => `import os
x = bytearray(64 * 2**20)
for i in range(0, len(x), 4096):
    x[i] = 1
while not os.path.exists(${JSON.stringify(release)}):
    sum(range(10000))
`;

describe('the hub’s Charts tab on a live run', () => {
  it('draws a running job’s resources as they come in, and keeps the tab when another node is selected', async () => {
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);
    const busy = path.join(dir, 'busy.py');
    fs.writeFileSync(busy, busyScript(path.join(dir, 'release')));
    const file = writeSpec(
      dir,
      'live.yaml',
      `!JobGroup
ident: live_res
jobs:
  - !Job {ident: quick, command: bash, args: [-c, 'echo done']}
  - !Job {ident: busy, command: python3, args: [${JSON.stringify(busy)}]}
  - !JobGroup
    ident: more
    jobs:
      - !Job {ident: leaf, command: bash, args: [-c, 'echo leaf']}
`,
    );
    const run = startGator(['run', file, '--tracking', 'tracking/live', '--hub', address, '--interval', '0.5'], { cwd: dir });
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-e2e-chromium-'));
    let released = false;
    try {
      let uid = 0;
      await waitFor(async () => {
        const list = (await (await fetch(`${url}/api/jobs?limit=5`)).json()) as { children: { uidx: number; ident: string }[] };
        uid = list.children.find((j) => j.ident === 'live_res')?.uidx ?? 0;
        if (!uid) return false;
        const reply = await fetch(`${url}/api/job/${uid}/resources/live_res/busy`);
        return reply.ok && ((await reply.json()) as { samples: unknown[] }).samples.length >= 2;
      }, 60_000, 'the running job to have resource samples');

      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 900 },
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const pageErrors: string[] = [];
      try {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        const page = await context.newPage();
        page.on('pageerror', (e) => pageErrors.push(String(e)));
        await page.goto(`${url}/runs/${uid}/live_res/busy`);
        await page.locator('[data-testid=detail-ident]', { hasText: 'busy' }).waitFor(WAIT);
        await page.locator('[data-testid=tab-charts]').click();
        const cpu = page.locator('[data-testid=cpu]');
        await cpu.waitFor(WAIT);
        const first = Number(await cpu.getAttribute('data-points'));
        expect(first).toBeGreaterThanOrEqual(2);
        // While it runs, the chart is fetched again and grows with the new samples.
        await waitFor(async () => Number(await cpu.getAttribute('data-points')) > first, 30_000, 'the live chart to draw new samples');
        const memLabels = await page.locator('[data-testid=mem-axis] text').allTextContents();
        expect(memLabels.some((l) => / MiB$/.test(l))).toBe(true);
        // No run-wide error for a live run: its trend across runs waits for its end.
        expect(await page.locator('[data-testid=charts] .error-banner').count()).toBe(0);
        await page.screenshot({ path: path.join(ARTIFACTS, 'hub-live-resources.png') });

        // Another job in the tree: still the Charts tab, now its chart.
        await page.locator('[data-testid=tree-row][data-ident=quick]').click();
        await page.locator('[data-testid=detail-ident]', { hasText: 'quick' }).waitFor(WAIT);
        expect(await page.locator('[data-testid=tab-charts]').getAttribute('class')).toBe('on');
        // Too short to be sampled: the chart says so.
        await page.locator('[data-testid=charts]', { hasText: /No resource samples|CPU and memory/ }).waitFor(WAIT);
        // A group: the Charts tab shows its timeline.
        await page.locator('[data-testid=tree-row][data-ident=more]').click();
        await page.locator('[data-testid=detail-ident]', { hasText: 'more' }).waitFor(WAIT);
        expect(await page.locator('[data-testid=tab-charts]').getAttribute('class')).toBe('on');
        await page.locator('[data-testid=timeline-bar]').first().waitFor(WAIT);
        await page.screenshot({ path: path.join(ARTIFACTS, 'hub-charts-tab-kept.png') });
        // The Messages tab, once chosen, is kept the same way.
        await page.locator('[data-testid=tab-messages]').click();
        await page.locator('[data-testid=tree-row][data-ident=busy]').click();
        await page.locator('[data-testid=detail-ident]', { hasText: 'busy' }).waitFor(WAIT);
        expect(await page.locator('[data-testid=tab-messages]').getAttribute('class')).toBe('on');
        expect(pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
      fs.writeFileSync(path.join(dir, 'release'), '');
      released = true;
      const done = await run.done;
      expect(done.code, done.stdout + done.stderr).toBe(0);
    } finally {
      if (!released) {
        fs.writeFileSync(path.join(dir, 'release'), '');
        await run.done;
      }
      fs.rmSync(profile, { recursive: true, force: true });
      hub.child.kill('SIGTERM');
      await hub.done;
    }
  }, 180_000);
});

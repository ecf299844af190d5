/**
 * One real run, every view: `gator show --json`, the hub's API and the hub's
 * pages in a real browser tell the same job counts (issue 14: the hub counted
 * tiers as jobs, "3 jobs, 1 passed, 2 failed" for a group of 2 jobs).
 */
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { gator as runGator, startHub, tempDir, writeSpec } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
const WAIT = { timeout: 30_000 };

const SPEC = `!JobGroup
ident: views
jobs:
  - !JobGroup
    ident: pair
    jobs:
      - !Job {ident: ok, command: sh, args: [-c, 'echo fine']}
      - !Job {ident: bad, command: sh, args: [-c, 'echo "assertion failed: fifo overflow" >&2; exit 1']}
`;

let context: BrowserContext | undefined;
let profile: string | undefined;
afterEach(async () => {
  await context?.close();
  context = undefined;
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

describe('the hub and gator show count the same jobs', () => {
  it('a group of 2 jobs, one failing: 2 jobs, 1 passed, 1 failed everywhere', async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/test-setup.sh`).toBe(true);
    const dir = tempDir();
    const { hub, url } = await startHub(dir);
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = await runGator(['run', spec, '--tracking', 'run', '--hub', url.replace(/^http:\/\//, ''), '--interval', '0.5'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);

    // The CLI's view.
    const show = await runGator(['show', 'run', '--json'], { cwd: dir });
    const model = JSON.parse(show.stdout) as { totals: Record<string, number>; root: { children: { ident: string; totals: Record<string, number> }[] } };
    const counted = { total: 2, passed: 1, failed: 1, lost: 0, skipped: 0, running: 0, pending: 0 };
    expect(model.totals).toMatchObject(counted);
    expect(model.root.children.find((c) => c.ident === 'pair')!.totals).toMatchObject(counted);
    // The hub serves the model's JobTally (docs/run-model.md).
    const want = { ...counted, stopped: 0 };

    // The hub's API.
    const list = (await (await fetch(`${url}/api/jobs`)).json()) as { children: { uidx: number; ident: string; outcome?: string; summary: { jobs?: unknown } }[] };
    const row = list.children.find((j) => j.ident === 'views')!;
    expect(row.summary.jobs).toEqual(want);
    expect(row.outcome).toBe('failed');
    const pair = (await (await fetch(`${url}/api/job/${row.uidx}/resolve/views/pair`)).json()) as { jobs?: unknown; children: { ident: string; outcome?: string; jobs?: unknown }[] };
    expect(pair.jobs).toEqual(want);
    expect(Object.fromEntries(pair.children.map((c) => [c.ident, c.outcome]))).toEqual({ ok: 'passed', bad: 'failed' });

    // The hub's pages, in a browser: the runs list and the group's page.
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 850 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await context.newPage();
    await page.goto(url);
    const runRow = page.locator('[data-testid=run-row]', { hasText: 'views' });
    await runRow.waitFor(WAIT);
    expect((await runRow.locator('[data-testid=run-pass]').textContent())?.trim()).toBe('1');
    expect((await runRow.locator('[data-testid=run-fail]').textContent())?.trim()).toBe('1');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-views-runs.png') });
    await page.goto(`${url}/runs/${row.uidx}/views/pair`);
    const counts = page.locator('[data-testid=job-counts]');
    await counts.waitFor(WAIT);
    const text = (await counts.textContent()) ?? '';
    expect(text).toContain('2 jobs');
    expect(text).toContain('1 passed');
    expect(text).toContain('1 failed');
    // The jobs' own messages: one error, not Gator's `Job failed` / `Tier failed` lines.
    expect(((await page.locator('[data-testid=msg-counts]').textContent()) ?? '').replace(/\s+/g, ' ')).toMatch(/^1 error(?!s)/);
    // The failures' count comes with its own request: wait until the tab has one.
    await page.locator('[data-testid=tab-failures]', { hasText: /\(\d+\)/ }).waitFor(WAIT);
    expect((await page.locator('[data-testid=tab-failures]').textContent())?.trim()).toBe('Failures (1)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-views-group.png') });
    // The run page: the same jobs beside the same failures.
    await page.goto(`${url}/runs/${row.uidx}/views`);
    await page.locator('[data-testid=job-counts]').waitFor(WAIT);
    const runText = (await page.locator('[data-testid=job-counts]').textContent()) ?? '';
    expect(runText).toContain('2 jobs');
    expect(runText).toContain('1 failed');
    // The failures' count comes with its own request: wait until the tab has one.
    await page.locator('[data-testid=tab-failures]', { hasText: /\(\d+\)/ }).waitFor(WAIT);
    expect((await page.locator('[data-testid=tab-failures]').textContent())?.trim()).toBe('Failures (1)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-views-run.png') });

    hub.child.kill('SIGINT');
    expect((await hub.done).code).toBe(0);
  }, 120_000);
});

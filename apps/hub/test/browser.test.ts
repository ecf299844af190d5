/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The hub in a real browser (Debian's chromium, driven by playwright-core) against a
// hub serving a run that is live: the run appears, its tree updates as it runs, a failed
// job's error lines show after a click, a search filters the messages, and once the run
// completes the page shows the final result from its files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobResult, JobState } from '@gator/protocol';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLayer } from '../bench/fixture.mjs';
import { buildUi } from '../ui-build.mjs';
import { createHubClient, type Hub, type HubClient } from '../src/index.ts';
import { FakeLayer, startTestHub, tempDir } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
const TOKEN = 'browser-run-token-1';
const WAIT = { timeout: 20_000 };

function summaryOf(root: FakeLayer) {
  const m = root.groupMetrics();
  return {
    metrics: m,
    failed_ids: root.children!.filter((c) => c.result === JobResult.FAILURE).map((c) => ['regress', c.ident]),
    running_ids: root.children!.filter((c) => c.status === JobState.STARTED).map((c) => ['regress', c.ident]),
  };
}

describe('the web UI in chromium', () => {
  const tmp = tempDir();
  let hub: Hub;
  let client: HubClient;
  let context: BrowserContext;
  let page: Page;
  let root: FakeLayer;
  let profile: string | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/test-setup.sh (installs Debian's chromium)`);
    const ui = await buildUi(path.join(tmp.dir, 'ui'), { minify: false });
    hub = await startTestHub(tmp.dir, { staticDir: ui, pollIntervalMs: 300 });

    root = new FakeLayer('regress', [new FakeLayer('build'), new FakeLayer('sim_pass'), new FakeLayer('sim_fail')]);
    root.metrics = { sub_total: 4, sub_active: 1, sub_passed: 0, sub_failed: 0 };
    root.children![2].status = JobState.PENDING;
    root.children![2].metrics = { sub_total: 1, sub_active: 0, sub_passed: 0, sub_failed: 0 };
    await root.listen(TOKEN);
    root.children![0].log(20, 'build: compiling rtl');

    client = createHubClient(hub.url);
    const uid = await client.register({ ident: 'regress', url: root.server!.address, layer: 'tier', owner: 'verif', token: TOKEN });
    expect(uid).toEqual(expect.any(Number));
    client.heartbeat(summaryOf(root));

    // A fresh profile (--user-data-dir) for every run.
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-hub-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 850 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  afterAll(async () => {
    await context?.close();
    await client?.close();
    await hub?.close();
    await root?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    tmp.cleanup();
  });

  it('shows the registered run live, with its owner and state', async () => {
    await page.goto(hub.url);
    const row = page.locator('[data-testid=run-row]', { hasText: 'regress' });
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('verif');
    expect(await row.locator('[data-verdict]').getAttribute('data-verdict')).toBe('running');
    // A run registered now appears without reloading.
    const other = createHubClient(hub.url);
    await other.register({ ident: 'smoke_other', url: '127.0.0.1:1', layer: 'wrapper', owner: 'someone' });
    await other.close();
    await page.locator('[data-testid=run-row]', { hasText: 'smoke_other' }).waitFor(WAIT);
    // The search box filters the runs.
    await page.fill('[data-testid=run-search]', 'smoke');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 1, undefined, WAIT);
    await page.fill('[data-testid=run-search]', '');
    await row.waitFor(WAIT);
  });

  it('opens the run’s tree and updates it while the run goes on', async () => {
    await page.locator('[data-testid=run-row]', { hasText: 'regress' }).click();
    const fail = page.locator('[data-testid=tree-row][data-ident=sim_fail]');
    await fail.waitFor(WAIT);
    expect(await fail.getAttribute('data-verdict')).toBe('pending');
    expect(await page.locator('[data-testid=tree-row]').count()).toBe(4);

    // The run goes on: one job passes, the other starts, logs, and fails.
    const [, pass, failing] = root.children!;
    pass.log(20, 'sim_pass: all checks passed');
    pass.finish(JobResult.SUCCESS);
    failing.status = JobState.STARTED;
    failing.metrics = { sub_total: 1, sub_active: 1, sub_passed: 0, sub_failed: 0 };
    failing.log(20, 'sim_fail: reset released');
    for (let i = 0; i < 40; i++) failing.log(20, `sim_fail: cycle ${i * 100} ok`);
    failing.log(30, 'sim_fail: fifo almost full');
    failing.log(40, 'sim_fail: assertion failed: fifo overflow at 4100ns');
    failing.log(40, 'sim_fail: scoreboard mismatch: expected 0x1f got 0x00');
    failing.log(20, 'sim_fail: simulation stopped');
    failing.finish(JobResult.FAILURE);
    client.heartbeat(summaryOf(root));

    await page.waitForSelector('[data-testid=tree-row][data-ident=sim_fail][data-verdict=fail]', WAIT);
    await page.waitForSelector('[data-testid=tree-row][data-ident=sim_pass][data-verdict=pass]', WAIT);
  });

  it('tails a running job’s messages as they arrive', async () => {
    await page.locator('[data-testid=tree-row][data-ident=build]').click();
    await page.locator('[data-testid=msg-row]', { hasText: 'build: compiling rtl' }).waitFor(WAIT);
    root.children![0].log(20, 'build: linking top');
    await page.locator('[data-testid=msg-row]', { hasText: 'build: linking top' }).waitFor(WAIT);
  });

  it('shows a failed job’s error lines after a click, and a search filters them', async () => {
    await page.locator('[data-testid=tree-row][data-ident=sim_fail]').click();
    await page.locator('[data-testid=detail-ident]', { hasText: 'sim_fail' }).waitFor(WAIT);
    const errorRows = page.locator('[data-testid=msg-row][data-severity=ERROR]');
    await errorRows.first().waitFor(WAIT);
    expect(await errorRows.allTextContents()).toEqual([
      expect.stringContaining('assertion failed: fifo overflow at 4100ns'),
      expect.stringContaining('scoreboard mismatch'),
    ]);
    await page.locator('[data-testid=first-errors]', { hasText: 'fifo overflow' }).waitFor(WAIT);

    await page.fill('[data-testid=msg-search]', 'overflow');
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('[data-testid=msg-row]')];
        return rows.length === 1 && rows[0].textContent!.includes('fifo overflow');
      },
      undefined,
      WAIT,
    );
    // The filter is part of the address, so the view can be shared.
    await page.waitForFunction(() => location.search.includes('grep=overflow'), undefined, WAIT);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-live-run.png') });

    // The same view from a deep link.
    const deep = await context.newPage();
    await deep.goto(page.url());
    await deep.waitForFunction(() => document.querySelectorAll('[data-testid=msg-row]').length === 1, undefined, WAIT);
    await deep.close();

    await page.fill('[data-testid=msg-search]', '');
    await page.selectOption('[data-testid=msg-severity]', '30');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=msg-row]').length === 3, undefined, WAIT);
  });

  it('shows the final result once the run completes, read from its files', async () => {
    const tracking = path.join(tmp.dir, 'tracking');
    writeLayer(
      tracking,
      {
        ident: 'regress',
        children: [
          { ident: 'build', messages: [[20, 'build: compiling rtl'], [20, 'build: linking top']], cmd: 'make build', cwd: '/proj' },
          { ident: 'sim_pass', messages: [[20, 'sim_pass: all checks passed']] },
          { ident: 'sim_fail', result: 2, messages: [[40, 'sim_fail: assertion failed: fifo overflow at 4100ns']] },
        ],
      },
      { path: [], uidx: client.uid!, root: client.uid!, t0: Date.now() / 1000 - 10 },
    );
    root.children![0].finish(JobResult.SUCCESS);
    await client.complete({ db_file: path.join(tracking, 'db.sqlite'), result: JobResult.FAILURE });
    await page.waitForSelector('[data-testid=tree-row][data-ident=regress][data-verdict=fail]', WAIT);
    await page.locator('[data-testid=tree-row][data-ident=build]').click();
    await page.click('[data-testid=tab-details]');
    await page.locator('[data-testid=repro-line]', { hasText: 'cd /proj && make build' }).waitFor(WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-finished-run.png') });
    expect(pageErrors).toEqual([]);
  });
});

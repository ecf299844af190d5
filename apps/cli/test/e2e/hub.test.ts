/**
 * `gator hub` plus `gator run --hub …`: a real run registers with a real hub and
 * shows up live in a real browser (Debian's chromium driven by playwright-core).
 */
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startGator, startHub, tempDir, writeSpec } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
const WAIT = { timeout: 30_000 };

const SPEC = `!JobGroup
ident: hubrun
jobs:
  - !Job {ident: build, command: bash, args: [-c, 'echo compiling rtl; sleep 1']}
  - !Job {ident: sim_fail, command: bash, args: [-c, 'echo reset released; sleep 2; echo "assertion failed: fifo overflow at 4100ns" >&2; echo "scoreboard mismatch" >&2; exit 1']}
  - !Job {ident: slow, command: bash, args: [-c, 'for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done']}
`;

let context: BrowserContext | undefined;
let profile: string | undefined;
afterEach(async () => {
  await context?.close();
  context = undefined;
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

describe('gator hub + gator run --hub', () => {
  it('shows a real run live in a browser, and its result once finished', async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/test-setup.sh`).toBe(true);
    const dir = tempDir();
    const { hub, url, address } = await startHub(dir);

    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = startGator(['run', spec, '--tracking', 'run', '--hub', address, '--interval', '0.5', '--sched-arg', 'concurrency=3'], { cwd: dir });

    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 850 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await context.newPage();
    await page.goto(url);
    const row = page.locator('[data-testid=run-row]', { hasText: 'hubrun' });
    await row.waitFor(WAIT);
    await row.click();
    // The tree updates while the run goes on: the failing job turns red before the run ends.
    await page.waitForSelector('[data-testid=tree-row][data-ident=sim_fail][data-verdict=fail]', WAIT);
    expect(run.code).toBeNull();
    await page.locator('[data-testid=tree-row][data-ident=sim_fail]').click();
    const errors = page.locator('[data-testid=msg-row][data-severity=ERROR]');
    await errors.first().waitFor(WAIT);
    expect((await errors.allTextContents()).join('\n')).toContain('fifo overflow');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-e2e-live.png') });

    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(1);
    // Finished: the run's verdict comes from its files.
    await page.waitForSelector('[data-testid=tree-row][data-ident=hubrun][data-verdict=fail]', WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-e2e-finished.png') });
    const jobs = (await (await fetch(`${url}/api/jobs`)).json()) as { children: { ident: string; status: number; result: number; db_file: string }[] };
    const registered = jobs.children.find((j) => j.ident === 'hubrun');
    expect(registered).toMatchObject({ status: 3, result: 2 });
    expect(registered!.db_file).toBe(path.join(dir, 'run', 'db.sqlite'));

    hub.child.kill('SIGINT');
    expect((await hub.done).code).toBe(0);
  });

  it('a hub that is down never fails or slows the run', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'spec.yaml', '!JobGroup\nident: nohub\njobs:\n  - !Job {ident: a, command: "true"}\n');
    const run = startGator(['run', spec, '--tracking', 'run', '--hub', '127.0.0.1:9'], { cwd: dir });
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stderr).toMatch(/hub 127\.0\.0\.1:9/);
  });
});

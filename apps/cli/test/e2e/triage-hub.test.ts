/**
 * Triage of a whole run in the hub (issue 19, item 5), with a real run and a
 * real hub: the failed jobs with their reasons, every member of a failure
 * bucket, a search from the run's root that finds a line a job three levels
 * down printed, the children of a group sorted by duration, result and name,
 * and the end of a 200,000-line log; then the same in a real browser.
 */
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { gator as runGator, startHub, tempDir, writeSpec, type GatorRun } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
const WAIT = { timeout: 30_000 };
const LINES = 200_000;

const SPEC = `!JobGroup
ident: triage
jobs:
  - !JobGroup
    ident: level1
    jobs:
      - !JobGroup
        ident: level2
        jobs:
          - !Job {ident: deep, command: sh, args: [-c, 'echo "warming up"; echo "needle-from-deep-down"']}
          - !Job {ident: long, command: sh, args: [-c, 'sleep 3; seq 1 ${LINES}; echo "the very last line"']}
  - !Job {ident: fast_fail, command: sh, args: [-c, 'echo "assertion failed: fifo overflow at 12" >&2; exit 1']}
  - !Job {ident: slow_fail, command: sh, args: [-c, 'sleep 1.5; echo "assertion failed: fifo overflow at 99" >&2; exit 1']}
  - !Job {ident: other_fail, command: sh, args: [-c, 'echo "timeout waiting for ack" >&2; exit 3']}
  - !Job {ident: a_pass, command: sh, args: [-c, 'sleep 0.8; echo ok']}
`;

async function get<T = any>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

describe('triage of a whole run in the hub', () => {
  let dir: string;
  let hub: GatorRun;
  let url: string;
  let uid: number;
  let context: BrowserContext | undefined;
  let profile: string | undefined;

  // The helpers end every process a test started after it: one test, in steps.
  async function makeRun(): Promise<void> {
    dir = tempDir();
    ({ hub, url } = await startHub(dir));
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = await runGator(['run', spec, '--tracking', 'run', '--hub', url.replace(/^http:\/\//, ''), '--interval', '0.5'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const list = await get<{ children: { uidx: number; ident: string }[] }>(`${url}/api/jobs`);
    uid = list.children.find((j) => j.ident === 'triage')!.uidx;
  }

  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('a real run in a real hub: failed jobs, buckets, search, sorting, the end of a long log, in the API and a browser', async () => {
    await makeRun();
    await failedAndBuckets();
    await searchFromRoot();
    await sorting();
    await logEnd();
    await inBrowser();
    hub.child.kill('SIGINT');
    expect((await hub.done).code).toBe(0);
  }, 240_000);

  /** Lists the failed jobs with their reasons, and every member of a failure bucket. */
  async function failedAndBuckets(): Promise<void> {
    const failed = await get(`${url}/api/job/${uid}/failed/triage`);
    expect(failed.total).toBe(3);
    const byPath = Object.fromEntries(failed.jobs.map((j: any) => [j.path.join('.'), j]));
    expect(Object.keys(byPath).sort()).toEqual(['triage.fast_fail', 'triage.other_fail', 'triage.slow_fail']);
    expect(byPath['triage.other_fail'].reason).toMatch(/code 3/);
    expect(byPath['triage.fast_fail'].error).toBe('assertion failed: fifo overflow at 12');
    // fast_fail and slow_fail share a bucket (numbers masked); other_fail is alone in its own.
    const signature = byPath['triage.fast_fail'].signature as string;
    expect(byPath['triage.slow_fail'].signature).toBe(signature);
    const detail = await get(`${url}/api/job/${uid}/detail/triage`);
    const bucket = detail.summary.buckets.find((b: any) => b.signature === signature);
    expect(bucket.count).toBe(2);
    const members = await get(`${url}/api/job/${uid}/failed/triage?signature=${encodeURIComponent(signature)}`);
    expect(members.total).toBe(bucket.count);
    expect(members.jobs.map((j: any) => j.path.at(-1)).sort()).toEqual(['fast_fail', 'slow_fail']);
    // Paged.
    const page = await get(`${url}/api/job/${uid}/failed/triage?limit=1&offset=1`);
    expect(page).toMatchObject({ total: 3, jobs: [expect.any(Object)] });
    // Below a node: none under level1.
    expect((await get(`${url}/api/job/${uid}/failed/triage/level1`)).total).toBe(0);
  }

  /** Finds, from the run’s root, a line a job three levels down printed. */
  async function searchFromRoot(): Promise<void> {
    const found = await get(`${url}/api/job/${uid}/search/triage?q=NEEDLE-from-deep`);
    expect(found.matches).toHaveLength(1);
    expect(found.matches[0]).toMatchObject({ path: ['level1', 'level2', 'deep'], message: 'needle-from-deep-down', severity: 20 });
    expect(found.next_cursor).toBeNull();
    // The severity filter across the run: the three jobs' error lines, not Gator's own notices.
    const errors = await get(`${url}/api/job/${uid}/search/triage?severity=error`);
    expect(errors.matches.map((m: any) => m.path.join('.')).sort()).toEqual(['fast_fail', 'other_fail', 'slow_fail']);
    // Bounded pages with a cursor: every line of the long log that has a 7 in it, 1000 at a time.
    let cursor: string | null = null;
    let pages = 0;
    let seen = 0;
    do {
      const reply: any = await get(`${url}/api/job/${uid}/search/triage/level1?q=7&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(reply.matches.length).toBeLessThanOrEqual(1000);
      seen += reply.matches.length;
      cursor = reply.next_cursor;
      pages++;
    } while (cursor && pages < 200);
    let expected = 0;
    for (let i = 1; i <= LINES; i++) if (String(i).includes('7')) expected++;
    expect(seen).toBe(expected);
    expect(pages).toBeGreaterThan(1);
    // A bad query is a clear 400.
    const bad = await fetch(`${url}/api/job/${uid}/search/triage`);
    expect(bad.status).toBe(400);
  }

  /** Sorts a group’s children by duration, result and name. */
  async function sorting(): Promise<void> {
    const idents = async (q: string) => ((await get(`${url}/api/job/${uid}/resolve/triage?depth=1&${q}`)).children as any[]).map((c) => c.ident);
    expect(await idents('sort=name')).toEqual(['a_pass', 'fast_fail', 'level1', 'other_fail', 'slow_fail']);
    expect(await idents('sort=name&desc=1')).toEqual(['slow_fail', 'other_fail', 'level1', 'fast_fail', 'a_pass']);
    const byResult = await idents('sort=result');
    expect(byResult.slice(0, 3).sort()).toEqual(['fast_fail', 'other_fail', 'slow_fail']);
    const byDuration = await idents('sort=duration&desc=1');
    // slow_fail sleeps 1.5 s, a_pass 0.8 s, the fast failures not at all; level1 holds the 200,000-line
    // job, which sleeps 3 s first so that it is the longest however fast its lines are stored.
    expect(byDuration.indexOf('slow_fail')).toBeLessThan(byDuration.indexOf('a_pass'));
    expect(byDuration.indexOf('a_pass')).toBeLessThan(byDuration.indexOf('fast_fail'));
    // Sorted before paging: the first page of one is the first of all.
    expect(await idents('sort=name&limit=2')).toEqual(['a_pass', 'fast_fail']);
  }

  /** Reads a 200,000-line log from its end, and pages back from there. */
  async function logEnd(): Promise<void> {
    const base = `${url}/api/job/${uid}/messages/triage/level1/level2/long`;
    const last = await get(`${base}?tail=1&limit=100`);
    expect(last.total).toBeGreaterThanOrEqual(LINES + 1);
    expect(last.messages).toHaveLength(100);
    expect(last.messages.at(-1).message).toBe('the very last line');
    expect(last.messages.at(-2).message).toBe(String(LINES));
    const before = await get(`${base}?tail=1&limit=100&before=${last.prev_before}`);
    expect(before.messages.at(-1).message).toBe(String(LINES - 99));
    expect(before.messages.at(-1).uid).toBe(last.messages[0].uid - 1);
  }

  /** Shows all of it in a browser. */
  async function inBrowser(): Promise<void> {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/test-setup.sh`).toBe(true);
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 850 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    fs.mkdirSync(ARTIFACTS, { recursive: true });

    // The run's root: search the whole run.
    await page.goto(`${url}/runs/${uid}/triage`);
    // Where a new user types first: the root's own messages have no such line, so the page offers the jobs below.
    await page.fill('[data-testid=msg-search]', 'needle-from');
    await page.locator('[data-testid=msg-search-below]').waitFor(WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-triage-search-below.png') });
    await page.locator('[data-testid=msg-search-below]').click();
    expect(await page.inputValue('[data-testid=run-search-text]')).toBe('needle-from');
    const hit = page.locator('[data-testid=run-search-hit]');
    await hit.first().waitFor(WAIT);
    expect(await hit.count()).toBe(1);
    expect(await hit.first().textContent()).toContain('level1.level2.deep');
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-triage-search.png') });
    await hit.first().click();
    await page.waitForURL(/\/runs\/\d+\/triage\/level1\/level2\/deep/, WAIT);

    // The failed jobs and a bucket's members.
    await page.goto(`${url}/runs/${uid}/triage`);
    await page.locator('[data-testid=tab-failures]').click();
    const failedRows = page.locator('[data-testid=failed-job]');
    await failedRows.first().waitFor(WAIT);
    expect(await failedRows.count()).toBe(3);
    await page.locator('[data-testid=bucket-open]', { hasText: '2' }).first().click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=failed-job]').length === 2, undefined, WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-triage-failures.png') });

    // Sorting the tree.
    await page.selectOption('[data-testid=tree-sort]', 'name');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid=tree-row]')].map((r) => r.getAttribute('data-ident')).slice(1, 3).join(',') === 'a_pass,fast_fail',
      undefined,
      WAIT,
    );
    await page.selectOption('[data-testid=tree-sort]', 'duration');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=tree-row]')[1]?.getAttribute('data-ident') === 'level1', undefined, WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-triage-sorted.png') });

    // The end of the long log.
    await page.goto(`${url}/runs/${uid}/triage/level1/level2/long`);
    await page.locator('[data-testid=msg-end]').click();
    await page.locator('[data-testid=msg-row]', { hasText: 'the very last line' }).waitFor(WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hub-triage-log-end.png') });
    await page.locator('[data-testid=msg-earlier]').click();
    await page.locator('[data-testid=msg-row] .c-msg', { hasText: /^199001$/ }).waitFor(WAIT);
    expect(errors).toEqual([]);
  }
});

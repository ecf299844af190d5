#!/usr/bin/env node
// Benchmark: how long the hub takes to open a finished 10,000-job run's tree.
// Builds the run with @gator/db (10 tiers of 1,000 jobs, and a flat tier of 10,000 as
// the worst case), registers both with a hub on a loopback port, and times the requests
// the UI makes to open a run: the runs list, the root's first page of children, a tier's
// first page, and the root's timeline (the Charts tab) — cold (files not yet opened) and
// warm. Then the triage views of the nested run (issue 19): its failed jobs, a failure
// bucket's members, a run-wide search by severity and by text (every page, as the UI
// follows them), its children sorted by duration, result and name (and the flat run's
// 10,000), and the end of a job's long log and the page before it. Prints JSON.
//
//   node apps/hub/bench/open-tree.mjs [--jobs 10000] [--repeat 5] [--long-log 200000] [--keep DIR]   (after `pnpm build`)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { layerFile } from '@gator/protocol';
import { startHub } from '../dist/index.js';
import { bigRunSpec, writeLayer } from './fixture.mjs';

async function timed(url) {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return { ms, bytes: body.length };
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: round(sorted[0]), median: round(pick(0.5)), max: round(sorted[sorted.length - 1]) };
}

function round(ms) {
  return Math.round(ms * 10) / 10;
}

/** `url` cold, then `repeat` times warm. */
async function coldWarm(url, repeat) {
  const cold = await timed(url);
  const warm = [];
  for (let i = 0; i < repeat; i++) warm.push((await timed(url)).ms);
  return { cold_ms: round(cold.ms), warm_ms: stats(warm), bytes: cold.bytes };
}

/** A run-wide search followed page by page to its end (what the UI does when it finds little). */
async function searchAll(url) {
  const pages = [];
  let matches = 0;
  let cursor = null;
  let scanned = 0;
  let layers = 0;
  do {
    const t0 = performance.now();
    const res = await fetch(cursor ? `${url}&cursor=${encodeURIComponent(cursor)}` : url);
    const body = await res.json();
    pages.push(performance.now() - t0);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    matches += body.matches.length;
    cursor = body.next_cursor;
    scanned = body.scanned;
    layers = body.layers;
  } while (cursor);
  return {
    pages: pages.length,
    first_page_ms: round(pages[0]),
    slowest_page_ms: round(Math.max(...pages)),
    total_ms: round(pages.reduce((a, b) => a + b, 0)),
    matches,
    scanned,
    layers,
  };
}

/** The triage views of a run (`run.ident` at the root, a tier `block_0`, a job with a long log). */
async function benchTriage(hub, run, flat, { jobs, repeat }) {
  const api = (what, rest, query) => `${hub.url}/api/job/${run.uid}/${what}/${[run.ident, ...rest].join('/')}${query ? `?${query}` : ''}`;
  const out = {};
  out.failed = await coldWarm(api('failed', [], 'limit=200'), repeat);
  const first = await fetch(api('failed', [], 'limit=1')).then((r) => r.json());
  const signature = first.jobs[0]?.signature;
  if (!signature) throw new Error('the run has no failed job to take a bucket from');
  out.bucket = { ...(await coldWarm(api('failed', [], `signature=${encodeURIComponent(signature)}&limit=1000`), repeat)), members: first.total };
  out.search_severity = await searchAll(api('search', [], 'severity=error&limit=100'));
  // A line only the last job printed: every layer is read before the search ends.
  out.search_text = await searchAll(api('search', [], `q=${encodeURIComponent(`job ${jobs - 1} line 0`)}&limit=100`));
  for (const sort of ['duration', 'result', 'name']) {
    out[`sort_${sort}`] = await coldWarm(`${hub.url}/api/job/${run.uid}/resolve/${run.ident}/block_0?depth=1&limit=200&sort=${sort}&desc=1`, repeat);
  }
  out.sort_duration_flat = await coldWarm(`${hub.url}/api/job/${flat.uid}/resolve/${flat.ident}?depth=1&limit=200&sort=duration&desc=1`, repeat);
  const tail = api('messages', ['block_0', 'job_0'], 'tail=1&limit=200');
  out.tail = await coldWarm(tail, repeat);
  const end = await fetch(tail).then((r) => r.json());
  const before = end.messages[0]?.uid;
  out.tail_page_before = { ...(await coldWarm(api('messages', ['block_0', 'job_0'], `tail=1&limit=200&before=${before}`), repeat)), log_lines: end.messages.at(-1)?.uid ?? 0 };
  return out;
}

/** Builds the runs, serves them and measures; returns the results object. */
export async function benchOpenTree({ jobs = 10_000, repeat = 5, longLog = 200_000, keep } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-hub-bench-'));
  const hub = await startHub({ port: 0, database: path.join(dir, 'hub.sqlite') });
  try {
    const build0 = performance.now();
    const nested = bigRunSpec({ jobs, perTier: 1000, messages: 3 });
    // One job with a long log: the triage's jump to its end.
    const long = nested.children[0].children[0];
    for (let m = long.messages.length; m < longLog; m++) long.messages.push([20, `job 0 long line ${m}`]);
    const layouts = {
      nested,
      flat: { ...bigRunSpec({ jobs, perTier: jobs, messages: 1 }).children[0], ident: 'flat' },
    };
    // Files first: writing them blocks this process (and so the hub in it) for a while.
    // `--keep DIR` writes them there once and reuses them (for measuring again and again).
    const files = keep ?? dir;
    for (const [name, spec] of Object.entries(layouts)) {
      if (keep && fs.existsSync(layerFile(path.join(files, name), 'db'))) continue;
      writeLayer(path.join(files, name), spec, { path: [], uidx: 0, root: 0, t0: 1_700_000_000 });
    }
    const runs = {};
    for (const [name, spec] of Object.entries(layouts)) {
      const reg = await fetch(`${hub.url}/api/register`, {
        method: 'POST',
        body: JSON.stringify({ ident: spec.ident, url: '127.0.0.1:1', layer: 'tier', owner: 'bench' }),
      }).then((r) => r.json());
      await fetch(`${hub.url}/api/job/${reg.uid}/complete`, {
        method: 'POST',
        body: JSON.stringify({ db_file: layerFile(path.join(files, name), 'db'), result: 2 }),
      });
      runs[name] = { uid: reg.uid, ident: spec.ident };
    }
    const buildSeconds = (performance.now() - build0) / 1000;

    const results = {};
    for (const [name, run] of Object.entries(runs)) {
      const root = `${hub.url}/api/job/${run.uid}/resolve?depth=1&limit=200`;
      const tier = `${hub.url}/api/job/${run.uid}/resolve/${run.ident}/block_0?depth=1&limit=200`;
      const list = `${hub.url}/api/jobs?limit=200`;
      // Cold: the first time the hub opens these files (what "opening a run" costs).
      const coldRoot = await timed(root);
      const coldTier = name === 'nested' ? await timed(tier) : undefined;
      const warm = { list: [], root: [], tier: [] };
      for (let i = 0; i < repeat; i++) {
        warm.list.push((await timed(list)).ms);
        warm.root.push((await timed(root)).ms);
        if (name === 'nested') warm.tier.push((await timed(tier)).ms);
      }
      // The Charts tab of the run's root: its timeline (every job's bar; the histogram is drawn from it).
      const timeline = `${hub.url}/api/job/${run.uid}/timeline`;
      const coldTimeline = await timed(timeline);
      const warmTimeline = [];
      for (let i = 0; i < repeat; i++) warmTimeline.push((await timed(timeline)).ms);
      results[name] = {
        timeline_cold_ms: round(coldTimeline.ms),
        timeline_warm_ms: stats(warmTimeline),
        timeline_bytes: coldTimeline.bytes,
        open_tree_cold_ms: round(coldRoot.ms + (coldTier?.ms ?? 0)),
        root_cold_ms: round(coldRoot.ms),
        root_bytes: coldRoot.bytes,
        ...(coldTier ? { tier_cold_ms: round(coldTier.ms), tier_warm_ms: stats(warm.tier) } : {}),
        runs_list_ms: stats(warm.list),
        root_warm_ms: stats(warm.root),
      };
    }
    const triage = await benchTriage(hub, runs.nested, runs.flat, { jobs, repeat });
    return {
      benchmark: 'hub-open-tree',
      triage,
      jobs,
      layouts: { nested: `${Math.ceil(jobs / 1000)} tier(s) of up to 1000 jobs (opening = root + one tier)`, flat: `one tier of ${jobs} jobs (opening = root)` },
      build_seconds: Math.round(buildSeconds * 10) / 10,
      node: process.version,
      results,
      under_one_second: Object.values(results).every((r) => r.open_tree_cold_ms < 1000),
      timeline_under_one_second: Object.values(results).every((r) => r.timeline_cold_ms < 1000),
    };
  } finally {
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { jobs: { type: 'string', default: '10000' }, repeat: { type: 'string', default: '5' }, 'long-log': { type: 'string', default: '200000' }, keep: { type: 'string' } },
  });
  const out = await benchOpenTree({ jobs: Number(values.jobs), repeat: Number(values.repeat), longLog: Number(values['long-log']), ...(values.keep ? { keep: path.resolve(values.keep) } : {}) });
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

/**
 * scale: a !JobArray of N `true` jobs. Figures: total time, and the root's
 * resident memory growth per finished job (target ≤ 2 KiB/job). The root tier
 * runs in the `gator run` process; a probe preloaded into it (PROBE) reads its
 * memory after forced full GCs that compact every heap page (RSS then counts
 * what the root keeps, not pages V8 keeps partly filled) when the closing
 * summary is printed (all jobs done, the tier still alive). Growth per job is the slope between a run of N/10 jobs
 * and a run of N jobs, so start-up, warm-up and the launch queue (largest at
 * the start of a run) do not count as growth.
 */
import fs from 'node:fs';
import type { BenchCase, BenchContext, Mode } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, Scratch, hasProc, memoryOf, runGator, type Memory } from '../measure.js';
import { trueArraySpec } from './job-overhead.js';

const CONCURRENCY = 2;
const SAMPLE_MS = 100;

/**
 * Loaded into the root with `node --expose-gc --require`: after forced GCs it
 * records the root's memory when the GATOR_BENCH_MEMORY_AT-th child process is
 * started (the first: every child recorded and queued, the most the run holds)
 * and when the closing summary is printed (every job finished, the tier still
 * alive), to the file named by GATOR_BENCH_MEMORY.
 */
const PROBE = `
'use strict';
const fs = require('node:fs');
const childProcess = require('node:child_process');
const { syncBuiltinESMExports } = require('node:module');
const out = process.env.GATOR_BENCH_MEMORY;
const at = Number(process.env.GATOR_BENCH_MEMORY_AT);
delete process.env.GATOR_BENCH_MEMORY;
delete process.env.GATOR_BENCH_MEMORY_AT;
const v8 = require('node:v8');
const record = (label, extra) => {
  // Node 20's V8 (11.3) knows neither gc()'s 'last-resort' flavour nor its options object: it reads
  // any object as the legacy "minor" flag, so gc({ type: 'major', ... }) there is a scavenge (see
  // --trace-gc). A plain gc() is a full GC with V8's regular compaction heuristics, which move
  // objects only off pages that are mostly free: what it keeps committed past what is live is GC
  // slack, not growth (30-40% of old space here). So the plain GCs first (what V8 itself would keep, reported beside
  // it), then full GCs that compact every page, until the heap (used and committed) stops shrinking:
  // RSS then counts what the root keeps.
  global.gc();
  global.gc();
  const uncompacted = process.memoryUsage().heapTotal;
  let m;
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    for (let i = 0, used = Infinity, total = Infinity; i < 6; i++) {
      global.gc();
      m = process.memoryUsage();
      if (m.heapUsed >= used * 0.99 && m.heapTotal >= total * 0.99) break;
      used = m.heapUsed;
      total = m.heapTotal;
    }
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
  // The pages compaction emptied are unmapped by V8's background threads: read RSS once they are
  // (right after the GCs it still counts them, about the old space's size again).
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0, rss = m.rss; i < 20; i++) {
    Atomics.wait(pause, 0, 0, 100);
    m = process.memoryUsage();
    if (i >= 2 && m.rss > rss - 65536) break;
    rss = m.rss;
  }
  // Where the committed heap is (old space holds the pages kept partly filled), and what of RSS is anonymous.
  const spaces = {};
  for (const sp of v8.getHeapSpaceStatistics()) if (sp.space_size > 0) spaces[sp.space_name] = { size: sp.space_size, used: sp.space_used_size };
  const anon = Number(/^RssAnon:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/self/status', 'latin1'))?.[1] ?? NaN) * 1024;
  fs.appendFileSync(out, JSON.stringify({ label, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, uncompacted, external: m.external, anon, spaces, ...extra }) + '\\n');
};
let spawned = 0;
const spawn = childProcess.spawn;
childProcess.spawn = function (...args) {
  if (++spawned === at) record('start', { spawned });
  return spawn.apply(this, args);
};
syncBuiltinESMExports();
const write = process.stdout.write;
let done = false;
process.stdout.write = function (chunk, ...rest) {
  if (!done && /^(Passed|Failed)\\b/m.test(String(chunk))) { done = true; record('end', { spawned }); }
  return write.call(this, chunk, ...rest);
};
`;

interface ProbeRecord {
  label: 'start' | 'end';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** heapTotal after two plain full GCs, before the compacting ones (what V8's own heuristics keep). */
  uncompacted: number;
  external: number;
  /** RssAnon (bytes). */
  anon: number;
  /** v8.getHeapSpaceStatistics(): committed and used bytes of each non-empty space. */
  spaces: Record<string, { size: number; used: number }>;
  spawned: number;
}

interface ScaleRun {
  jobs: number;
  wallMs: number;
  start: ProbeRecord;
  end: ProbeRecord;
  /** /proc VmRSS without a forced GC: last sample and peak. */
  procLast: Memory | undefined;
}

/** One `gator run` of `jobs` true jobs with the memory probe in the root. */
export async function scaleRun(mode: Mode, jobs: number): Promise<ScaleRun> {
  const scratch = new Scratch('scale');
  try {
    const spec = scratch.file('scale.yaml', trueArraySpec('scale', jobs));
    const probe = scratch.file('memory-probe.cjs', PROBE);
    const probeOut = scratch.path('memory.jsonl');
    let pid = 0;
    let procLast: Memory | undefined;
    const timer = setInterval(() => {
      const m = pid ? memoryOf(pid) : undefined;
      if (m) procLast = m;
    }, SAMPLE_MS);
    let run;
    try {
      run = await runGator(spec, scratch.path('run'), ['--sched-arg', `concurrency=${CONCURRENCY}`, ...mode.args], {
        // V8 sizes its young generation (up to ~100 MB) by the allocation rate, not by what is
        // kept, and keeps it after any GC: capped, RSS differences show what the root retains.
        nodeArgs: ['--expose-gc', '--max-semi-space-size=1', '--require', probe],
        env: { GATOR_BENCH_MEMORY: probeOut, GATOR_BENCH_MEMORY_AT: '1' },
        onStart: (p) => (pid = p),
      });
    } finally {
      clearInterval(timer);
    }
    const records: ProbeRecord[] = fs.existsSync(probeOut)
      ? fs.readFileSync(probeOut, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as ProbeRecord)
      : [];
    const start = records.find((r) => r.label === 'start');
    const end = records.find((r) => r.label === 'end');
    if (!start || !end) throw new BenchError(`The root's memory probe did not report (${records.length} records)`);
    return { jobs, wallMs: run.wallMs, start, end, procLast };
  } finally {
    scratch.cleanup();
  }
}

export const scale: BenchCase = {
  id: 'scale',
  name: 'scale',
  async run(ctx: BenchContext): Promise<Row[]> {
    if (!hasProc) throw new BenchError('scale reads the root memory from /proc: Linux only');
    const jobs = ctx.size(10_000, 1_000);
    const smaller = Math.max(1, Math.round(jobs / 10));
    // The quickest mode always; the default mode (10,000 wrapper processes, most of an
    // hour here) only with --heavy. In the in-process mode the wrappers live in the
    // root, so their leftovers would show too.
    const modes = ctx.quick ? [ctx.fastest] : [ctx.fastest, ...(ctx.heavy ? ctx.modes.filter((m) => m !== ctx.fastest) : [])];
    const rows: Row[] = [];
    for (const mode of modes) rows.push(...(await scaleRows(ctx, mode, jobs, smaller)));
    return rows;
  },
};

async function scaleRows(ctx: BenchContext, mode: Mode, jobs: number, smaller: number): Promise<Row[]> {
  const label = mode.name === 'default' ? '' : ` (${mode.name})`;
  // Growth per finished job = the slope between the end states of two runs: at the end
  // nothing is queued or running, so only what finished jobs left behind differs.
  ctx.progress(`scale: gator run of ${smaller.toLocaleString('en-US')} true jobs${label}`);
  const small = await scaleRun(mode, smaller);
  ctx.progress(`scale: gator run of ${jobs.toLocaleString('en-US')} true jobs${label}`);
  const big = await scaleRun(mode, jobs);
  const extra = big.jobs - small.jobs;
  const slope = (f: (r: ScaleRun) => number) => (extra > 0 ? (f(big) - f(small)) / extra / 1024 : Number.NaN);
  const mib = (b: number | undefined) => (b === undefined ? undefined : Math.round((b / 1048576) * 10) / 10);
  const round = (n: number) => Math.round(n * 100) / 100;
  const variant = `${jobs.toLocaleString('en-US')} jobs in ${(big.wallMs / 1000).toFixed(1)} s, ${mode.name}`;
  const details = {
    jobs,
    smallerRunJobs: smaller,
    concurrency: CONCURRENCY,
    mode: mode.name,
    totalS: Math.round(big.wallMs) / 1000,
    msPerJob: Math.round((big.wallMs / jobs) * 10) / 10,
    rssGrowthKiBPerJob: round(slope((r) => r.end.rss)),
    heapGrowthKiBPerJob: round(slope((r) => r.end.heapUsed)),
    // Within the big run: at the first launch (every child recorded and queued) and at the end.
    rssAtFirstLaunchMiB: mib(big.start.rss),
    rssEndMiB: mib(big.end.rss),
    heapAtFirstLaunchMiB: mib(big.start.heapUsed),
    heapEndMiB: mib(big.end.heapUsed),
    heapTotalEndMiB: mib(big.end.heapTotal),
    // Committed heap after plain full GCs only, before the probe compacts every page: V8's own slack.
    heapTotalUncompactedEndMiB: mib(big.end.uncompacted),
    smallerRunHeapTotalUncompactedEndMiB: mib(small.end.uncompacted),
    externalEndMiB: mib(big.end.external),
    // RSS outside the V8 heap is mostly malloc (SQLite, buffers): anonymous RSS minus the committed heap.
    anonEndMiB: mib(big.end.anon),
    smallerRunAnonEndMiB: mib(small.end.anon),
    heapSpacesEndMiB: spacesMiB(big.end),
    smallerRunHeapSpacesEndMiB: spacesMiB(small.end),
    smallerRunRssEndMiB: mib(small.end.rss),
    smallerRunHeapTotalEndMiB: mib(small.end.heapTotal),
    smallerRunHeapEndMiB: mib(small.end.heapUsed),
    // Without a forced GC, read from /proc by the bench.
    procRssLastMiB: mib(big.procLast?.rss),
    procRssPeakMiB: mib(big.procLast?.hwm),
  };
  return [
    judge({
      case: 'scale',
      // The total time is the case's other figure (no target): in the label, so the table shows it.
      variant,
      figure: { value: slope((r) => r.end.rss), unit: 'KiB/job' },
      target: { kind: 'max', value: 2, of: 'figure', text: 'RSS growth ≤ 2 KiB/job' },
      details,
    }),
    // Beside it, what the heap keeps after the forced GC (the RSS slope also counts pages V8 keeps).
    judge({
      case: 'scale (heap)',
      variant,
      figure: { value: slope((r) => r.end.heapUsed), unit: 'KiB/job' },
      target: { kind: 'max', value: 2, of: 'figure', text: 'heap growth ≤ 2 KiB/job' },
      details,
    }),
  ];
}

/** Committed / used MiB of each V8 space, e.g. `old_space: "19.9 / 13.2"`. */
function spacesMiB(r: ProbeRecord): Record<string, string> {
  const mib = (b: number) => (b / 1048576).toFixed(1);
  return Object.fromEntries(Object.entries(r.spaces ?? {}).map(([name, s]) => [name, `${mib(s.size)} / ${mib(s.used)}`]));
}

/**
 * scale: a !JobArray of N `true` jobs. Figures: total time, and the root's
 * resident memory growth per finished job (target ≤ 2 KiB/job). The root tier
 * runs in the `gator run` process; a probe preloaded into it (PROBE) measures
 * it after a forced GC at start and end, so collectable garbage is not counted
 * as growth. The same process read from /proc without a GC is in the details.
 */
import fs from 'node:fs';
import type { BenchCase, BenchContext, Mode } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, Scratch, childrenOf, hasProc, memoryOf, runGator, type Memory } from '../measure.js';
import { trueArraySpec } from './job-overhead.js';

const CONCURRENCY = 2;
const SAMPLE_MS = 100;

/**
 * Loaded into the root with `node --expose-gc --require`: after a forced GC it
 * records the root's memory when the 10%-th job is launched (the tier is set up
 * and warm) and when the closing summary is printed (every job finished, the
 * tier still alive), to the file named by GATOR_BENCH_MEMORY.
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
const record = (label, extra) => {
  global.gc(); global.gc();
  const m = process.memoryUsage();
  fs.appendFileSync(out, JSON.stringify({ label, rss: m.rss, heapUsed: m.heapUsed, external: m.external, ...extra }) + '\\n');
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
  spawned: number;
}

export async function scaleRun(ctx: BenchContext, mode: Mode, jobs: number): Promise<Row> {
  const scratch = new Scratch('scale');
  try {
    const spec = scratch.file('scale.yaml', trueArraySpec('scale', jobs));
    const probe = scratch.file('memory-probe.cjs', PROBE);
    const probeOut = scratch.path('memory.jsonl');
    const startAt = Math.max(1, Math.round(jobs / 10));
    let pid = 0;
    let firstChild: Memory | undefined;
    let last: Memory | undefined;
    let samples = 0;
    const timer = setInterval(() => {
      const m = pid ? memoryOf(pid) : undefined;
      if (!m) return;
      samples++;
      last = m;
      if (!firstChild && childrenOf(pid).length > 0) firstChild = m;
    }, SAMPLE_MS);
    let run;
    try {
      run = await runGator(spec, scratch.path('run'), ['--sched-arg', `concurrency=${CONCURRENCY}`, ...mode.args], {
        nodeArgs: ['--expose-gc', '--require', probe],
        env: { GATOR_BENCH_MEMORY: probeOut, GATOR_BENCH_MEMORY_AT: String(startAt) },
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
    const finished = jobs - start.spawned + 1;
    const growthPerJob = (end.rss - start.rss) / finished / 1024;
    const mib = (b: number | undefined) => (b === undefined ? undefined : Math.round((b / 1048576) * 10) / 10);
    return judge({
      case: 'scale',
      // The total time is the case's other figure (no target): in the label, so the table shows it.
      variant: `${jobs.toLocaleString('en-US')} jobs in ${(run.wallMs / 1000).toFixed(1)} s${mode.name === 'default' ? '' : `, ${mode.name}`}`,
      figure: { value: growthPerJob, unit: 'KiB/job' },
      target: { kind: 'max', value: 2, of: 'figure', text: 'RSS growth ≤ 2 KiB/job' },
      details: {
        jobs,
        concurrency: CONCURRENCY,
        mode: mode.name,
        totalS: Math.round(run.wallMs) / 1000,
        msPerJob: Math.round((run.wallMs / jobs) * 10) / 10,
        measuredOver: finished,
        rssStartMiB: mib(start.rss),
        rssEndMiB: mib(end.rss),
        heapStartMiB: mib(start.heapUsed),
        heapEndMiB: mib(end.heapUsed),
        heapGrowthKiBPerJob: Math.round(((end.heapUsed - start.heapUsed) / finished / 1024) * 100) / 100,
        // Without a forced GC, read from /proc by the bench: at the first child, and the last sample.
        procRssFirstChildMiB: mib(firstChild?.rss),
        procRssLastMiB: mib(last?.rss),
        procRssPeakMiB: mib(last?.hwm),
        samples,
      },
    });
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
    // 10,000 jobs one wrapper process each would take most of the bench's time budget:
    // the root's memory is measured with the quickest mode (wrappers in the root there,
    // so their leftovers would show too).
    const mode = ctx.fastest;
    ctx.progress(`scale: gator run of ${jobs.toLocaleString('en-US')} true jobs${mode.name === 'default' ? '' : ` (${mode.name})`}`);
    const rows: Row[] = [await scaleRun(ctx, mode, jobs)];
    return rows;
  },
};

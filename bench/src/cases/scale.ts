/**
 * scale: a !JobArray of N `true` jobs. Figures: total time, and the root's
 * resident memory growth per finished job (target ≤ 2 KiB/job). The root tier
 * runs in the `gator run` process, so its VmRSS is read from /proc: at start
 * (once the tier launches its first child) and at the end (when the final
 * summary is printed, after every job finished).
 */
import type { BenchCase, BenchContext, Mode } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, Scratch, childrenOf, hasProc, memoryOf, runGator, type Memory } from '../measure.js';
import { trueArraySpec } from './job-overhead.js';

const CONCURRENCY = 2;
const SAMPLE_MS = 100;

export async function scaleRun(ctx: BenchContext, mode: Mode, jobs: number): Promise<Row> {
  const scratch = new Scratch('scale');
  try {
    const spec = scratch.file('scale.yaml', trueArraySpec('scale', jobs));
    let pid = 0;
    let start: Memory | undefined;
    let last: Memory | undefined;
    let end: Memory | undefined;
    let samples = 0;
    const sample = () => {
      if (!pid) return;
      const m = memoryOf(pid);
      if (!m) return;
      samples++;
      last = m;
      if (!start && childrenOf(pid).length > 0) start = m;
    };
    const timer = setInterval(sample, SAMPLE_MS);
    let run;
    try {
      run = await runGator(spec, scratch.path('run'), ['--sched-arg', `concurrency=${CONCURRENCY}`, ...mode.args], {
        onStart: (p) => (pid = p),
        // The closing summary: every job has finished, the process is about to exit.
        onLine: (line) => {
          if (!end && /^(Passed|Failed)\b/.test(line)) end = memoryOf(pid);
        },
      });
    } finally {
      clearInterval(timer);
    }
    end ??= last;
    if (!start || !end) throw new BenchError(`The root's memory could not be sampled (${samples} samples)`);
    const growthPerJob = (end.rss - start.rss) / jobs / 1024;
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
        rssStartMiB: Math.round((start.rss / 1048576) * 10) / 10,
        rssEndMiB: Math.round((end.rss / 1048576) * 10) / 10,
        rssPeakMiB: Math.round((end.hwm / 1048576) * 10) / 10,
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
    const rows: Row[] = [];
    for (const mode of ctx.modes) {
      ctx.progress(`scale: gator run of ${jobs.toLocaleString('en-US')} true jobs${mode.name === 'default' ? '' : ` (${mode.name})`}`);
      rows.push(await scaleRun(ctx, mode, jobs));
    }
    return rows;
  },
};

/**
 * wrapper memory: resident memory of the wrapper process around a `sleep` job,
 * against a `node -e` that only sleeps (target ≤ 1.5×). Both are read from
 * /proc once settled (the job or the timer running for a while).
 */
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, Scratch, childrenOf, hasProc, memoryOf, run, runGator, sleep, waitFor } from '../measure.js';

const SETTLE_MS = 1000;
const SLEEP_S = 3;

async function baselineRss(): Promise<number> {
  let pid = 0;
  const running = run(process.execPath, ['-e', `setTimeout(() => {}, ${SLEEP_S * 1000})`], { onStart: (p) => (pid = p) });
  await sleep(SETTLE_MS);
  const rss = memoryOf(pid)?.rss;
  // Measured: no need to wait for the rest of its sleep.
  if (pid) process.kill(pid, 'SIGTERM');
  await running;
  if (rss === undefined) throw new BenchError('The sleeping node process ended before it was measured');
  return rss;
}

/** The wrapper of the run's only job: the root's child whose command line names `--id sleeper`. */
async function wrapperRss(spec: string, tracking: string): Promise<number> {
  let rootPid = 0;
  const running = runGator(spec, tracking, ['--quiet'], { onStart: (p) => (rootPid = p) });
  const wrapperPid = await waitFor(
    'the sleep job to start',
    () => {
      if (!rootPid) return undefined;
      const wrapper = childrenOf(rootPid).find((c) => c.cmdline.includes('sleeper'));
      return wrapper && childrenOf(wrapper.pid).some((c) => c.cmdline[0] === 'sleep') ? wrapper.pid : undefined;
    },
    30_000,
  );
  await sleep(SETTLE_MS);
  const rss = memoryOf(wrapperPid)?.rss;
  await running;
  if (rss === undefined) throw new BenchError('The wrapper ended before it was measured');
  return rss;
}

export const wrapperMemory: BenchCase = {
  id: 'memory',
  name: 'wrapper memory',
  async run(ctx: BenchContext): Promise<Row[]> {
    if (!hasProc) throw new BenchError('wrapper memory reads /proc: Linux only');
    const scratch = new Scratch('memory');
    try {
      const spec = scratch.file('sleep.yaml', `!JobGroup\nident: memory\njobs:\n  - !Job\n    ident: sleeper\n    command: sleep\n    args: ["${SLEEP_S}"]\n`);
      ctx.progress('wrapper memory: node -e sleeping');
      const base = await baselineRss();
      ctx.progress('wrapper memory: wrapper around sleep');
      const wrapper = await wrapperRss(spec, scratch.path('run'));
      const mib = (b: number) => b / (1024 * 1024);
      return [
        judge({
          case: 'wrapper memory',
          figure: { value: mib(wrapper), unit: 'MiB' },
          baseline: { value: mib(base), unit: 'MiB' },
          ratio: wrapper / base,
          target: { kind: 'max', value: 1.5, of: 'ratio', text: '≤ 1.5×' },
          details: { wrapperRssBytes: wrapper, nodeRssBytes: base },
        }),
      ];
    } finally {
      scratch.cleanup();
    }
  },
};

/**
 * wrapper memory and tier memory: resident memory of a job's wrapper process
 * (around `sleep`) and of the nested tier process above it, against a
 * `node -e` that only sleeps (target ≤ 1.3× each). All are read from /proc
 * once settled (the job or the timer running for a while).
 */
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { bareNode } from './job-overhead.js';
import { BenchError, Scratch, childrenOf, hasProc, memoryOf, ownMemoryOf, run, runGator, sleep, waitFor } from '../measure.js';

const SETTLE_MS = 1000;
const SLEEP_S = 3;
const TARGET = { kind: 'max', value: 1.3, of: 'ratio', text: '≤ 1.3×' } as const;

interface Measured {
  rss: number;
  /** Anonymous pages and PSS (see ownMemoryOf), for the details. */
  own: { anon: number; pss: number } | undefined;
}

async function baselineRss(env?: Record<string, undefined>): Promise<Measured> {
  let pid = 0;
  const running = run(process.execPath, ['-e', `setTimeout(() => {}, ${SLEEP_S * 1000})`], { onStart: (p) => (pid = p), ...(env ? { env } : {}) });
  await sleep(SETTLE_MS);
  const rss = memoryOf(pid)?.rss;
  const own = ownMemoryOf(pid);
  // Measured: no need to wait for the rest of its sleep.
  if (pid) process.kill(pid, 'SIGTERM');
  await running;
  if (rss === undefined) throw new BenchError('The sleeping node process ended before it was measured');
  return { rss, own };
}

/** A group (the root) → an array tier process → the wrapper of one `sleep`: both processes' RSS. */
async function layerRss(spec: string, tracking: string): Promise<{ wrapper: Measured; tier: Measured }> {
  let rootPid = 0;
  const running = runGator(spec, tracking, ['--quiet'], { onStart: (p) => (rootPid = p) });
  const pids = await waitFor(
    'the sleep job to start',
    () => {
      if (!rootPid) return undefined;
      const tier = childrenOf(rootPid).find((c) => c.cmdline.includes('sleepers'));
      if (!tier) return undefined;
      const wrapper = childrenOf(tier.pid).find((c) => childrenOf(c.pid).some((j) => j.cmdline[0] === 'sleep'));
      return wrapper ? { tier: tier.pid, wrapper: wrapper.pid } : undefined;
    },
    30_000,
  );
  await sleep(SETTLE_MS);
  const wrapper = memoryOf(pids.wrapper)?.rss;
  const tier = memoryOf(pids.tier)?.rss;
  const own = { wrapper: ownMemoryOf(pids.wrapper), tier: ownMemoryOf(pids.tier) };
  await running;
  if (wrapper === undefined || tier === undefined) throw new BenchError('The wrapper or its tier ended before it was measured');
  return { wrapper: { rss: wrapper, own: own.wrapper }, tier: { rss: tier, own: own.tier } };
}

export const wrapperMemory: BenchCase = {
  id: 'memory',
  name: 'wrapper memory',
  async run(ctx: BenchContext): Promise<Row[]> {
    if (!hasProc) throw new BenchError('wrapper memory reads /proc: Linux only');
    const scratch = new Scratch('memory');
    try {
      const spec = scratch.file(
        'sleep.yaml',
        `!JobGroup\nident: memory\njobs:\n  - !JobArray\n    ident: sleepers\n    repeats: 1\n    jobs:\n      - !Job\n        ident: sleeper\n        command: sleep\n        args: ["${SLEEP_S}"]\n`,
      );
      ctx.progress('wrapper memory: node -e sleeping');
      const base = await baselineRss();
      // As the overhead case: also a `node -e` without what this environment makes Node read at its start.
      const bareEnv = bareNode();
      const bare = bareEnv ? await baselineRss(bareEnv.env) : undefined;
      ctx.progress('wrapper memory: wrapper around sleep, and its tier');
      const layers = await layerRss(spec, scratch.path('run'));
      const mib = (b: number) => b / (1024 * 1024);
      const round = (b: number | undefined) => (b === undefined ? undefined : Math.round(mib(b) * 10) / 10);
      const row = (name: string, m: Measured) =>
        judge({
          case: name,
          figure: { value: mib(m.rss), unit: 'MiB' },
          baseline: { value: mib(base.rss), unit: 'MiB' },
          ratio: m.rss / base.rss,
          target: TARGET,
          // RSS counts Node's own binary pages, shared by every Node process: anon and PSS show what is the process's own.
          details: {
            rssBytes: m.rss,
            nodeRssBytes: base.rss,
            anonMiB: round(m.own?.anon),
            pssMiB: round(m.own?.pss),
            nodeAnonMiB: round(base.own?.anon),
            nodePssMiB: round(base.own?.pss),
            ...(bare && bareEnv ? { carriedEnv: bareEnv.carried, bareNodeRssBytes: bare.rss, bareRatio: Math.round((m.rss / bare.rss) * 100) / 100 } : {}),
          },
        });
      return [row('wrapper memory', layers.wrapper), row('tier memory', layers.tier)];
    } finally {
      scratch.cleanup();
    }
  },
};

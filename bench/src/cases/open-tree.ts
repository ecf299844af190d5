/**
 * open tree (the hub's): time to open the tree of a finished N-job run
 * (target < 1 s). The measurement is the hub's own script,
 * apps/hub/bench/open-tree.mjs, run as a process: its last stdout line is JSON
 * with `ms` (time to open) and `jobs`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, BenchSkip, run } from '../measure.js';

export function openTreeScript(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/hub/bench/open-tree.mjs');
}

export const openTree: BenchCase = {
  id: 'open-tree',
  name: 'open tree',
  async run(ctx: BenchContext): Promise<Row[]> {
    const script = openTreeScript();
    if (!fs.existsSync(script)) throw new BenchSkip(`the hub's measure ${path.relative(process.cwd(), script)} is not there yet`);
    const jobs = ctx.size(10_000, 1_000);
    ctx.progress(`open tree: the hub opening a finished ${jobs.toLocaleString('en-US')}-job run`);
    const done = await run(process.execPath, [script, String(jobs)], { cwd: path.dirname(script), timeoutMs: 600_000 });
    if (done.code !== 0) throw new BenchError(`${path.basename(script)} ended with ${done.code ?? done.signal}`, done.stderr.slice(-4000));
    const last = done.stdout.trim().split('\n').pop() ?? '';
    let reported: { ms?: unknown; jobs?: unknown };
    try {
      reported = JSON.parse(last);
    } catch {
      throw new BenchError(`${path.basename(script)} did not end with a JSON line`, done.stdout.slice(-2000));
    }
    const ms = Number(reported.ms);
    if (!Number.isFinite(ms)) throw new BenchError(`${path.basename(script)} reported no \`ms\``, last);
    return [
      judge({
        case: 'open tree',
        variant: `${Number(reported.jobs ?? jobs).toLocaleString('en-US')} jobs`,
        figure: { value: ms / 1000, unit: 's' },
        target: { kind: 'max', value: 1, of: 'figure', text: '< 1 s' },
        details: reported as Record<string, unknown>,
      }),
    ];
  },
};

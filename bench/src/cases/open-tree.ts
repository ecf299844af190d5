/**
 * open tree (the hub's): time for the hub to open the tree of a finished
 * N-job run, cold (target < 1 s). The measure is the hub's own,
 * apps/hub/bench/open-tree.mjs (`--jobs N`), run as a process: it builds the run
 * with @gator/db in two layouts (nested: tiers of 1,000 jobs; flat: one tier of
 * N), serves them from a hub and times the requests the UI makes; it prints
 * JSON with `results.<layout>.open_tree_cold_ms`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, BenchSkip, run } from '../measure.js';

interface OpenTreeOutput {
  jobs: number;
  results: Record<string, { open_tree_cold_ms: number } & Record<string, unknown>>;
  layouts?: Record<string, string>;
}

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
    const done = await run(process.execPath, [script, '--jobs', String(jobs), '--repeat', '3'], { cwd: path.dirname(script), timeoutMs: 600_000 });
    if (done.code !== 0) throw new BenchError(`${path.basename(script)} ended with ${done.code ?? done.signal}`, done.stderr.slice(-4000));
    let output: OpenTreeOutput;
    try {
      output = JSON.parse(done.stdout) as OpenTreeOutput;
    } catch {
      throw new BenchError(`${path.basename(script)} did not print JSON`, done.stdout.slice(-2000));
    }
    const rows: Row[] = [];
    for (const [layout, result] of Object.entries(output.results ?? {})) {
      const ms = Number(result.open_tree_cold_ms);
      if (!Number.isFinite(ms)) throw new BenchError(`${path.basename(script)} reported no open_tree_cold_ms for ${layout}`);
      rows.push(
        judge({
          case: 'open tree',
          variant: `${Number(output.jobs ?? jobs).toLocaleString('en-US')} jobs, ${layout}`,
          figure: { value: ms / 1000, unit: 's' },
          target: { kind: 'max', value: 1, of: 'figure', text: '< 1 s' },
          details: { layout: output.layouts?.[layout], ...result },
        }),
      );
    }
    if (rows.length === 0) throw new BenchError(`${path.basename(script)} reported no results`, done.stdout.slice(-2000));
    return rows;
  },
};

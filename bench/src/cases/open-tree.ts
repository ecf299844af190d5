/**
 * open tree (the hub's): time for the hub to open the tree of a finished
 * N-job run, cold (target < 1 s). The measure is the hub's own,
 * apps/hub/bench/open-tree.mjs (`--jobs N`), run as a process: it builds the run
 * with @gator/db in two layouts (nested: tiers of 1,000 jobs; flat: one tier of
 * N), serves them from a hub and times the requests the UI makes; it prints
 * JSON with `results.<layout>.open_tree_cold_ms`, and `triage.<view>`: the
 * triage views of the nested run (failed jobs, a failure bucket, run-wide
 * search by severity and by text to its last page, sorting, a long log's end),
 * each against the same 1 s.
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
  /** The triage views of the nested run: a request cold and warm, or a search followed to its end. */
  triage?: Record<string, { cold_ms?: number; slowest_page_ms?: number; total_ms?: number } & Record<string, unknown>>;
}

/** What each triage figure is, for the table (the keys apps/hub/bench/open-tree.mjs reports). */
const TRIAGE: Record<string, string> = {
  failed: 'failed jobs of the run (first 200)',
  bucket: 'every member of a failure bucket',
  search_severity: 'run-wide search, severity ≥ error, every page',
  search_text: 'run-wide search, a line only the last job printed, every page',
  sort_duration: 'a tier of 1,000 sorted by duration',
  sort_result: 'a tier of 1,000 sorted by result',
  sort_name: 'a tier of 1,000 sorted by name',
  sort_duration_flat: 'the flat run’s children sorted by duration',
  tail: 'the end of a long log',
  tail_page_before: 'the page before the end of a long log',
};

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
    const longLog = ctx.size(200_000, 20_000);
    const done = await run(process.execPath, [script, '--jobs', String(jobs), '--repeat', '3', '--long-log', String(longLog)], { cwd: path.dirname(script), timeoutMs: 900_000 });
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
    const jobsText = Number(output.jobs ?? jobs).toLocaleString('en-US');
    for (const [key, result] of Object.entries(output.triage ?? {})) {
      // A search is judged by all its pages together (the UI follows them); a request by its cold answer.
      const ms = Number(result.total_ms ?? result.cold_ms);
      if (!Number.isFinite(ms)) throw new BenchError(`${path.basename(script)} reported no time for triage ${key}`);
      rows.push(
        judge({
          case: 'open tree',
          variant: `triage: ${TRIAGE[key] ?? key} (${jobsText} jobs)`,
          figure: { value: ms / 1000, unit: 's' },
          target: { kind: 'max', value: 1, of: 'figure', text: '< 1 s' },
          details: { view: key, ...result },
        }),
      );
    }
    return rows;
  },
};

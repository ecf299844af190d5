#!/usr/bin/env node
/**
 * `pnpm bench [--quick] [--scale F] [--only a,b] [--modes default,inprocess] [--out DIR]`:
 * runs the cases, prints one table, writes results/latest.json. Exits 1 only
 * when a case crashed or lost data: timings are reported, never asserted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES, runBench } from './bench.js';
import { BenchError, killStarted, useCli } from './measure.js';
import { MODES, modeByName } from './modes.js';
import { formatTable, writeResults } from './report.js';

const HELP = `Usage: pnpm bench [options]

  --quick            small sizes (under a minute); what \`pnpm test\` runs
  --scale F          multiply every size by F (e.g. 0.1)
  --only IDS         comma-separated cases: ${CASES.map((c) => c.id).join(', ')}
  --modes NAMES      job-running modes of the tree cases: ${Object.keys(MODES).join(', ')} (default: all)
  --heavy            also the long cases: scale in the default mode (10,000 wrapper processes)
  --out DIR          where latest.json goes (default bench/results)
  --cli FILE         measure another build of the CLI (default apps/cli/dist/cli.js)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      heavy: { type: 'boolean', default: false },
      scale: { type: 'string' },
      only: { type: 'string' },
      modes: { type: 'string' },
      out: { type: 'string' },
      cli: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  useCli(values.cli);
  const list = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const modes = values.modes ? list(values.modes).map(modeByName) : Object.values(MODES);
  const results = await runBench({
    quick: values.quick,
    heavy: values.heavy,
    ...(values.scale !== undefined ? { scale: Number(values.scale) } : {}),
    only: list(values.only),
    modes,
    onProgress: (text) => process.stderr.write(`${text}\n`),
  });
  const outDir = values.out ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');
  const file = writeResults(outDir, results);
  const m = results.machine;
  process.stdout.write(
    `\nGator bench (${results.mode}${results.scale !== 1 ? `, scale ${results.scale}` : ''}) — Node ${results.node}, ${m.cores} cores, load ${m.load1Start} → ${m.load1End}\n\n`,
  );
  process.stdout.write(`${formatTable(results.rows)}\n`);
  for (const mode of modes) process.stdout.write(`\n  mode ${mode.name}: ${mode.note}`);
  process.stdout.write('\n');
  for (const s of results.skipped) process.stdout.write(`\n${s.case}: skipped: ${s.reason}\n`);
  for (const f of results.failures) process.stdout.write(`\n${f.case}: FAILED: ${f.error}\n${f.detail ? `${f.detail.trim()}\n` : ''}`);
  process.stdout.write(`\nResults: ${path.relative(process.cwd(), file) || file}\n`);
  const lost = results.rows.filter((r) => (r.lost ?? 0) > 0);
  return results.failures.length > 0 || lost.length > 0 ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killStarted();
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killStarted();
    process.stderr.write(`gator-bench: ${(error as Error)?.message ?? String(error)}\n`);
    if (error instanceof BenchError && error.detail) process.stderr.write(`${error.detail}\n`);
    process.exitCode = error instanceof BenchError ? 2 : 1;
  },
);

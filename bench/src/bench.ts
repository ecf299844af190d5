/**
 * Runs the cases one after another (never in parallel: each measures the
 * machine), collects their rows, and returns the results. A case that crashes
 * is recorded as a failure; the others still run.
 */
import os from 'node:os';
import type { BenchCase, BenchContext, Mode } from './context.js';
import { DEFAULT_MODE } from './modes.js';
import { BenchError, BenchSkip, cliPath, machineLoad, nowMs } from './measure.js';
import type { CaseFailure, Results, Row } from './report.js';
import { apiLogging } from './cases/api-logging.js';
import { fanOut } from './cases/fan-out.js';
import { jobOverhead } from './cases/job-overhead.js';
import { openTree } from './cases/open-tree.js';
import { historyViews } from './cases/history-views.js';
import { scale } from './cases/scale.js';
import { regressionTree, slotUse } from './cases/slot-use.js';
import { stdoutCapture } from './cases/stdout-capture.js';
import { wrapperMemory } from './cases/wrapper-memory.js';

/** In the order they run (fan-out reuses the job overhead figures). */
export const CASES: BenchCase[] = [jobOverhead, stdoutCapture, apiLogging, wrapperMemory, slotUse, regressionTree, scale, fanOut, openTree, historyViews];

export interface BenchOptions {
  quick?: boolean;
  /** Multiplies the full sizes (default 1). */
  scale?: number;
  /** Case ids to run (default all). */
  only?: string[];
  /** Modes for the tree cases (default: the default mode only). */
  modes?: Mode[];
  /** Also the long cases (scale in the default mode: 10,000 wrapper processes). */
  heavy?: boolean;
  /** Progress lines (default: none). */
  onProgress?: (text: string) => void;
}

export async function runBench(options: BenchOptions = {}): Promise<Results> {
  const quick = options.quick === true;
  const factor = options.scale ?? 1;
  if (!(factor > 0)) throw new BenchError(`--scale must be a positive number, got ${factor}`);
  const unknown = (options.only ?? []).filter((id) => !CASES.some((c) => c.id === id));
  if (unknown.length > 0) throw new BenchError(`Unknown case ${unknown.join(', ')}: the cases are ${CASES.map((c) => c.id).join(', ')}`);
  const selected = options.only && options.only.length > 0 ? CASES.filter((c) => options.only!.includes(c.id)) : CASES;
  const t0 = nowMs();
  const modes = options.modes && options.modes.length > 0 ? options.modes : [DEFAULT_MODE];
  const ctx: BenchContext = {
    quick,
    scale: factor,
    size: (full, small) => Math.max(1, Math.round((quick ? small : full) * factor)),
    modes,
    heavy: options.heavy === true,
    fastest: modes.find((m) => m.name === 'inprocess') ?? modes[0]!,
    progress: (text) => options.onProgress?.(`[${((nowMs() - t0) / 1000).toFixed(0).padStart(4)} s] ${text}`),
    shared: new Map(),
  };
  const started = new Date();
  const loadStart = machineLoad();
  const rows: Row[] = [];
  const failures: CaseFailure[] = [];
  const skipped: Results['skipped'] = [];
  for (const c of selected) {
    try {
      rows.push(...(await c.run(ctx)));
    } catch (error) {
      if (error instanceof BenchSkip) {
        skipped.push({ case: c.name, reason: error.message });
        ctx.progress(`${c.name}: skipped: ${error.message}`);
        continue;
      }
      const e = error as Error;
      failures.push({ case: c.name, error: e.message, ...(error instanceof BenchError && error.detail ? { detail: error.detail } : {}) });
      ctx.progress(`${c.name}: FAILED: ${e.message}`);
    }
  }
  return {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    scale: factor,
    node: process.version,
    cli: cliPath(),
    modes: modes.map((m) => ({ name: m.name, args: m.args, note: m.note })),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    machine: { cores: loadStart.cores, load1Start: loadStart.load1, load1End: machineLoad().load1, memoryMb: Math.round(os.totalmem() / 1e6) },
    rows,
    failures,
    skipped,
  };
}

/**
 * `gator history JOB_PATH`: one job across the runs of its spec, newest
 * first: result, attempt, duration, seed and reason per run, and its flake
 * rate. The reading is `jobHistory` of @gator/db.
 */
import { terminalSafe } from '../render/terminal-text.js';
import path from 'node:path';
import { GatorError } from '@gator/protocol';
import { jobHistory, runHistory, type JobHistory } from '@gator/db';
import { OUTCOME_MARK, duration, type Colors } from '../render/format.js';

/** The job's history over the runs of the spec of `run`, up to and including it. */
export function readHistory(run: string, jobPath: string, limit: number | undefined): JobHistory {
  const runs = runHistory(run, { upTo: true });
  const rootIdent = runs[runs.length - 1]?.ident;
  // Paths are given as `gator logs` takes them: with or without the root's ident.
  const wanted = jobPath.trim().replace(/^\.+|\.+$/g, '');
  const bare = rootIdent && wanted.startsWith(`${rootIdent}.`) ? wanted.slice(rootIdent.length + 1) : wanted;
  let history = jobHistory(runs, bare, limit !== undefined ? { limit } : {});
  if (history.rows.length === 0 && bare !== wanted) history = jobHistory(runs, wanted, limit !== undefined ? { limit } : {});
  if (history.rows.length === 0) {
    throw new GatorError('GATOR_JOB_NOT_FOUND', `No job '${jobPath}' in the ${runs.length} run${runs.length === 1 ? '' : 's'} of '${rootIdent ?? '?'}' next to ${run}.`, {
      hint: `gator show ${run} lists its jobs.`,
    });
  }
  return history;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function when(ts: number | null): string {
  return ts === null ? '-' : new Date(ts * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function renderHistoryText(h: JobHistory, cwd: string, c: Colors): string {
  const head = `${c.bold(terminalSafe(h.path))}: ${h.rows.length} of ${h.runs} runs; flake rate ${percent(h.flakeRate)} (${h.flaky} flaky, ${h.passed} passed, ${h.failed} failed of ${h.ran} that ran)`;
  const table = [['run', 'started', 'result', 'attempt', 'duration', 'seed', 'reason']];
  for (const { run, trial } of h.rows) {
    table.push([
      terminalSafe(path.relative(cwd, run.dir) || run.dir),
      when(run.started),
      trial.outcome,
      trial.attempt === null ? '-' : String(trial.attempt),
      trial.duration === null ? '-' : duration(trial.duration),
      terminalSafe(String(trial.seed ?? '-')),
      terminalSafe(trial.reason ?? ''),
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row, r) => {
    const text = row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
    if (r === 0) return `    ${c.dim(text)}`;
    return `  ${OUTCOME_MARK[h.rows[r - 1]!.trial.outcome](c)} ${text}`;
  });
  return `${[head, ...lines].join('\n')}\n`;
}

export function renderHistoryJson(h: JobHistory): string {
  return `${JSON.stringify(h, null, 2)}\n`;
}

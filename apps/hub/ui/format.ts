// Display helpers: times, durations, results, progress.
import type { Job, JobTally } from './api';

export const RESULT_NAMES = ['UNKNOWN', 'PASS', 'FAIL', 'ABORTED'] as const;
export const SEVERITIES = [
  { level: 10, name: 'DEBUG' },
  { level: 20, name: 'INFO' },
  { level: 30, name: 'WARNING' },
  { level: 40, name: 'ERROR' },
  { level: 50, name: 'CRITICAL' },
] as const;

export function severityName(level: number): string {
  if (level >= 50) return 'CRITICAL';
  if (level >= 40) return 'ERROR';
  if (level >= 30) return 'WARNING';
  if (level >= 20) return 'INFO';
  return 'DEBUG';
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function clock(seconds: number | null | undefined): string {
  if (!seconds) return '';
  const d = new Date(seconds * 1000);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function dateTime(seconds: number | null | undefined): string {
  if (!seconds) return '';
  const d = new Date(seconds * 1000);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay ? clock(seconds) : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock(seconds)}`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${two(m)}m` : `${m}m ${two(s % 60)}s`;
}

/** Duration of a job: to its stop, or to now while it runs. */
export function jobDuration(job: Pick<Job, 'started' | 'stopped'>, now = Date.now() / 1000, live = true): string {
  if (!job.started) return '';
  const end = job.stopped ?? (live ? now : null);
  return end === null ? '' : duration(end - job.started);
}

export interface Progress {
  total: number;
  passed: number;
  failed: number;
  lost: number;
  skipped: number;
  stopped: number;
  running: number;
  pending: number;
}

/**
 * A node's jobs by outcome: its `jobs` tally (the run model: tiers are never
 * counted as jobs); else, for hubs of older runs, the `jobs_*` metrics of a
 * wrapper roll-up, else Python's `sub_*` (which count tiers too).
 */
export function progressOf(jobs: JobTally | undefined, metrics?: Record<string, number>): Progress | undefined {
  if (jobs) {
    return { total: jobs.total, passed: jobs.passed, failed: jobs.failed, lost: jobs.lost, skipped: jobs.skipped, stopped: jobs.stopped, running: jobs.running, pending: jobs.pending };
  }
  if (!metrics || metrics.sub_total === undefined) return undefined;
  const none = { lost: 0, skipped: 0, stopped: 0, pending: 0 };
  if (metrics.jobs_total !== undefined) {
    return { ...none, total: metrics.jobs_total, passed: metrics.jobs_passed ?? 0, failed: metrics.jobs_failed ?? 0, running: metrics.sub_active ?? 0 };
  }
  return {
    ...none,
    total: metrics.sub_total ?? 0,
    passed: metrics.sub_passed ?? 0,
    failed: metrics.sub_failed ?? 0,
    running: metrics.sub_active ?? 0,
  };
}

export type Verdict = 'pass' | 'flaky' | 'fail' | 'aborted' | 'skipped' | 'stopped' | 'interrupted' | 'running' | 'pending' | 'silent' | 'unknown';

const FROM_OUTCOME: Record<string, Verdict> = {
  passed: 'pass',
  failed: 'fail',
  lost: 'fail',
  skipped: 'skipped',
  stopped: 'stopped',
  interrupted: 'interrupted',
  running: 'running',
  pending: 'pending',
};

/** The run model's outcome when the hub sent one (`outcome`), else what the result and status tell. */
export function verdictOf(job: Pick<Job, 'status' | 'result'> & { stale?: boolean; live?: boolean; outcome?: string; flaky?: boolean }): Verdict {
  if (job.flaky && job.outcome === 'passed') return 'flaky';
  const fromModel = job.outcome !== undefined ? FROM_OUTCOME[job.outcome] : undefined;
  if (fromModel && !(fromModel === 'running' && job.stale)) return fromModel;
  if (job.result === 1) return 'pass';
  if (job.result === 2) return 'fail';
  // ABORTED is what a stopped layer records (docs/run-model.md): the run model's word for it is `stopped`.
  if (job.result === 3) return 'stopped';
  if (job.stale) return 'silent';
  if (job.status === 1 || job.status === 2) return 'running';
  if (job.status === 0) return 'pending';
  return 'unknown';
}

export const VERDICT_LABEL: Record<Verdict, string> = {
  pass: 'PASS',
  flaky: 'FLAKY',
  fail: 'FAIL',
  aborted: 'ABORTED',
  skipped: 'SKIPPED',
  stopped: 'STOPPED',
  interrupted: 'INTERRUPTED',
  running: 'RUNNING',
  pending: 'PENDING',
  silent: 'SILENT',
  unknown: '?',
};

export const VERDICT_ICON: Record<Verdict, string> = {
  pass: '✔',
  flaky: '↻',
  fail: '✖',
  aborted: '⏹',
  skipped: '○',
  stopped: '⏹',
  interrupted: '⚠',
  running: '●',
  pending: '○',
  silent: '⚠',
  unknown: '?',
};

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

// Display helpers: times, durations, results, progress.
import type { Job } from './api';

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
  running: number;
}

export function progressOf(metrics: Record<string, number> | undefined): Progress | undefined {
  if (!metrics || metrics.sub_total === undefined) return undefined;
  return {
    total: metrics.sub_total ?? 0,
    passed: metrics.sub_passed ?? 0,
    failed: metrics.sub_failed ?? 0,
    running: metrics.sub_active ?? 0,
  };
}

export type Verdict = 'pass' | 'fail' | 'aborted' | 'running' | 'pending' | 'silent' | 'unknown';

export function verdictOf(job: Pick<Job, 'status' | 'result'> & { stale?: boolean; live?: boolean }): Verdict {
  if (job.result === 1) return 'pass';
  if (job.result === 2) return 'fail';
  if (job.result === 3) return 'aborted';
  if (job.stale) return 'silent';
  if (job.status === 1 || job.status === 2) return 'running';
  if (job.status === 0) return 'pending';
  return 'unknown';
}

export const VERDICT_LABEL: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  aborted: 'ABORTED',
  running: 'RUNNING',
  pending: 'PENDING',
  silent: 'SILENT',
  unknown: '?',
};

export const VERDICT_ICON: Record<Verdict, string> = {
  pass: '✔',
  fail: '✖',
  aborted: '⏹',
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

// Shared pieces of the hub's charts (inline SVG): linear scales, round tick values, API paths.

/** Maps [d0, d1] onto [r0, r1] (a flat domain maps to r0). */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** About `count` round values (1, 2, 2.5, 5 × 10^n) from `min`, the last one at or above `max` (an axis's top). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  const top = Math.ceil(max / step - 1e-9) * step;
  for (let v = Math.ceil(min / step) * step; v <= top + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

/** Round steps for an axis of seconds (1 s … 1 day). */
export function timeTicks(seconds: number, count = 6): number[] {
  if (!(seconds > 0)) return [0];
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];
  const step = steps.find((s) => s >= seconds / count) ?? Math.ceil(seconds / count / 86400) * 86400;
  const out: number[] = [];
  for (let v = 0; v <= seconds + step * 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

/** An axis label for a number of seconds: 500ms, 45s, 2m30s, 1h05m. */
export function shortDuration(s: number): string {
  if (s < 1) return s === 0 ? '0' : `${Math.round(s * 1000)}ms`;
  if (s < 60) return `${Number(s.toFixed(1))}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${String(Math.round(s % 60)).padStart(2, '0')}s` : ''}`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `/api/job/<uid>/<action>/<rootIdent>/<path…>` for a node key (`uid/root/child…`). */
export function chartApi(action: 'timeline' | 'resources', key: string): string {
  const [uid, ...rest] = key.split('/');
  return `/api/job/${uid}/${action}${rest.length > 0 ? `/${rest.join('/')}` : ''}`;
}

/** The run page's link to a job, from its idents below the root. */
export function jobHref(uid: number | string, rootIdent: string, path: readonly string[]): string {
  return `/runs/${[String(uid), rootIdent, ...path].map(encodeURIComponent).join('/')}`;
}

/** Outcomes the charts colour, in legend order (flaky apart from passed). */
export const CHART_OUTCOMES = ['passed', 'flaky', 'failed', 'lost', 'stopped', 'skipped', 'running', 'pending'] as const;

/**
 * SQL shared by both repositories. Written with `?` placeholders; the PostgreSQL
 * side numbers them (`$1`, `$2`, ...). Table and column names are Python's hub
 * tables (hub.md §3); `summary`, `heartbeat`, `token` and `db_file` are ours.
 */
import type { Summary } from '@gator/protocol';
import type { RunQuery } from '../schemas.js';
import type { RunRecord } from './types.js';

/** Extra columns on `registration`, added to a database Python's hub created too. */
export const EXTRA_COLUMNS = [
  { name: 'summary', sqlite: 'TEXT', postgres: 'TEXT' },
  { name: 'heartbeat', sqlite: 'REAL', postgres: 'DOUBLE PRECISION' },
  { name: 'token', sqlite: 'TEXT', postgres: 'TEXT' },
  { name: 'db_file', sqlite: 'TEXT', postgres: 'TEXT' },
] as const;

export const RUN_COLUMNS = `r.uid AS uid, r.layer AS layer, r.ident AS ident, r.server_url AS server_url, r.owner AS owner,
  r.timestamp AS timestamp, r.summary AS summary, r.heartbeat AS heartbeat, r.token AS token, r.db_file AS reg_db_file,
  c.uid AS c_uid, c.db_file AS c_db_file, c.timestamp AS c_timestamp, c.result AS c_result`;

export const RUN_FROM = 'registration r LEFT JOIN completion c ON c.uid = r.completion';

/** `%`, `_` and `\` taken literally in a LIKE pattern (with `ESCAPE '\'`). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (m) => `\\${m}`);
}

/** WHERE clauses of a run query. `window` adds Python's after/before window. */
export function runFilter(query: RunQuery, options: { window: boolean; ilike: string }): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (options.window) {
    // Python's hub: a window when after < before, else "newer than after OR older than before" (0/0 = all).
    if (query.after < query.before) clauses.push('(r.uid > ? AND r.uid < ?)');
    else clauses.push('(r.uid > ? OR r.uid < ?)');
    params.push(query.after, query.before);
  }
  const q = query.q?.trim();
  if (q) {
    if (/^#\d+$/.test(q)) {
      // `#12` is run 12 only; a bare number also matches idents and owners.
      clauses.push('r.uid = ?');
      params.push(Number(q.slice(1)));
    } else {
      const pattern = `%${likeLiteral(q)}%`;
      const asUid = /^\d+$/.test(q) ? Number(q) : -1;
      clauses.push(`(r.ident ${options.ilike} ? ESCAPE '\\' OR r.owner ${options.ilike} ? ESCAPE '\\' OR r.uid = ?)`);
      params.push(pattern, pattern, asUid);
    }
  }
  if (query.owner) {
    clauses.push('r.owner = ?');
    params.push(query.owner);
  }
  switch (query.state) {
    case 'live':
      clauses.push('r.completion IS NULL');
      break;
    case 'finished':
      clauses.push('r.completion IS NOT NULL');
      break;
    case 'passed':
      clauses.push('c.result = 1');
      break;
    case 'failed':
      clauses.push(
        "(c.result = 2 OR (r.completion IS NULL AND EXISTS (SELECT 1 FROM metric m WHERE m.registration = r.uid AND m.name = 'sub_failed' AND m.value > 0)))",
      );
      break;
    case 'all':
      break;
  }
  return { where: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function parseSummary(text: unknown): Summary | null {
  if (typeof text !== 'string' || text === '') return null;
  try {
    return JSON.parse(text) as Summary;
  } catch {
    return null;
  }
}

/** A joined registration/completion row as a RunRecord (metrics filled in by the caller). */
export function toRunRecord(row: Record<string, unknown>): RunRecord {
  const cUid = numberOrNull(row.c_uid);
  return {
    uid: Number(row.uid),
    layer: String(row.layer ?? ''),
    ident: String(row.ident ?? ''),
    serverUrl: String(row.server_url ?? ''),
    owner: row.owner === null || row.owner === undefined ? null : String(row.owner),
    timestamp: numberOrNull(row.timestamp) ?? 0,
    heartbeat: numberOrNull(row.heartbeat),
    summary: parseSummary(row.summary),
    dbFile: typeof row.reg_db_file === 'string' && row.reg_db_file !== '' ? row.reg_db_file : null,
    token: typeof row.token === 'string' && row.token !== '' ? row.token : null,
    completion:
      cUid === null
        ? null
        : {
            uid: cUid,
            dbFile: String(row.c_db_file ?? ''),
            timestamp: numberOrNull(row.c_timestamp) ?? 0,
            result: numberOrNull(row.c_result) ?? 0,
          },
    metrics: {},
  };
}

/** Numeric metrics of a summary (anything else is not a metric row). */
export function numericMetrics(summary: Summary): [string, number][] {
  return Object.entries(summary.metrics ?? {}).filter(
    (e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]) && e[0].length <= 250,
  );
}

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { METRIC_SCOPES, severityFromName, type ApiMessage, type NoticeKind } from '@gator/protocol';
import { DatabaseError, databaseError } from './errors.js';
import { DB_FILE_NAME } from './schema.js';

export interface MessageQuery {
  /** Only messages at or above this level (10 debug … 50 critical). */
  minSeverity?: number;
  /** Only uids greater than this (paging forward). */
  after?: number;
  /** Only uids lower than this (paging backward). */
  before?: number;
  /** At most this many messages. */
  limit?: number;
  /** Only messages with timestamp >= since (Unix seconds). */
  since?: number;
  /** Only messages with timestamp <= until (Unix seconds). */
  until?: number;
  /** A substring (case-sensitive) or a regular expression the text must match. */
  grep?: string | RegExp;
  /** Only messages of this attempt number (by GatorAttempt's uid range; none in Python files). */
  attempt?: number;
  /** By uid; default 'asc'. */
  order?: 'asc' | 'desc';
}

export interface ChildRow {
  uidx: number;
  ident: string;
  serverUrl: string;
  dbFile: string;
  started: number | null;
  updated: number | null;
  stopped: number | null;
  /** JobResult integer. */
  result: number;
  expectedChildren: number;
}

export interface NoticeRow {
  uid: number;
  /** Unix seconds. */
  timestamp: number;
  kind: NoticeKind;
  /** Dotted path below the layer of the job it is about ('' = the layer itself). */
  path: string;
  message: string;
}

export interface AttemptRow {
  uid: number;
  attempt: number;
  started: number | null;
  stopped: number | null;
  exit: number | null;
  result: number | null;
  reason: string | null;
  firstUid: number;
  lastUid: number | null;
}

export interface MetricRow {
  scope: string;
  name: string;
  value: number;
}

export interface ProcStatRow {
  nproc: number;
  cpu: number;
  mem: number;
  vmem: number;
  timestamp: number;
}

export interface LayerReader {
  readonly dbFile: string;
  readonly dir: string;
  /** 'tier' when the file has a ChildEntry table, else 'wrapper'. */
  readonly kind: 'tier' | 'wrapper';
  /** All attributes; when a name repeats, the last row wins. */
  attributes(): Record<string, string>;
  attribute(name: string): string | undefined;
  messages(q?: MessageQuery): ApiMessage[];
  /** Same as messages() one row at a time (exports of millions of lines); don't use the reader until it is done. */
  iterateMessages(q?: MessageQuery): IterableIterator<ApiMessage>;
  /** Messages matching the filters (`limit` and `order` ignored). */
  countMessages(q?: MessageQuery): number;
  /** Metrics of one scope (default `_GROUP_`). */
  metrics(scope?: string): Record<string, number>;
  metricRows(): MetricRow[];
  /**
   * Every scope's metrics (the last value of each name), without the names in
   * `except`: one pass over the table for a tier's children (a tier of 1,000
   * children holds 11,000 rows).
   */
  metricsByScope(except?: readonly string[]): Map<string, Record<string, number>>;
  /**
   * Resource samples, oldest first. With `maxPoints`, a long series is cut into at most that many
   * buckets of consecutive samples (CPU averaged, memory and processes at their peak), in SQL.
   */
  procStats(q?: { maxPoints?: number }): ProcStatRow[];
  children(): ChildRow[];
  /** The ChildEntry row of one child (the first, when an ident repeats), without reading the others. */
  child(ident: string): ChildRow | undefined;
  attempts(): AttemptRow[];
  /** Gator's notices (GatorNotice), oldest first; [] for a file without the table (older Gator, Python). */
  notices(q?: { kind?: NoticeKind; path?: string }): NoticeRow[];
  close(): void;
}

type Row = Record<string, unknown>;

/** Number of a stored value: REAL/INTEGER as is, text parsed (Python stores floats as text); else null. */
function num(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '' || trimmed.toLowerCase() === 'none') return null;
    const n = Number(trimmed);
    return Number.isNaN(n) ? null : n;
  }
  return null;
}

function int(value: unknown, fallback = 0): number {
  const n = num(value);
  return n === null ? fallback : Math.trunc(n);
}

function severityOf(value: unknown): number {
  const n = num(value);
  if (n !== null) return Math.trunc(n);
  return typeof value === 'string' ? severityFromName(value) : 0;
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

const CHILD_COLUMNS = 'SELECT db_uid, ident, server_url, db_file, started, updated, stopped, result, expected_children FROM ChildEntry';

function toChild(row: Row): ChildRow {
  return {
    uidx: int(row.db_uid),
    ident: text(row.ident),
    serverUrl: text(row.server_url),
    dbFile: text(row.db_file),
    started: num(row.started),
    updated: num(row.updated),
    stopped: num(row.stopped),
    result: int(row.result),
    expectedChildren: int(row.expected_children),
  };
}

function toMessage(row: Row): ApiMessage {
  return {
    uid: int(row.db_uid),
    severity: severityOf(row.severity),
    message: text(row.message),
    timestamp: num(row.timestamp) ?? 0,
  };
}

const regexpCache = new Map<string, RegExp>();
function regexpTest(source: string, flags: string, subject: unknown): number {
  const key = `${flags}/${source}`;
  let re = regexpCache.get(key);
  if (!re) {
    // 'g'/'y' make test() stateful across rows.
    re = new RegExp(source, flags.replace(/[gy]/g, ''));
    if (regexpCache.size > 100) regexpCache.clear();
    regexpCache.set(key, re);
  }
  return re.test(text(subject)) ? 1 : 0;
}

class SqliteLayerReader implements LayerReader {
  readonly dbFile: string;
  readonly dir: string;
  private db: Database.Database | undefined;
  private readonly knownTables = new Set<string>();

  constructor(dirOrDbFile: string) {
    const given = path.resolve(dirOrDbFile);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch (err) {
      throw databaseError('GATOR_DB_READ', given, 'the layer database', err);
    }
    this.dbFile = stat.isDirectory() ? path.join(given, DB_FILE_NAME) : given;
    this.dir = path.dirname(this.dbFile);
    if (!fs.existsSync(this.dbFile)) {
      throw databaseError('GATOR_DB_READ', this.dbFile, 'the layer database', Object.assign(new Error('no such file'), { code: 'ENOENT' }));
    }
    try {
      this.db = new Database(this.dbFile, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 5000');
      this.db.function('gator_regexp', { deterministic: true }, (source, flags, subject) =>
        regexpTest(String(source), String(flags), subject),
      );
      // Reading the schema is what detects "not a database".
      this.refreshTables();
    } catch (err) {
      this.db?.close();
      this.db = undefined;
      throw databaseError('GATOR_DB_READ', this.dbFile, 'the layer database', err);
    }
  }

  get kind(): 'tier' | 'wrapper' {
    return this.hasTable('ChildEntry') ? 'tier' : 'wrapper';
  }

  private refreshTables(): void {
    for (const name of this.handle().prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()) {
      this.knownTables.add(String(name));
    }
  }

  /** Tables appear while a Python layer runs, so a missing one is looked up again. */
  private hasTable(name: string): boolean {
    if (!this.knownTables.has(name)) this.refreshTables();
    return this.knownTables.has(name);
  }

  private handle(): Database.Database {
    if (!this.db) {
      throw new DatabaseError('GATOR_DB_READ', this.dbFile, `Cannot read the layer database ${this.dbFile}: the reader is closed.`, {
        reason: 'CLOSED',
        hint: 'open a new reader',
      });
    }
    return this.db;
  }

  private all(table: string, sql: string, params: unknown[] = []): Row[] {
    try {
      if (!this.hasTable(table)) return [];
      return this.handle().prepare(sql).all(...params) as Row[];
    } catch (err) {
      throw databaseError('GATOR_DB_READ', this.dbFile, 'the layer database', err);
    }
  }

  attributes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const row of this.all('Attribute', 'SELECT name, value FROM Attribute ORDER BY db_uid')) {
      out[text(row.name)] = text(row.value);
    }
    return out;
  }

  attribute(name: string): string | undefined {
    const rows = this.all('Attribute', 'SELECT value FROM Attribute WHERE name = ? ORDER BY db_uid DESC LIMIT 1', [name]);
    return rows.length > 0 ? text(rows[0].value) : undefined;
  }

  /** WHERE clause and parameters of a message query; null when it can match nothing. */
  private messageFilter(q: MessageQuery): { where: string; params: unknown[] } | null {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (q.minSeverity !== undefined) clauses.push('CAST(severity AS INTEGER) >= ?'), params.push(q.minSeverity);
    if (q.after !== undefined) clauses.push('db_uid > ?'), params.push(q.after);
    if (q.before !== undefined) clauses.push('db_uid < ?'), params.push(q.before);
    if (q.since !== undefined) clauses.push('timestamp >= ?'), params.push(q.since);
    if (q.until !== undefined) clauses.push('timestamp <= ?'), params.push(q.until);
    if (typeof q.grep === 'string' && q.grep !== '') clauses.push('instr(message, ?) > 0'), params.push(q.grep);
    else if (q.grep instanceof RegExp) clauses.push('gator_regexp(?, ?, message)'), params.push(q.grep.source, q.grep.flags);
    if (q.attempt !== undefined) {
      const range = this.attemptRange(q.attempt);
      if (!range) return null;
      clauses.push('db_uid >= ?'), params.push(range.first);
      if (range.last !== null) clauses.push('db_uid <= ?'), params.push(range.last);
    }
    return { where: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', params };
  }

  private attemptRange(attempt: number): { first: number; last: number | null } | null {
    const rows = this.all('GatorAttempt', 'SELECT db_uid, first_uid, last_uid FROM GatorAttempt WHERE attempt = ? ORDER BY db_uid DESC LIMIT 1', [
      attempt,
    ]);
    if (rows.length === 0) return null;
    const first = int(rows[0].first_uid, 1);
    let last = num(rows[0].last_uid);
    if (last === null) {
      // Still running or cut short: it ends where the next attempt begins.
      const next = this.all('GatorAttempt', 'SELECT first_uid FROM GatorAttempt WHERE db_uid > ? ORDER BY db_uid LIMIT 1', [rows[0].db_uid]);
      if (next.length > 0) last = int(next[0].first_uid) - 1;
    }
    return { first, last };
  }

  /** SQL and parameters of a message query; null when it can match nothing. */
  private messageQuery(q: MessageQuery): { sql: string; params: unknown[] } | null {
    if (q.limit !== undefined && q.limit <= 0) return null;
    if (!this.hasTable('LogEntry')) return null;
    const filter = this.messageFilter(q);
    if (!filter) return null;
    const order = q.order === 'desc' ? 'DESC' : 'ASC';
    const limit = q.limit !== undefined ? ` LIMIT ${Math.trunc(q.limit)}` : '';
    return {
      sql: `SELECT db_uid, severity, message, timestamp FROM LogEntry${filter.where} ORDER BY db_uid ${order}${limit}`,
      params: filter.params,
    };
  }

  messages(q: MessageQuery = {}): ApiMessage[] {
    const query = this.messageQuery(q);
    return query ? this.all('LogEntry', query.sql, query.params).map(toMessage) : [];
  }

  *iterateMessages(q: MessageQuery = {}): IterableIterator<ApiMessage> {
    const query = this.messageQuery(q);
    if (!query) return;
    let rows: IterableIterator<unknown>;
    try {
      rows = this.handle().prepare(query.sql).iterate(...query.params);
    } catch (err) {
      throw databaseError('GATOR_DB_READ', this.dbFile, 'the layer database', err);
    }
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = rows.next();
      } catch (err) {
        throw databaseError('GATOR_DB_READ', this.dbFile, 'the layer database', err);
      }
      if (next.done) return;
      yield toMessage(next.value as Row);
    }
  }

  countMessages(q: MessageQuery = {}): number {
    const filter = this.messageFilter(q);
    if (!filter) return 0;
    const rows = this.all('LogEntry', `SELECT count(*) AS n FROM LogEntry${filter.where}`, filter.params);
    return rows.length > 0 ? int(rows[0].n) : 0;
  }

  metrics(scope: string = METRIC_SCOPES.group): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.all('Metric', 'SELECT name, value FROM Metric WHERE scope = ? ORDER BY db_uid', [scope])) {
      out[text(row.name)] = num(row.value) ?? 0;
    }
    return out;
  }

  metricRows(): MetricRow[] {
    return this.all('Metric', 'SELECT scope, name, value FROM Metric ORDER BY db_uid').map((row) => ({
      scope: text(row.scope),
      name: text(row.name),
      value: num(row.value) ?? 0,
    }));
  }

  metricsByScope(except: readonly string[] = []): Map<string, Record<string, number>> {
    const out = new Map<string, Record<string, number>>();
    if (!this.hasTable('Metric')) return out;
    const where = except.length > 0 ? ` WHERE name NOT IN (${except.map(() => '?').join(', ')})` : '';
    let rows: unknown[][];
    try {
      // Arrays, not an object per row: this is the bulk of reading a big tier.
      rows = this.handle().prepare(`SELECT scope, name, value FROM Metric${where} ORDER BY db_uid`).raw().all(...except) as unknown[][];
    } catch (err) {
      throw databaseError('GATOR_DB_READ', this.dbFile, 'the layer database', err);
    }
    for (const [scope, name, value] of rows) {
      const key = text(scope);
      let metrics = out.get(key);
      if (!metrics) out.set(key, (metrics = {}));
      metrics[text(name)] = num(value) ?? 0;
    }
    return out;
  }

  procStats(q: { maxPoints?: number } = {}): ProcStatRow[] {
    const max = q.maxPoints !== undefined ? Math.max(1, Math.floor(q.maxPoints)) : undefined;
    const count = max !== undefined ? int(this.all('ProcStat', 'SELECT count(*) AS n FROM ProcStat')[0]?.n) : 0;
    const sql =
      max !== undefined && count > max
        ? `SELECT max(nproc) AS nproc, avg(cpu) AS cpu, max(mem) AS mem, max(vmem) AS vmem, min(timestamp) AS timestamp FROM (SELECT nproc, cpu, mem, vmem, timestamp, (row_number() OVER (ORDER BY db_uid) - 1) / ${Math.ceil(count / max)} AS bucket FROM ProcStat) GROUP BY bucket ORDER BY bucket`
        : 'SELECT nproc, cpu, mem, vmem, timestamp FROM ProcStat ORDER BY db_uid';
    return this.all('ProcStat', sql).map((row) => ({
      nproc: int(row.nproc),
      cpu: num(row.cpu) ?? 0,
      mem: num(row.mem) ?? 0,
      vmem: num(row.vmem) ?? 0,
      timestamp: num(row.timestamp) ?? 0,
    }));
  }

  children(): ChildRow[] {
    return this.all('ChildEntry', `${CHILD_COLUMNS} ORDER BY db_uid`).map(toChild);
  }

  child(ident: string): ChildRow | undefined {
    // One row read, not a 10,000-row tier.
    const rows = this.all('ChildEntry', `${CHILD_COLUMNS} WHERE ident = ? ORDER BY db_uid LIMIT 1`, [ident]);
    return rows.length > 0 ? toChild(rows[0]!) : undefined;
  }

  attempts(): AttemptRow[] {
    return this.all(
      'GatorAttempt',
      'SELECT db_uid, attempt, started, stopped, exit, result, reason, first_uid, last_uid FROM GatorAttempt ORDER BY db_uid',
    ).map((row) => ({
      uid: int(row.db_uid),
      attempt: int(row.attempt),
      started: num(row.started),
      stopped: num(row.stopped),
      exit: row.exit === null ? null : int(row.exit),
      result: row.result === null ? null : int(row.result),
      reason: row.reason === null ? null : text(row.reason),
      firstUid: int(row.first_uid),
      lastUid: row.last_uid === null ? null : int(row.last_uid),
    }));
  }

  notices(q: { kind?: NoticeKind; path?: string } = {}): NoticeRow[] {
    const where: string[] = [];
    const args: string[] = [];
    if (q.kind !== undefined) where.push('kind = ?'), args.push(q.kind);
    if (q.path !== undefined) where.push('path = ?'), args.push(q.path);
    const sql = `SELECT db_uid, timestamp, kind, path, message FROM GatorNotice${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY db_uid`;
    return this.all('GatorNotice', sql, args).map((row) => ({
      uid: int(row.db_uid),
      timestamp: num(row.timestamp) ?? 0,
      kind: text(row.kind) as NoticeKind,
      path: text(row.path),
      message: text(row.message),
    }));
  }

  close(): void {
    const db = this.db;
    this.db = undefined;
    try {
      db?.close();
    } catch {
      // read-only: nothing to lose
    }
  }
}

/**
 * Opens a layer's db.sqlite read-only (ours or Python Gator's). Throws DatabaseError
 * (GATOR_DB_READ) naming the path when it is missing, unreadable or not a database.
 */
export function openLayerReader(dirOrDbFile: string): LayerReader {
  return new SqliteLayerReader(dirOrDbFile);
}

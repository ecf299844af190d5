/** The registry in an embedded SQLite file (the default: one machine, nothing to install). */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Summary } from '@gator/protocol';
import { HubError } from '../errors.js';
import type { RunQuery } from '../schemas.js';
import { EXTRA_COLUMNS, RUN_COLUMNS, RUN_FROM, numericMetrics, runFilter, toRunRecord } from './sql.js';
import type { Completion, HubRepository, NewRegistration, RunPage, RunRecord } from './types.js';

const DDL = [
  'CREATE TABLE IF NOT EXISTS completion (uid INTEGER PRIMARY KEY AUTOINCREMENT, db_file VARCHAR(5000), timestamp INTEGER, result INTEGER)',
  'CREATE TABLE IF NOT EXISTS registration (uid INTEGER PRIMARY KEY AUTOINCREMENT, layer VARCHAR(16), ident VARCHAR(250), server_url VARCHAR(250), owner VARCHAR(250), timestamp INTEGER, completion INTEGER REFERENCES completion(uid))',
  // Python's column is INTEGER; REAL keeps fractional job metrics instead of truncating them.
  'CREATE TABLE IF NOT EXISTS metric (uid INTEGER PRIMARY KEY AUTOINCREMENT, registration INTEGER REFERENCES registration(uid), name VARCHAR(250), value REAL)',
];

function storageError(file: string, what: string, cause: unknown): HubError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new HubError('GATOR_HUB_STORAGE', `Cannot ${what} the hub database ${file}: ${detail}`, {
    cause,
    hint: 'check that the file and its directory are writable, or pass another --database',
  });
}

class SqliteRepository implements HubRepository {
  readonly kind = 'sqlite' as const;
  constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {}

  private run<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw storageError(this.location, what, error);
    }
  }

  async register(r: NewRegistration): Promise<number> {
    return this.run('write', () => {
      const info = this.db
        .prepare('INSERT INTO registration (layer, ident, server_url, owner, timestamp, token, db_file) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(r.layer, r.ident, r.serverUrl, r.owner, r.timestamp, r.token, r.dbFile);
      return Number(info.lastInsertRowid);
    });
  }

  async heartbeat(uid: number, summary: Summary, at: number): Promise<boolean> {
    return this.run('write', () =>
      this.db.transaction(() => {
        const changed = this.db
          .prepare('UPDATE registration SET summary = ?, heartbeat = ? WHERE uid = ?')
          .run(JSON.stringify(summary), at, uid).changes;
        if (changed === 0) return false;
        const update = this.db.prepare('UPDATE metric SET value = ? WHERE registration = ? AND name = ?');
        const insert = this.db.prepare('INSERT INTO metric (registration, name, value) VALUES (?, ?, ?)');
        for (const [name, value] of numericMetrics(summary)) {
          if (update.run(value, uid, name).changes === 0) insert.run(uid, name, value);
        }
        return true;
      })(),
    );
  }

  async complete(uid: number, c: Omit<Completion, 'uid'>): Promise<boolean> {
    return this.run('write', () =>
      this.db.transaction(() => {
        const exists = this.db.prepare('SELECT 1 FROM registration WHERE uid = ?').get(uid);
        if (!exists) return false;
        const info = this.db.prepare('INSERT INTO completion (db_file, timestamp, result) VALUES (?, ?, ?)').run(c.dbFile, c.timestamp, c.result);
        this.db.prepare('UPDATE registration SET completion = ? WHERE uid = ?').run(Number(info.lastInsertRowid), uid);
        return true;
      })(),
    );
  }

  private withMetrics(runs: RunRecord[]): RunRecord[] {
    if (runs.length === 0) return runs;
    const byUid = new Map(runs.map((r) => [r.uid, r]));
    const rows = this.db
      .prepare(`SELECT registration, name, value FROM metric WHERE registration IN (${runs.map(() => '?').join(',')}) ORDER BY uid`)
      .all(...runs.map((r) => r.uid)) as { registration: number; name: string; value: number }[];
    for (const row of rows) {
      const run = byUid.get(Number(row.registration));
      if (run) run.metrics[row.name] = Number(row.value);
    }
    return runs;
  }

  async get(uid: number): Promise<RunRecord | undefined> {
    return this.run('read', () => {
      const row = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.uid = ?`).get(uid) as Record<string, unknown> | undefined;
      return row ? this.withMetrics([toRunRecord(row)])[0] : undefined;
    });
  }

  async list(query: RunQuery): Promise<RunPage> {
    return this.run('read', () => {
      const page = runFilter(query, { window: true, ilike: 'LIKE' });
      const rows = this.db
        .prepare(`SELECT ${RUN_COLUMNS} FROM ${RUN_FROM}${page.where} ORDER BY r.uid DESC LIMIT ?`)
        .all(...page.params, query.limit) as Record<string, unknown>[];
      const all = runFilter(query, { window: false, ilike: 'LIKE' });
      const total = this.db.prepare(`SELECT count(*) AS n FROM ${RUN_FROM}${all.where}`).get(...all.params) as { n: number };
      return { runs: this.withMetrics(rows.map(toRunRecord)), total: Number(total.n) };
    });
  }

  async close(): Promise<void> {
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }
}

/** Opens (creating if needed, mode 0600 in a 0700 directory) the registry file. */
export function openSqliteRepository(file: string): HubRepository {
  const resolved = path.resolve(file);
  let db: Database.Database | undefined;
  try {
    fs.mkdirSync(path.dirname(resolved), { recursive: true, mode: 0o700 });
    const existed = fs.existsSync(resolved);
    db = new Database(resolved);
    if (!existed) fs.chmodSync(resolved, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    for (const ddl of DDL) db.exec(ddl);
    const have = new Set((db.prepare('PRAGMA table_info(registration)').all() as { name: string }[]).map((c) => c.name));
    for (const col of EXTRA_COLUMNS) {
      if (!have.has(col.name)) db.exec(`ALTER TABLE registration ADD COLUMN ${col.name} ${col.sqlite}`);
    }
    db.exec('CREATE INDEX IF NOT EXISTS metric_registration_name ON metric (registration, name)');
    return new SqliteRepository(db, resolved);
  } catch (error) {
    db?.close();
    throw storageError(resolved, 'open', error);
  }
}

/** The registry in PostgreSQL (`--database postgres://user:pw@host:port/db`), Python's hub tables. */
import pg from 'pg';
import type { Summary } from '@gator/protocol';
import { HubError } from '../errors.js';
import type { RunQuery } from '../schemas.js';
import { EXTRA_COLUMNS, RUN_COLUMNS, RUN_FROM, numericMetrics, runFilter, toRunRecord } from './sql.js';
import type { Completion, HubRepository, NewRegistration, RunPage, RunRecord } from './types.js';

const DDL = [
  'CREATE TABLE IF NOT EXISTS completion (uid SERIAL PRIMARY KEY, db_file VARCHAR(5000), timestamp INTEGER, result INTEGER)',
  'CREATE TABLE IF NOT EXISTS registration (uid SERIAL PRIMARY KEY, layer VARCHAR(16), ident VARCHAR(250), server_url VARCHAR(250), owner VARCHAR(250), timestamp INTEGER, completion INTEGER REFERENCES completion(uid) ON DELETE SET NULL)',
  // Python's column is INTEGER; DOUBLE PRECISION keeps fractional job metrics.
  'CREATE TABLE IF NOT EXISTS metric (uid SERIAL PRIMARY KEY, registration INTEGER REFERENCES registration(uid) ON DELETE CASCADE, name VARCHAR(250), value DOUBLE PRECISION)',
  ...EXTRA_COLUMNS.map((c) => `ALTER TABLE registration ADD COLUMN IF NOT EXISTS ${c.name} ${c.postgres}`),
  // A database created by Python's hub has INTEGER values, which would refuse fractional metrics.
  `DO $$ BEGIN
     IF (SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'metric' AND column_name = 'value') <> 'double precision'
     THEN ALTER TABLE metric ALTER COLUMN value TYPE DOUBLE PRECISION; END IF;
   END $$`,
  'CREATE INDEX IF NOT EXISTS metric_registration_name ON metric (registration, name)',
];

/** `?` placeholders as PostgreSQL's `$1`, `$2`, ... (our SQL has no literal `?`). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The URL with its password masked, for messages and `location`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

class PostgresRepository implements HubRepository {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  private async q<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    client: pg.Pool | pg.PoolClient = this.pool,
  ): Promise<pg.QueryResult<R>> {
    try {
      return await client.query<R>(numbered(sql), params);
    } catch (error) {
      throw new HubError('GATOR_HUB_STORAGE', `PostgreSQL query failed on ${this.location}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check that the PostgreSQL server is up and the user may write these tables',
      });
    }
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new HubError('GATOR_HUB_STORAGE', `Cannot reach PostgreSQL at ${this.location}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async register(r: NewRegistration): Promise<number> {
    const res = await this.q<{ uid: number }>(
      'INSERT INTO registration (layer, ident, server_url, owner, timestamp, token, db_file) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING uid',
      [r.layer, r.ident, r.serverUrl, r.owner, Math.trunc(r.timestamp), r.token, r.dbFile],
    );
    return Number(res.rows[0].uid);
  }

  async heartbeat(uid: number, summary: Summary, at: number): Promise<boolean> {
    return this.transaction(async (client) => {
      const res = await this.q('UPDATE registration SET summary = ?, heartbeat = ? WHERE uid = ?', [JSON.stringify(summary), at, uid], client);
      if (res.rowCount === 0) return false;
      for (const [name, value] of numericMetrics(summary)) {
        const upd = await this.q('UPDATE metric SET value = ? WHERE registration = ? AND name = ?', [value, uid, name], client);
        if (upd.rowCount === 0) await this.q('INSERT INTO metric (registration, name, value) VALUES (?, ?, ?)', [uid, name, value], client);
      }
      return true;
    });
  }

  async complete(uid: number, c: Omit<Completion, 'uid'>): Promise<boolean> {
    return this.transaction(async (client) => {
      const exists = await this.q('SELECT 1 FROM registration WHERE uid = ?', [uid], client);
      if (exists.rowCount === 0) return false;
      const ins = await this.q<{ uid: number }>(
        'INSERT INTO completion (db_file, timestamp, result) VALUES (?, ?, ?) RETURNING uid',
        [c.dbFile, Math.trunc(c.timestamp), c.result],
        client,
      );
      await this.q('UPDATE registration SET completion = ? WHERE uid = ?', [ins.rows[0].uid, uid], client);
      return true;
    });
  }

  private async withMetrics(runs: RunRecord[]): Promise<RunRecord[]> {
    if (runs.length === 0) return runs;
    const byUid = new Map(runs.map((r) => [r.uid, r]));
    const res = await this.q<{ registration: number; name: string; value: number }>(
      'SELECT registration, name, value FROM metric WHERE registration = ANY(?) ORDER BY uid',
      [runs.map((r) => r.uid)],
    );
    for (const row of res.rows) {
      const run = byUid.get(Number(row.registration));
      if (run) run.metrics[row.name] = Number(row.value);
    }
    return runs;
  }

  async get(uid: number): Promise<RunRecord | undefined> {
    const res = await this.q(`SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.uid = ?`, [uid]);
    return res.rows.length > 0 ? (await this.withMetrics([toRunRecord(res.rows[0])]))[0] : undefined;
  }

  async list(query: RunQuery): Promise<RunPage> {
    const page = runFilter(query, { window: true, ilike: 'ILIKE' });
    const rows = await this.q(`SELECT ${RUN_COLUMNS} FROM ${RUN_FROM}${page.where} ORDER BY r.uid DESC LIMIT ?`, [...page.params, query.limit]);
    const all = runFilter(query, { window: false, ilike: 'ILIKE' });
    const total = await this.q<{ n: string }>(`SELECT count(*) AS n FROM ${RUN_FROM}${all.where}`, all.params);
    return { runs: await this.withMetrics(rows.rows.map(toRunRecord)), total: Number(total.rows[0].n) };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** Connects to PostgreSQL and creates the tables if missing (also upgrading a Python hub's tables). */
export async function openPostgresRepository(url: string): Promise<HubRepository> {
  const location = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // An idle client losing its server must not crash the hub; the next query reports it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      // Serialise concurrent start-ups creating the same tables.
      await client.query('SELECT pg_advisory_lock(4242001)');
      for (const ddl of DDL) await client.query(ddl);
      await client.query('SELECT pg_advisory_unlock(4242001)');
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new HubError('GATOR_HUB_STORAGE', `Cannot open the hub database ${location}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the URL (postgres://user:password@host:port/database), that the server is up, and that the user may create tables',
    });
  }
  return new PostgresRepository(pool, location);
}

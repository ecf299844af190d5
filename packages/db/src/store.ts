import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { rawLogFile, severityName, type NoticeKind } from '@gator/protocol';
import { DatabaseError, databaseError } from './errors.js';
import { DB_FILE_NAME, MESSAGES_LOG_NAME, SPEC_FILE_NAME, floatText, ifNotExists, tablesFor } from './schema.js';

export interface LayerStoreOptions {
  /** Layer tracking directory; created (recursive, mode 0o700) if missing. */
  dir: string;
  /** Wrappers get the ProcStat table, tiers ChildEntry (as Python Gator). */
  kind: 'tier' | 'wrapper';
  /** Rows per transaction before an immediate commit (default 2000). */
  batchSize?: number;
  /** Longest a row waits before it is committed (default 100 ms). */
  flushIntervalMs?: number;
}

export interface NewMessage {
  severity: number;
  message: string;
  /** Unix seconds (default: now). */
  timestamp?: number;
  /**
   * Accepted for callers that know it; messages are attributed to attempts by the
   * uid ranges of GatorAttempt (LogEntry keeps Python's columns), so it is not stored.
   */
  attempt?: number;
  /** Also write the line to messages.log (default true; Python leaves out messages a job sent through `log`). */
  logFile?: boolean;
}

export interface NewProcStat {
  nproc: number;
  cpu: number;
  mem: number;
  vmem: number;
  timestamp?: number;
}

export interface NewChild {
  ident: string;
  dbFile: string;
  expectedChildren: number;
}

export interface ChildPatch {
  serverUrl?: string;
  started?: number | null;
  updated?: number | null;
  stopped?: number | null;
  result?: number;
  dbFile?: string;
}

export interface NewAttempt {
  /** Attempt number (1 for the first run of the job). */
  attempt: number;
  /** Unix seconds (default: now). */
  started?: number;
}

export interface AttemptPatch {
  stopped?: number | null;
  exit?: number | null;
  result?: number | null;
  reason?: string | null;
  /** Last message uid of the attempt; default when `stopped` is set: the last uid stored so far. */
  lastUid?: number | null;
}

export interface NewNotice {
  /** What it tells: a job's `failed`/`lost`/`stopped` end, children `skipped`, a `problem` of the layer. */
  kind: NoticeKind;
  message: string;
  /** Dotted path below this layer of the job it is about; '' (default) for the layer itself. */
  path?: string;
  /** Unix seconds (default: now). */
  timestamp?: number;
}

export type SeverityCounts = Record<'debug' | 'info' | 'warning' | 'error' | 'critical', number>;

export interface RawLog {
  write(chunk: Buffer | string): void;
  close(): void;
  readonly file: string;
}

export interface LayerStore extends EventEmitter {
  readonly dir: string;
  readonly dbFile: string;
  readonly kind: 'tier' | 'wrapper';
  /** Writes `<dir>/spec.yaml` (0600). Throws DatabaseError (start-up step). */
  writeSpec(yamlText: string): void;
  /**
   * Stores a message: a LogEntry row (severity as text of the integer, timestamp REAL
   * Unix seconds) and a `[HH:MM:SS] [SEVERITY] text` line in messages.log. Returns
   * its uid (= LogEntry.db_uid), known at once although the commit is batched.
   */
  addMessage(m: NewMessage): number;
  /** Appends an Attribute row, as Python does (readers take the last). */
  setAttribute(name: string, value: string | number): void;
  /** Upserts the Metric row of (scope, name). */
  setMetric(scope: string, name: string, value: number): void;
  setMetrics(scope: string, metrics: Record<string, number>): void;
  addProcStat(s: NewProcStat): void;
  /** Inserts a ChildEntry row; returns its uidx (= db_uid), known at once. */
  addChild(c: NewChild): number;
  updateChild(uidx: number, patch: ChildPatch): void;
  /** Opens a GatorAttempt row starting at the next message uid; returns its db_uid. */
  addAttempt(a: NewAttempt): number;
  updateAttempt(attemptUid: number, patch: AttemptPatch): void;
  /** Stores one of Gator's notices (GatorNotice): never a message, never counted. */
  addNotice(n: NewNotice): void;
  /** `<dir>/raw_<pid>.log` (0600), written with the batch commits. Throws DatabaseError if it cannot be opened. */
  openRawLog(pid: number): RawLog;
  /** Commits everything pending now (synchronous; never throws). */
  flush(): void;
  /** Resolves once everything added so far is committed; rejects with the DatabaseError if it cannot be. */
  durable(): Promise<void>;
  /** Flushes and closes the files; idempotent; never throws (failures land in `failure`). */
  close(): void;
  readonly closed: boolean;
  /** The first write failure, if any (also emitted as 'error'). */
  readonly failure: DatabaseError | undefined;
  /** Rows that could not be stored because of `failure` (they are still counted). */
  readonly unstored: number;
  /** Uid the next message will get. */
  readonly nextMessageUid: number;
  on(event: 'error', listener: (e: DatabaseError) => void): this;
  /** Message counts per severity added so far (counted even when they could not be stored). */
  counts(): SeverityCounts;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** Rows bound per multi-row INSERT: fewer statement executions per batch. */
const MESSAGE_CHUNK = 64;
const MESSAGE_COLUMNS = 4;
/** Raw job output is written straight away beyond this many buffered bytes. */
const RAW_BUFFER_LIMIT = 256 * 1024;

const LEVEL_LABEL = new Map<number, string>();
for (const level of [10, 20, 30, 40, 50]) LEVEL_LABEL.set(level, `] [${severityName(level).padEnd(7)}] `);
const SEVERITY_TEXT = new Map<number, string>([10, 20, 30, 40, 50].map((l) => [l, String(l)]));

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function localDateTime(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Every open store, closed (so flushed) best-effort if the process exits without closing it. */
const openStores = new Set<SqliteLayerStore>();
let exitHookInstalled = false;
function trackStore(store: SqliteLayerStore): void {
  openStores.add(store);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous, which flush() is.
    process.on('exit', () => {
      for (const s of [...openStores]) s.close();
    });
  }
}

function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    // mkdir says EEXIST for a file in the way; ENOTDIR says what is wrong.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw databaseError('GATOR_DB_WRITE', dir, 'the tracking directory', err);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    throw databaseError('GATOR_DB_WRITE', dir, 'the tracking directory', err);
  }
  if (!stat.isDirectory()) {
    throw databaseError('GATOR_DB_WRITE', dir, 'the tracking directory', new Error('not a directory'), 'ENOTDIR');
  }
}

/** Opens (creating 0600) a file for appending. */
function openAppend(file: string, what: string): number {
  try {
    return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, FILE_MODE);
  } catch (err) {
    throw databaseError('GATOR_DB_WRITE', file, what, err);
  }
}

function writeAll(fd: number, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/**
 * db_uid of each stored Metric row, by scope and name. A tier keeps one scope per
 * child for the whole run, so this is per-child state: one small array of uids per
 * scope, indexed through one table of the (few, repeating) metric names, rather
 * than a `scope\0name` string key per row. A scope's rows are usually inserted
 * together, in the names' order, so their uids run on by one: such a scope is kept
 * as one number (`RUN`: first uid and count) instead of an array (~180 bytes a
 * child of a 10,000-job tier).
 */
const RUN = 32;

class MetricUids {
  private readonly nameIndex = new Map<string, number>();
  /** `first * RUN + count` (uids first … first + count - 1 for names 0 … count - 1), or the uids by name index. */
  private readonly byScope = new Map<string, number | (number | bigint | undefined)[]>();

  get(scope: string, name: string): number | bigint | undefined {
    const index = this.nameIndex.get(name);
    if (index === undefined) return undefined;
    const uids = this.byScope.get(scope);
    if (typeof uids !== 'number') return uids?.[index];
    const count = uids % RUN;
    return index < count ? (uids - count) / RUN + index : undefined;
  }

  set(scope: string, name: string, uid: number | bigint): void {
    let index = this.nameIndex.get(name);
    if (index === undefined) {
      index = this.nameIndex.size;
      this.nameIndex.set(name, index);
    }
    let uids = this.byScope.get(scope);
    if (uids === undefined || typeof uids === 'number') {
      const count = uids === undefined ? 0 : uids % RUN;
      const first = uids === undefined ? Number(uid) : (uids - count) / RUN;
      if (index === count && typeof uid === 'number' && uid === first + count && count + 1 < RUN && first * RUN + count + 1 <= Number.MAX_SAFE_INTEGER) {
        this.byScope.set(scope, first * RUN + count + 1);
        return;
      }
      const expanded: (number | bigint | undefined)[] = [];
      for (let i = 0; i < count; i++) expanded.push(first + i);
      uids = expanded;
      this.byScope.set(scope, uids);
    }
    while (uids.length < index) uids.push(undefined);
    uids[index] = uid;
  }
}

interface Waiter {
  resolve: () => void;
  reject: (e: DatabaseError) => void;
}

class SqliteLayerStore extends EventEmitter implements LayerStore {
  readonly dir: string;
  readonly dbFile: string;
  readonly kind: 'tier' | 'wrapper';
  private readonly logFile: string;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private db: Database.Database | undefined;
  private logFd: number | undefined;

  /** The multi-row INSERT, prepared when a batch first holds that many messages (most layers' never do). */
  private insertMessageChunk: Database.Statement | undefined;
  private readonly insertMessage: Database.Statement;
  private readonly insertAttribute: Database.Statement;
  private readonly insertMetric: Database.Statement;
  private readonly updateMetric: Database.Statement;
  private readonly insertProcStat: Database.Statement | undefined;
  private readonly insertChild: Database.Statement | undefined;
  private readonly insertAttempt: Database.Statement;
  private readonly commitBatch: () => void;

  /** Pending LogEntry rows, flattened (uid, severity, message, timestamp)*. */
  private msgParams: (string | number)[] = [];
  /** Pending low-rate writes, in the order they were made. */
  private ops: (() => void)[] = [];
  /** Pending metric values, coalesced by (scope, name). */
  private pendingMetrics = new Map<string, { scope: string; name: string; value: number }>();
  /** db_uid of each stored Metric row, by `scope\0name`. */
  private readonly metricUids = new MetricUids();
  private pendingRows = 0;
  private logBuffer = '';
  private readonly rawLogs = new Set<StoreRawLog>();
  private readonly statements = new Map<string, Database.Statement>();

  private nextMsgUid: number;
  private nextChildUid: number;
  private nextAttemptUid: number;
  private timer: NodeJS.Timeout | undefined;
  /** A commit asked for by `durable()`, at the end of this turn of the event loop. */
  private immediate: NodeJS.Immediate | undefined;
  private waiters: Waiter[] = [];
  private dbBroken = false;
  private logBroken = false;
  private _failure: DatabaseError | undefined;
  private _unstored = 0;
  private _closed = false;
  private readonly _counts: SeverityCounts = { debug: 0, info: 0, warning: 0, error: 0, critical: 0 };

  private hmsSecond = Number.NaN;
  private hmsText = '';

  constructor(options: LayerStoreOptions) {
    super();
    if (options.kind !== 'tier' && options.kind !== 'wrapper') {
      throw new DatabaseError('GATOR_DB_WRITE', String(options.dir), `openLayerStore: kind must be 'tier' or 'wrapper', got ${JSON.stringify(options.kind)}.`, { reason: 'EINVAL' });
    }
    this.kind = options.kind;
    this.dir = path.resolve(options.dir);
    this.dbFile = path.join(this.dir, DB_FILE_NAME);
    this.logFile = path.join(this.dir, MESSAGES_LOG_NAME);
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 2000));
    this.flushIntervalMs = Math.max(0, options.flushIntervalMs ?? 100);

    ensureDir(this.dir);
    // Create the file ourselves so it is 0600; SQLite gives -wal/-shm the same mode.
    const fd = openAppend(this.dbFile, 'the layer database');
    let fresh = false;
    try {
      // An empty file (the usual case: a new layer) has no rows to number from (a WAL
      // left beside one by a crash might, so then the rows are looked up as for any file).
      fresh = fs.fstatSync(fd).size === 0 && !fs.existsSync(`${this.dbFile}-wal`);
    } catch {
      // the queries below find out
    }
    fs.closeSync(fd);
    let db: Database.Database;
    try {
      db = new Database(this.dbFile, { fileMustExist: true });
    } catch (err) {
      throw databaseError('GATOR_DB_WRITE', this.dbFile, 'the layer database', err);
    }
    try {
      // Switching to WAL and creating the tables are not synced to disk: an OS crash
      // at this point loses an empty layer, and each sync costs milliseconds per job
      // on a busy disk. The run itself is written with synchronous = NORMAL.
      // One exec: each `pragma()` call prepares a statement of its own.
      db.exec(
        `PRAGMA busy_timeout = 5000; PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL; BEGIN; ${tablesFor(this.kind)
          .map((ddl) => `${ifNotExists(ddl)};`)
          .join(' ')} COMMIT; PRAGMA synchronous = NORMAL;`,
      );
      const uidAfter = (table: string): number => {
        const seq = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) as number | undefined;
        const max = db.prepare(`SELECT max(db_uid) FROM ${table}`).pluck().get() as number | null;
        return Math.max(Number(seq ?? 0), Number(max ?? 0)) + 1;
      };
      this.nextMsgUid = fresh ? 1 : uidAfter('LogEntry');
      this.nextChildUid = this.kind === 'tier' && !fresh ? uidAfter('ChildEntry') : 1;
      this.nextAttemptUid = fresh ? 1 : uidAfter('GatorAttempt');
      const stored = fresh ? [] : (db.prepare('SELECT db_uid, scope, name FROM Metric ORDER BY db_uid').all() as { db_uid: number; scope: string; name: string }[]);
      for (const row of stored) this.metricUids.set(row.scope, row.name, row.db_uid);

      const one = '(?, ?, ?, ?)';
      this.insertMessage = db.prepare(`INSERT INTO LogEntry (db_uid, severity, message, timestamp) VALUES ${one}`);
      this.insertAttribute = db.prepare('INSERT INTO Attribute (name, value) VALUES (?, ?)');
      this.insertMetric = db.prepare('INSERT INTO Metric (scope, name, value) VALUES (?, ?, ?)');
      this.updateMetric = db.prepare('UPDATE Metric SET value = ? WHERE db_uid = ?');
      this.insertProcStat =
        this.kind === 'wrapper'
          ? db.prepare('INSERT INTO ProcStat (nproc, cpu, mem, vmem, timestamp) VALUES (?, ?, ?, ?, ?)')
          : undefined;
      this.insertChild =
        this.kind === 'tier'
          ? db.prepare(
              'INSERT INTO ChildEntry (db_uid, ident, server_url, db_file, started, updated, stopped, result, expected_children) VALUES (?, ?, ?, ?, NULL, NULL, NULL, ?, ?)',
            )
          : undefined;
      this.insertAttempt = db.prepare(
        'INSERT INTO GatorAttempt (db_uid, attempt, started, stopped, exit, result, reason, first_uid, last_uid) VALUES (?, ?, ?, NULL, NULL, NULL, NULL, ?, NULL)',
      );
      this.commitBatch = db.transaction(() => this.writeBatch());
    } catch (err) {
      try {
        db.close();
      } catch {
        // already failing; the original error is the one to report
      }
      throw databaseError('GATOR_DB_WRITE', this.dbFile, 'the layer database', err);
    }
    this.db = db;
    try {
      this.logFd = openAppend(this.logFile, 'the message log');
      writeAll(this.logFd, `Log started at ${localDateTime(new Date())}\n`);
    } catch (err) {
      db.close();
      if (this.logFd !== undefined) fs.closeSync(this.logFd);
      throw databaseError('GATOR_DB_WRITE', this.logFile, 'the message log', err);
    }
    trackStore(this);
  }

  get failure(): DatabaseError | undefined {
    return this._failure;
  }
  get unstored(): number {
    return this._unstored;
  }
  get closed(): boolean {
    return this._closed;
  }
  get nextMessageUid(): number {
    return this.nextMsgUid;
  }

  counts(): SeverityCounts {
    return { ...this._counts };
  }

  writeSpec(yamlText: string): void {
    const file = path.join(this.dir, SPEC_FILE_NAME);
    try {
      fs.writeFileSync(file, yamlText, { mode: FILE_MODE });
      fs.chmodSync(file, FILE_MODE);
    } catch (err) {
      throw databaseError('GATOR_DB_WRITE', file, 'the layer spec', err);
    }
  }

  addMessage(m: NewMessage): number {
    const uid = this.nextMsgUid++;
    let severity = m.severity;
    // Bad input is normalised, never thrown: unknown levels count as INFO (as Python's severity lookup).
    if (!SEVERITY_TEXT.has(severity)) severity = Number.isFinite(severity) ? Math.trunc(severity) : 20;
    let ts = m.timestamp ?? Date.now() / 1000;
    if (!Number.isFinite(ts)) ts = Date.now() / 1000;
    const text = typeof m.message === 'string' ? m.message : String(m.message ?? '');
    if (severity >= 50) this._counts.critical++;
    else if (severity >= 40) this._counts.error++;
    else if (severity >= 30) this._counts.warning++;
    else if (severity >= 20) this._counts.info++;
    else this._counts.debug++;

    if (!this.logBroken && m.logFile !== false && !this._closed) {
      const second = Math.floor(ts);
      if (second !== this.hmsSecond) {
        const d = new Date(second * 1000);
        this.hmsSecond = second;
        this.hmsText = `[${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
      }
      const label = LEVEL_LABEL.get(severity) ?? `] [${severityName(severity).padEnd(7)}] `;
      this.logBuffer += `${this.hmsText}${label}${text}\n`;
    }
    if (this.dbBroken || this._closed) {
      this.lost(1);
      return uid;
    }
    this.msgParams.push(uid, SEVERITY_TEXT.get(severity) ?? String(severity), text, ts);
    this.rowAdded();
    return uid;
  }

  setAttribute(name: string, value: string | number): void {
    const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : floatText(value)) : String(value);
    this.queue(() => this.insertAttribute.run(name, text));
  }

  setMetric(scope: string, name: string, value: number): void {
    if (this.dbBroken || this._closed) return this.lost(1);
    this.pendingMetrics.set(`${scope}\0${name}`, { scope, name, value });
    this.rowAdded();
  }

  setMetrics(scope: string, metrics: Record<string, number>): void {
    for (const [name, value] of Object.entries(metrics)) this.setMetric(scope, name, value);
  }

  addProcStat(s: NewProcStat): void {
    const stmt = this.insertProcStat;
    if (!stmt) return this.misuse('addProcStat', 'ProcStat rows belong to wrapper stores');
    const ts = s.timestamp ?? Date.now() / 1000;
    this.queue(() => stmt.run(s.nproc, s.cpu, s.mem, s.vmem, ts));
  }

  addChild(c: NewChild): number {
    const uidx = this.nextChildUid++;
    const stmt = this.insertChild;
    if (!stmt) {
      this.misuse('addChild', 'ChildEntry rows belong to tier stores');
      return uidx;
    }
    this.queue(() => stmt.run(uidx, c.ident, '', c.dbFile, '0', c.expectedChildren));
    return uidx;
  }

  updateChild(uidx: number, patch: ChildPatch): void {
    if (!this.insertChild) return this.misuse('updateChild', 'ChildEntry rows belong to tier stores');
    const sets: string[] = [];
    const values: (string | null)[] = [];
    const time = (v: number | null | undefined): string | null => (v === null || v === undefined ? null : floatText(v));
    if (patch.serverUrl !== undefined) sets.push('server_url = ?'), values.push(patch.serverUrl);
    if (patch.dbFile !== undefined) sets.push('db_file = ?'), values.push(patch.dbFile);
    if (patch.started !== undefined) sets.push('started = ?'), values.push(time(patch.started));
    if (patch.updated !== undefined) sets.push('updated = ?'), values.push(time(patch.updated));
    if (patch.stopped !== undefined) sets.push('stopped = ?'), values.push(time(patch.stopped));
    if (patch.result !== undefined) sets.push('result = ?'), values.push(String(Math.trunc(patch.result)));
    if (sets.length === 0) return;
    const stmt = this.statement(`UPDATE ChildEntry SET ${sets.join(', ')} WHERE db_uid = ?`);
    if (!stmt) return this.lost(1);
    this.queue(() => stmt.run(...values, uidx));
  }

  addAttempt(a: NewAttempt): number {
    const uid = this.nextAttemptUid++;
    const firstUid = this.nextMsgUid;
    const started = a.started ?? Date.now() / 1000;
    this.queue(() => this.insertAttempt.run(uid, a.attempt, started, firstUid));
    return uid;
  }

  updateAttempt(attemptUid: number, patch: AttemptPatch): void {
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, column] of [
      ['stopped', 'stopped'],
      ['exit', 'exit'],
      ['result', 'result'],
      ['reason', 'reason'],
      ['lastUid', 'last_uid'],
    ] as const) {
      const v = patch[key];
      if (v !== undefined) sets.push(`${column} = ?`), values.push(v);
    }
    if (patch.lastUid === undefined && patch.stopped !== undefined && patch.stopped !== null) {
      sets.push('last_uid = ?');
      values.push(this.nextMsgUid - 1);
    }
    if (sets.length === 0) return;
    const stmt = this.statement(`UPDATE GatorAttempt SET ${sets.join(', ')} WHERE db_uid = ?`);
    if (!stmt) return this.lost(1);
    this.queue(() => stmt.run(...values, attemptUid));
  }

  addNotice(n: NewNotice): void {
    const stmt = this.statement('INSERT INTO GatorNotice (timestamp, kind, path, message) VALUES (?, ?, ?, ?)');
    if (!stmt) return this.lost(1);
    const timestamp = n.timestamp ?? Date.now() / 1000;
    this.queue(() => stmt.run(timestamp, n.kind, n.path ?? '', n.message));
  }

  openRawLog(pid: number): RawLog {
    const file = rawLogFile(this.dir, Math.trunc(pid));
    const raw = new StoreRawLog(this, file, openAppend(file, 'the raw job log'));
    this.rawLogs.add(raw);
    return raw;
  }

  /** @internal */
  rawLogFailed(raw: StoreRawLog, err: unknown): void {
    this.rawLogs.delete(raw);
    this.fail(databaseError('GATOR_DB_WRITE', raw.file, 'the raw job log', err));
  }
  /** @internal */
  rawLogClosed(raw: StoreRawLog): void {
    this.rawLogs.delete(raw);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pendingRows > 0) {
      let stored = false;
      let error: DatabaseError | undefined;
      if (this.db && !this.dbBroken) {
        try {
          this.commitBatch();
          stored = true;
        } catch (err) {
          // The transaction rolled back; later rows are only counted (see README).
          this.dbBroken = true;
          error = databaseError('GATOR_DB_WRITE', this.dbFile, 'the layer database', err);
        }
      }
      const rows = this.pendingRows;
      this.msgParams = [];
      this.ops = [];
      this.pendingMetrics.clear();
      this.pendingRows = 0;
      if (!stored) this.lost(rows);
      // Reported once the state is consistent: a listener may call flush() or close().
      if (error) this.fail(error);
    }
    this.writeLogBuffer();
    for (const raw of this.rawLogs) raw.drain();
    const waiters = this.waiters;
    if (waiters.length > 0) {
      this.waiters = [];
      const failure = this.dbBroken ? this._failure : undefined;
      for (const w of waiters) failure ? w.reject(failure) : w.resolve();
    }
  }

  durable(): Promise<void> {
    if (this.dbBroken && this._failure) return Promise.reject(this._failure);
    if (this.pendingRows === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.flushSoon();
    });
  }

  /**
   * Commit on demand, not on the batch timer: one commit at the end of this turn of the
   * event loop serves every `durable()` asked in it (the requests read from the sockets
   * together), so an acknowledged message waits for a commit, never for the 100 ms batch.
   */
  private flushSoon(): void {
    if (this.immediate || this._closed) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      if (this.waiters.length > 0) this.flush();
    });
  }

  close(): void {
    if (this._closed) return;
    this.flush();
    this._closed = true;
    openStores.delete(this);
    for (const raw of [...this.rawLogs]) raw.close();
    const db = this.db;
    this.db = undefined;
    if (db) {
      try {
        if (!this.dbBroken) {
          // Leave a plain rollback-journal file behind, like Python's, so any reader
          // (even one that cannot create -shm) opens it. Best-effort: a reader holding
          // it open keeps it in WAL mode, which is still a valid file.
          // The checkpoint makes the data durable in the main file (synced); flipping the
          // header to rollback mode after it is not synced: either header is a valid
          // database holding all the data, and each skipped sync costs ms per job.
          // (One exec, as at the open.)
          db.exec('PRAGMA busy_timeout = 0; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous = OFF; PRAGMA journal_mode = DELETE;');
        }
      } catch {
        // the data is committed; only the journal mode could not be switched
      }
      try {
        db.close();
      } catch (err) {
        this.fail(databaseError('GATOR_DB_WRITE', this.dbFile, 'the layer database', err));
      }
    }
    if (this.logFd !== undefined) {
      try {
        fs.closeSync(this.logFd);
      } catch (err) {
        this.fail(databaseError('GATOR_DB_WRITE', this.logFile, 'the message log', err));
      }
      this.logFd = undefined;
    }
  }

  private writeBatch(): void {
    const params = this.msgParams;
    const per = MESSAGE_CHUNK * MESSAGE_COLUMNS;
    let i = 0;
    if (params.length >= per) {
      const chunk = (this.insertMessageChunk ??= this.db!.prepare(
        `INSERT INTO LogEntry (db_uid, severity, message, timestamp) VALUES ${Array(MESSAGE_CHUNK).fill('(?, ?, ?, ?)').join(', ')}`,
      ));
      for (; i + per <= params.length; i += per) chunk.run(params.slice(i, i + per));
    }
    for (; i < params.length; i += MESSAGE_COLUMNS) this.insertMessage.run(params.slice(i, i + MESSAGE_COLUMNS));
    for (const op of this.ops) op();
    for (const m of this.pendingMetrics.values()) {
      const uid = this.metricUids.get(m.scope, m.name);
      if (uid !== undefined) this.updateMetric.run(m.value, uid);
      else this.metricUids.set(m.scope, m.name, this.insertMetric.run(m.scope, m.name, m.value).lastInsertRowid);
    }
  }

  private writeLogBuffer(): void {
    if (this.logBuffer.length === 0) return;
    const text = this.logBuffer;
    this.logBuffer = '';
    if (this.logBroken || this.logFd === undefined) return;
    try {
      writeAll(this.logFd, text);
    } catch (err) {
      this.logBroken = true;
      this.fail(databaseError('GATOR_DB_WRITE', this.logFile, 'the message log', err));
    }
  }

  /** Prepared once per distinct SQL (updates touch varying column sets). */
  private statement(sql: string): Database.Statement | undefined {
    let stmt = this.statements.get(sql);
    if (!stmt && this.db && !this.dbBroken) {
      try {
        stmt = this.db.prepare(sql);
        this.statements.set(sql, stmt);
      } catch (err) {
        this.dbBroken = true;
        this.fail(databaseError('GATOR_DB_WRITE', this.dbFile, 'the layer database', err));
      }
    }
    return stmt;
  }

  private queue(op: () => void): void {
    if (this.dbBroken || this._closed) return this.lost(1);
    this.ops.push(op);
    this.rowAdded();
  }

  private rowAdded(): void {
    if (++this.pendingRows >= this.batchSize) this.flush();
    else if (!this.timer) this.schedule();
  }

  private schedule(): void {
    if (this.timer || this._closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  private lost(rows: number): void {
    this._unstored += rows;
    if (this._closed && !this._failure) {
      this.fail(
        new DatabaseError('GATOR_DB_WRITE', this.dbFile, `Cannot write the layer database ${this.dbFile}: the store is already closed, so a row written after close() was not stored.`, {
          reason: 'CLOSED',
          hint: 'close the store only after the layer has recorded everything',
        }),
      );
    }
  }

  private misuse(method: string, why: string): void {
    this.lost(1);
    this.fail(
      new DatabaseError('GATOR_DB_WRITE', this.dbFile, `${method}() on a ${this.kind} store of ${this.dbFile}: ${why}; the row was not stored.`, {
        reason: 'EINVAL',
        hint: `open the store with kind '${this.kind === 'tier' ? 'wrapper' : 'tier'}'`,
      }),
    );
  }

  /** Records the first failure and reports it; never throws (an 'error' event without listeners would). */
  private fail(error: DatabaseError): void {
    if (this._failure) return;
    this._failure = error;
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

class StoreRawLog implements RawLog {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private fd: number | undefined;

  constructor(
    private readonly store: SqliteLayerStore,
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  write(chunk: Buffer | string): void {
    if (this.fd === undefined) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (buf.length === 0) return;
    this.chunks.push(buf);
    this.bytes += buf.length;
    if (this.bytes >= RAW_BUFFER_LIMIT) this.drain();
  }

  /** Writes what is buffered (called with every store commit). */
  drain(): void {
    if (this.fd === undefined || this.bytes === 0) return;
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    this.bytes = 0;
    try {
      writeAll(this.fd, data);
    } catch (err) {
      const fd = this.fd;
      this.fd = undefined;
      try {
        fs.closeSync(fd);
      } catch {
        // reporting the write failure below
      }
      this.store.rawLogFailed(this, err);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    this.drain();
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.store.rawLogClosed(this);
    try {
      fs.closeSync(fd);
    } catch (err) {
      this.store.rawLogFailed(this, err);
    }
  }
}

/** Opens (creating) a layer's tracking files. Throws DatabaseError (GATOR_DB_WRITE) when they cannot be written. */
export function openLayerStore(options: LayerStoreOptions): LayerStore {
  return new SqliteLayerStore(options);
}

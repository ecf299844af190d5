import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { floatText, openLayerStore } from '../src/index.js';
import { mode, tempDir } from './helpers.js';

// storage.md §2, verbatim.
const PYTHON = {
  Metric: 'CREATE TABLE Metric (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT, name TEXT, value INTEGER)',
  Attribute: 'CREATE TABLE Attribute (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, value TEXT)',
  LogEntry: 'CREATE TABLE LogEntry (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, severity TEXT, message TEXT, timestamp INTEGER)',
  ProcStat:
    'CREATE TABLE ProcStat (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, nproc INTEGER, cpu INTEGER, mem INTEGER, vmem INTEGER, timestamp INTEGER)',
  ChildEntry:
    'CREATE TABLE ChildEntry (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, ident TEXT, server_url TEXT, db_file TEXT, started TEXT, updated TEXT, stopped TEXT, result TEXT, expected_children INTEGER)',
};
const ATTEMPT =
  'CREATE TABLE GatorAttempt (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, attempt INTEGER, started REAL, stopped REAL, exit INTEGER, result INTEGER, reason TEXT, first_uid INTEGER, last_uid INTEGER)';
const NOTICE = 'CREATE TABLE GatorNotice (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, kind TEXT, path TEXT, message TEXT)';

function schemaOf(file: string): { type: string; name: string; sql: string | null }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY rowid').all() as never;
  } finally {
    db.close();
  }
}

describe('schema', () => {
  test('a wrapper store has exactly Python’s tables (creation order too) plus GatorAttempt and GatorNotice', () => {
    const dir = tempDir();
    openLayerStore({ dir, kind: 'wrapper' }).close();
    expect(schemaOf(path.join(dir, 'db.sqlite'))).toEqual([
      { type: 'table', name: 'Metric', sql: PYTHON.Metric },
      { type: 'table', name: 'sqlite_sequence', sql: 'CREATE TABLE sqlite_sequence(name,seq)' },
      { type: 'table', name: 'Attribute', sql: PYTHON.Attribute },
      { type: 'table', name: 'LogEntry', sql: PYTHON.LogEntry },
      { type: 'table', name: 'ProcStat', sql: PYTHON.ProcStat },
      { type: 'table', name: 'GatorAttempt', sql: ATTEMPT },
      { type: 'table', name: 'GatorNotice', sql: NOTICE },
    ]);
  });

  test('a tier store has ChildEntry instead of ProcStat', () => {
    const dir = tempDir();
    openLayerStore({ dir, kind: 'tier' }).close();
    const names = schemaOf(path.join(dir, 'db.sqlite')).map((r) => r.name);
    expect(names).toEqual(['Metric', 'sqlite_sequence', 'Attribute', 'LogEntry', 'ChildEntry', 'GatorAttempt', 'GatorNotice']);
    expect(schemaOf(path.join(dir, 'db.sqlite')).find((r) => r.name === 'ChildEntry')?.sql).toBe(PYTHON.ChildEntry);
  });

  test('reopening an existing store keeps the schema and continues the uids', () => {
    const dir = tempDir();
    const a = openLayerStore({ dir, kind: 'tier' });
    expect(a.addMessage({ severity: 20, message: 'one' })).toBe(1);
    expect(a.addChild({ ident: 'c', dbFile: '/x/db.sqlite', expectedChildren: 0 })).toBe(1);
    a.close();
    const b = openLayerStore({ dir, kind: 'tier' });
    expect(b.addMessage({ severity: 20, message: 'two' })).toBe(2);
    expect(b.addChild({ ident: 'd', dbFile: '/y/db.sqlite', expectedChildren: 0 })).toBe(2);
    b.close();
    expect(schemaOf(path.join(dir, 'db.sqlite')).filter((r) => r.name === 'LogEntry')).toHaveLength(1);
  });

  test('stored value types are Python Gator’s (typeof)', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.addMessage({ severity: 40, message: 'boom', timestamp: 1732481122.9654 });
    store.addMessage({ severity: 20, message: 'api int timestamp', timestamp: 1732481122 });
    store.setAttribute('exit', 255);
    store.setAttribute('req_memory', 1500.5);
    store.setAttribute('started', floatText(1732481122.54246));
    store.setMetric('_OWN_', 'msg_error', 1);
    store.addProcStat({ nproc: 2, cpu: 187.5, mem: 8622080, vmem: 123456789, timestamp: 1732481123.25 });
    store.addProcStat({ nproc: 1, cpu: 0, mem: 4096, vmem: 8192, timestamp: 1732481124.5 });
    store.close();
    const tier = tempDir();
    const ts = openLayerStore({ dir: tier, kind: 'tier' });
    const uidx = ts.addChild({ ident: 'kid', dbFile: '/abs/kid/db.sqlite', expectedChildren: 0 });
    ts.addChild({ ident: 'pruned', dbFile: '/abs/pruned/db.sqlite', expectedChildren: 3 });
    ts.updateChild(uidx, { serverUrl: '127.0.0.1:4000', started: 1732481122.54246, updated: 1732481123, result: 1 });
    ts.close();

    const db = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
    expect(db.prepare('SELECT severity, typeof(severity) s, timestamp, typeof(timestamp) t FROM LogEntry ORDER BY db_uid').all()).toEqual([
      { severity: '40', s: 'text', timestamp: 1732481122.9654, t: 'real' },
      { severity: '20', s: 'text', timestamp: 1732481122, t: 'integer' },
    ]);
    expect(db.prepare('SELECT name, value, typeof(value) v FROM Attribute ORDER BY db_uid').all()).toEqual([
      { name: 'exit', value: '255', v: 'text' },
      { name: 'req_memory', value: '1500.5', v: 'text' },
      { name: 'started', value: '1732481122.54246', v: 'text' },
    ]);
    expect(db.prepare('SELECT value, typeof(value) v FROM Metric').get()).toEqual({ value: 1, v: 'integer' });
    expect(
      db.prepare('SELECT typeof(nproc) n, typeof(cpu) c, typeof(mem) m, typeof(vmem) vm, typeof(timestamp) t FROM ProcStat ORDER BY db_uid').all(),
    ).toEqual([
      { n: 'integer', c: 'real', m: 'integer', vm: 'integer', t: 'real' },
      { n: 'integer', c: 'integer', m: 'integer', vm: 'integer', t: 'real' },
    ]);
    db.close();
    const tdb = new Database(path.join(tier, 'db.sqlite'), { readonly: true });
    expect(tdb.prepare('SELECT * FROM ChildEntry ORDER BY db_uid').all()).toEqual([
      {
        db_uid: 1,
        ident: 'kid',
        server_url: '127.0.0.1:4000',
        db_file: '/abs/kid/db.sqlite',
        started: '1732481122.54246',
        updated: '1732481123.0',
        stopped: null,
        result: '1',
        expected_children: 0,
      },
      {
        db_uid: 2,
        ident: 'pruned',
        server_url: '',
        db_file: '/abs/pruned/db.sqlite',
        started: null,
        updated: null,
        stopped: null,
        result: '0',
        expected_children: 3,
      },
    ]);
    expect(tdb.prepare('SELECT typeof(started) a, typeof(result) b, typeof(expected_children) c FROM ChildEntry WHERE db_uid = 1').get()).toEqual({
      a: 'text',
      b: 'text',
      c: 'integer',
    });
    tdb.close();
  });

  test('after close the file is back in rollback-journal mode, like Python’s', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.addMessage({ severity: 20, message: 'x' });
    store.close();
    const db = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
    expect(fs.existsSync(path.join(dir, 'db.sqlite-wal'))).toBe(false);
  });

  test('files are owner-only: dirs 0700, files 0600 (including -wal/-shm while open)', () => {
    const dir = path.join(tempDir(), 'a', 'b');
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.writeSpec('!Job\nident: x\n');
    store.addMessage({ severity: 20, message: 'x' });
    store.flush();
    const raw = store.openRawLog(1234);
    raw.write('out\n');
    raw.close();
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.dirname(dir))).toBe(0o700);
    for (const f of ['db.sqlite', 'db.sqlite-wal', 'db.sqlite-shm', 'messages.log', 'spec.yaml', 'raw_1234.log']) {
      expect([f, mode(path.join(dir, f))]).toEqual([f, 0o600]);
    }
    store.close();
  });

  test('floatText writes floats as Python’s str(float)', () => {
    expect(floatText(1732481122.54246)).toBe('1732481122.54246');
    expect(floatText(1732481122)).toBe('1732481122.0');
    expect(floatText(0)).toBe('0.0');
    expect(floatText(1500)).toBe('1500.0');
    expect(floatText(1e-7)).toBe('1e-07');
  });
});

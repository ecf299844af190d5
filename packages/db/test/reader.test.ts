import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { PYTHON_DDL, openLayerReader, openLayerStore } from '../src/index.js';
import { tempDir } from './helpers.js';

/** A store with 100 messages: uid i has severity [10..50][i % 5], timestamp 1000 + i, text `msg <i>`. */
function sampleDir(): string {
  const dir = tempDir();
  const store = openLayerStore({ dir, kind: 'wrapper' });
  for (let i = 1; i <= 100; i++) {
    store.addMessage({ severity: [10, 20, 30, 40, 50][i % 5], message: i % 10 === 0 ? `msg ${i} Needle` : `msg ${i}`, timestamp: 1000 + i });
  }
  store.close();
  return dir;
}

describe('LayerReader.messages', () => {
  test('all messages in uid order, as ApiMessage', () => {
    const reader = openLayerReader(sampleDir());
    const all = reader.messages();
    expect(all).toHaveLength(100);
    expect(all[0]).toEqual({ uid: 1, severity: 20, message: 'msg 1', timestamp: 1001 });
    expect(all.map((m) => m.uid)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    reader.close();
  });

  test('minSeverity, after+limit paging, order desc, before', () => {
    const reader = openLayerReader(sampleDir());
    expect(reader.messages({ minSeverity: 50 }).map((m) => m.uid)).toEqual([4, 9, 14, 19, 24, 29, 34, 39, 44, 49, 54, 59, 64, 69, 74, 79, 84, 89, 94, 99]);
    expect(reader.countMessages({ minSeverity: 40 })).toBe(40);
    expect(reader.countMessages({ minSeverity: 10 })).toBe(100);
    // Paging forward: each page starts after the last uid of the previous one.
    const pages: number[][] = [];
    let after = 0;
    for (;;) {
      const page = reader.messages({ after, limit: 30 });
      if (page.length === 0) break;
      pages.push(page.map((m) => m.uid));
      after = page[page.length - 1].uid;
    }
    expect(pages.map((p) => p.length)).toEqual([30, 30, 30, 10]);
    expect(pages.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(reader.messages({ order: 'desc', limit: 3 }).map((m) => m.uid)).toEqual([100, 99, 98]);
    expect(reader.messages({ order: 'desc', before: 50, limit: 2 }).map((m) => m.uid)).toEqual([49, 48]);
    expect(reader.messages({ limit: 0 })).toEqual([]);
    // countMessages ignores limit but honours after.
    expect(reader.countMessages({ after: 90, limit: 1 })).toBe(10);
    reader.close();
  });

  test('since/until and grep (substring and RegExp)', () => {
    const reader = openLayerReader(sampleDir());
    expect(reader.messages({ since: 1095 }).map((m) => m.uid)).toEqual([95, 96, 97, 98, 99, 100]);
    expect(reader.messages({ until: 1003 }).map((m) => m.uid)).toEqual([1, 2, 3]);
    expect(reader.messages({ since: 1010, until: 1012.5 }).map((m) => m.uid)).toEqual([10, 11, 12]);
    expect(reader.messages({ grep: 'Needle' }).map((m) => m.uid)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(reader.countMessages({ grep: 'needle' })).toBe(0); // substring is case-sensitive
    expect(reader.countMessages({ grep: /needle/i })).toBe(10);
    expect(reader.messages({ grep: /^msg 7\d$/g, minSeverity: 40 }).map((m) => m.uid)).toEqual([73, 74, 78, 79]);
    expect(reader.countMessages({ grep: /^msg 7\d$/g, minSeverity: 40 })).toBe(4);
    reader.close();
  });

  test('iterateMessages streams the same rows as messages()', () => {
    const reader = openLayerReader(sampleDir());
    for (const q of [{}, { minSeverity: 40, order: 'desc' as const, limit: 7 }, { grep: /Needle/ }, { limit: 0 }]) {
      expect([...reader.iterateMessages(q)]).toEqual(reader.messages(q));
    }
    reader.close();
  });

  test('accepts the db file path as well as the directory', () => {
    const dir = sampleDir();
    const reader = openLayerReader(path.join(dir, 'db.sqlite'));
    expect(reader.dir).toBe(dir);
    expect(reader.dbFile).toBe(path.join(dir, 'db.sqlite'));
    expect(reader.countMessages()).toBe(100);
    reader.close();
  });

  test('reads a live store (WAL) while it is being written', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper', flushIntervalMs: 60_000 });
    store.addMessage({ severity: 20, message: 'one' });
    store.flush();
    const reader = openLayerReader(dir);
    expect(reader.countMessages()).toBe(1);
    store.addMessage({ severity: 20, message: 'two' });
    expect(reader.countMessages()).toBe(1);
    store.flush();
    expect(reader.messages().map((m) => m.message)).toEqual(['one', 'two']);
    // A reader holding the file open keeps it in WAL mode at close, which stays readable.
    store.close();
    expect(reader.countMessages()).toBe(2);
    reader.close();
    const again = openLayerReader(dir);
    expect(again.countMessages()).toBe(2);
    again.close();
  });
});

describe('Python Gator files', () => {
  /** A tier and a wrapper database exactly as Python Gator leaves them (storage.md §2). */
  function pythonTree(): string {
    const root = tempDir();
    const job = path.join(root, 'compile');
    fs.mkdirSync(job);
    const tier = new Database(path.join(root, 'db.sqlite'));
    tier.exec(`${PYTHON_DDL.Metric}; ${PYTHON_DDL.Attribute}; ${PYTHON_DDL.LogEntry}; ${PYTHON_DDL.ChildEntry};`);
    const attr = tier.prepare('INSERT INTO Attribute (name, value) VALUES (?, ?)');
    for (const [k, v] of [['ident', 'nightly'], ['uidx', '0'], ['root', '0'], ['path', ''], ['started', '1732481120.123'], ['stopped', '1732481130.5'], ['result', '2']]) attr.run(k, v);
    tier.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)').run('20', 'Launching compile', 1732481121.25);
    tier.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)').run('40', 'compile failed', 1732481129.75);
    tier
      .prepare('INSERT INTO ChildEntry (ident, server_url, db_file, started, updated, stopped, result, expected_children) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run('compile', '10.0.0.1:41234', path.join(job, 'db.sqlite'), '1732481122.54246', '1732481129.0', '1732481129.5', '2', 0);
    tier
      .prepare('INSERT INTO ChildEntry (ident, server_url, db_file, started, updated, stopped, result, expected_children) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run('pruned', '', path.join(root, 'pruned', 'db.sqlite'), null, null, null, '3', 0);
    const metric = tier.prepare('INSERT INTO Metric (scope, name, value) VALUES (?, ?, ?)');
    metric.run('_GROUP_', 'sub_total', 2);
    metric.run('_GROUP_', 'msg_error', 1);
    metric.run('compile', 'msg_error', 1);
    tier.close();

    const w = new Database(path.join(job, 'db.sqlite'));
    w.exec(`${PYTHON_DDL.Metric}; ${PYTHON_DDL.Attribute}; ${PYTHON_DDL.LogEntry}; ${PYTHON_DDL.ProcStat};`);
    w.prepare('INSERT INTO Attribute (name, value) VALUES (?, ?)').run('ident', 'compile');
    w.prepare('INSERT INTO Attribute (name, value) VALUES (?, ?)').run('exit', '1');
    w.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)').run('20', 'compiling', 1732481122.9654);
    w.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)').run('30', 'job api int timestamp', 1732481123);
    w.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)').run('40', 'error: undefined symbol', 1732481128.5);
    w.prepare('INSERT INTO ProcStat (nproc, cpu, mem, vmem, timestamp) VALUES (?, ?, ?, ?, ?)').run(1, 0, 8622080, 20000000, 1732481122.6);
    w.prepare('INSERT INTO ProcStat (nproc, cpu, mem, vmem, timestamp) VALUES (?, ?, ?, ?, ?)').run(3, 187.5, 9000000, 30000000, 1732481127.6);
    w.prepare('INSERT INTO Metric (scope, name, value) VALUES (?, ?, ?)').run('_OWN_', 'msg_error', 1);
    w.close();
    return root;
  }

  test('the tier file: attributes, messages (severity text → int), children (text times → numbers), metrics', () => {
    const root = pythonTree();
    const reader = openLayerReader(root);
    const types = new Database(path.join(root, 'db.sqlite'), { readonly: true });
    expect(types.prepare('SELECT typeof(severity) s, typeof(timestamp) t FROM LogEntry LIMIT 1').get()).toEqual({ s: 'text', t: 'real' });
    types.close();
    expect(reader.kind).toBe('tier');
    expect(reader.attributes()).toMatchObject({ ident: 'nightly', path: '', result: '2' });
    expect(reader.messages()).toEqual([
      { uid: 1, severity: 20, message: 'Launching compile', timestamp: 1732481121.25 },
      { uid: 2, severity: 40, message: 'compile failed', timestamp: 1732481129.75 },
    ]);
    expect(reader.messages({ minSeverity: 30 }).map((m) => m.uid)).toEqual([2]);
    expect(reader.children()).toEqual([
      {
        uidx: 1,
        ident: 'compile',
        serverUrl: '10.0.0.1:41234',
        dbFile: path.join(root, 'compile', 'db.sqlite'),
        started: 1732481122.54246,
        updated: 1732481129,
        stopped: 1732481129.5,
        result: 2,
        expectedChildren: 0,
      },
      { uidx: 2, ident: 'pruned', serverUrl: '', dbFile: path.join(root, 'pruned', 'db.sqlite'), started: null, updated: null, stopped: null, result: 3, expectedChildren: 0 },
    ]);
    // One row by ident (what `gator history` reads of each tier), the same as in the list.
    expect(reader.child('pruned')).toEqual(reader.children()[1]);
    expect(reader.child('nosuch')).toBeUndefined();
    expect(reader.metrics()).toEqual({ sub_total: 2, msg_error: 1 });
    expect(reader.metrics('compile')).toEqual({ msg_error: 1 });
    expect(reader.metricRows()).toHaveLength(3);
    // No GatorAttempt table in Python files.
    expect(reader.attempts()).toEqual([]);
    expect(reader.messages({ attempt: 1 })).toEqual([]);
    expect(reader.procStats()).toEqual([]);
    reader.close();
  });

  test('the wrapper file: integer and REAL timestamps, proc stats', () => {
    const root = pythonTree();
    const reader = openLayerReader(path.join(root, 'compile'));
    expect(reader.kind).toBe('wrapper');
    expect(reader.messages({ since: 1732481123 }).map((m) => [m.severity, m.timestamp])).toEqual([
      [30, 1732481123],
      [40, 1732481128.5],
    ]);
    expect(reader.procStats()).toEqual([
      { nproc: 1, cpu: 0, mem: 8622080, vmem: 20000000, timestamp: 1732481122.6 },
      { nproc: 3, cpu: 187.5, mem: 9000000, vmem: 30000000, timestamp: 1732481127.6 },
    ]);
    expect(reader.children()).toEqual([]);
    expect(reader.child('compile')).toBeUndefined();
    expect(reader.attribute('exit')).toBe('1');
    expect(reader.attribute('missing')).toBeUndefined();
    reader.close();
  });

  test('our store can append to a Python file without changing its schema', () => {
    const root = pythonTree();
    const store = openLayerStore({ dir: path.join(root, 'compile'), kind: 'wrapper' });
    expect(store.addMessage({ severity: 20, message: 'appended' })).toBe(4);
    store.close();
    const reader = openLayerReader(path.join(root, 'compile'));
    expect(reader.messages({ after: 3 })).toMatchObject([{ uid: 4, message: 'appended', severity: 20 }]);
    reader.close();
  });
});


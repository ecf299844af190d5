import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { openLayerReader, openLayerStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Rows of LogEntry as another process sees them (a separate SQLite connection and process). */
function countFromOtherProcess(dbFile: string): number {
  const script =
    "const D=require('better-sqlite3');const db=new D(process.argv[1],{readonly:true});" +
    "process.stdout.write(String(db.prepare('SELECT count(*) n FROM LogEntry').get().n));db.close();";
  return Number(execFileSync(process.execPath, ['-e', script, dbFile], { cwd: packageDir, encoding: 'utf8', timeout: 30_000 }));
}

describe('LayerStore', () => {
  test('100,000 messages are stored exactly, with their severities, uids and counts', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    const levels = [10, 20, 30, 40, 50];
    const uids: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      uids.push(store.addMessage({ severity: levels[i % 5], message: `message ${i}\twith\nnewline ✓`, timestamp: 1_700_000_000 + i / 1000 }));
    }
    expect(uids[0]).toBe(1);
    expect(uids[99_999]).toBe(100_000);
    expect(store.counts()).toEqual({ debug: 20_000, info: 20_000, warning: 20_000, error: 20_000, critical: 20_000 });
    store.close();
    expect(store.failure).toBeUndefined();
    expect(store.unstored).toBe(0);

    const db = new Database(store.dbFile, { readonly: true });
    expect(db.prepare('SELECT count(*) n, min(db_uid) lo, max(db_uid) hi FROM LogEntry').get()).toEqual({ n: 100_000, lo: 1, hi: 100_000 });
    expect(db.prepare('SELECT severity, count(*) n FROM LogEntry GROUP BY severity ORDER BY severity').all()).toEqual(
      levels.map((l) => ({ severity: String(l), n: 20_000 })),
    );
    const bad = db
      .prepare("SELECT count(*) n FROM LogEntry WHERE message != 'message ' || (db_uid - 1) || char(9) || 'with' || char(10) || 'newline ✓' OR CAST(severity AS INTEGER) != ((db_uid - 1) % 5 + 1) * 10")
      .get() as { n: number };
    expect(bad.n).toBe(0);
    db.close();
  });

  test('messages.log: header, then `[HH:MM:SS] [SEVERITY] text` with severity padded to 7', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'tier' });
    const ts = new Date(2025, 2, 1, 9, 5, 7).getTime() / 1000;
    store.addMessage({ severity: 20, message: 'hello', timestamp: ts });
    store.addMessage({ severity: 30, message: 'careful', timestamp: ts + 0.5 });
    store.addMessage({ severity: 50, message: 'two\nlines', timestamp: ts + 61 });
    store.addMessage({ severity: 10, message: 'from the job API', timestamp: ts + 61, logFile: false });
    store.addMessage({ severity: 40, message: 'bad', timestamp: ts + 3600 });
    store.close();
    const lines = fs.readFileSync(path.join(dir, 'messages.log'), 'utf8').split('\n');
    expect(lines[0]).toMatch(/^Log started at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(lines.slice(1)).toEqual([
      '[09:05:07] [INFO   ] hello',
      '[09:05:07] [WARNING] careful',
      '[09:06:08] [CRITICAL] two',
      'lines',
      '[10:05:07] [ERROR  ] bad',
      '',
    ]);
    // The message the log file leaves out is still in the database.
    const reader = openLayerReader(dir);
    expect(reader.countMessages()).toBe(5);
    reader.close();
    // Closed, not just flushed: the file is left in rollback-journal mode.
    const db = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });

  test('batches are committed while the layer runs: another process sees them before close()', async () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper', batchSize: 10, flushIntervalMs: 20 });
    for (let i = 0; i < 25; i++) store.addMessage({ severity: 20, message: `m${i}` });
    // Two full batches committed synchronously by count.
    expect(countFromOtherProcess(store.dbFile)).toBe(20);
    // The rest by the timer.
    await store.durable();
    expect(countFromOtherProcess(store.dbFile)).toBe(25);
    // A second handle in this process sees the same.
    const other = new Database(store.dbFile, { readonly: true });
    expect((other.prepare('SELECT count(*) n FROM LogEntry').get() as { n: number }).n).toBe(25);
    other.close();
    store.close();
  });

  test('the timer commits a lone row without flush()', async () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper', flushIntervalMs: 10 });
    store.setAttribute('ident', 'job');
    const reader = openLayerReader(dir);
    const deadline = Date.now() + 20_000;
    while (reader.attribute('ident') === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(reader.attribute('ident')).toBe('job');
    reader.close();
    store.close();
  });

  test('durable() commits on demand (not on the batch timer) and resolves once the rows are committed; at once when nothing is pending', async () => {
    const dir = tempDir();
    // A batch timer that never fires within the test: only the on-demand commit can resolve durable().
    const store = openLayerStore({ dir, kind: 'wrapper', flushIntervalMs: 600_000 });
    await store.durable();
    const uid = store.addMessage({ severity: 40, message: 'ack me' });
    const reader = openLayerReader(dir);
    expect(reader.countMessages()).toBe(0);
    // Asked together (requests read from a socket in one turn): both resolve with the rows committed.
    const first = store.durable().then(() => reader.messages({ after: uid - 1 }));
    const second = store.addMessage({ severity: 20, message: 'and me' });
    const both = store.durable().then(() => reader.messages({ after: second - 1 }));
    expect((await first).map((m) => m.message)).toEqual(['ack me', 'and me']);
    expect((await both).map((m) => m.message)).toEqual(['and me']);
    // Posted rows (no durable()) still wait for the batch.
    store.addMessage({ severity: 20, message: 'batched' });
    await new Promise((r) => setTimeout(r, 50));
    expect(reader.countMessages()).toBe(2);
    reader.close();
    store.close();
  });

  test('attributes append (last wins), metrics upsert in place', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'tier', flushIntervalMs: 60_000 });
    store.setAttribute('ident', 'top');
    store.setAttribute('result', 0);
    store.setMetrics('_OWN_', { sub_total: 2, msg_error: 0 });
    store.flush();
    store.setMetric('_OWN_', 'msg_error', 3);
    store.setMetric('_OWN_', 'msg_error', 4);
    store.setMetrics('_GROUP_', { sub_total: 5 });
    store.setAttribute('result', 1);
    store.close();
    const db = new Database(store.dbFile, { readonly: true });
    expect(db.prepare('SELECT db_uid, scope, name, value FROM Metric ORDER BY db_uid').all()).toEqual([
      { db_uid: 1, scope: '_OWN_', name: 'sub_total', value: 2 },
      { db_uid: 2, scope: '_OWN_', name: 'msg_error', value: 4 },
      { db_uid: 3, scope: '_GROUP_', name: 'sub_total', value: 5 },
    ]);
    expect(db.prepare('SELECT name, value FROM Attribute ORDER BY db_uid').all()).toEqual([
      { name: 'ident', value: 'top' },
      { name: 'result', value: '0' },
      { name: 'result', value: '1' },
    ]);
    db.close();
    const reader = openLayerReader(dir);
    expect(reader.attributes()).toEqual({ ident: 'top', result: '1' });
    expect(reader.metrics('_OWN_')).toEqual({ sub_total: 2, msg_error: 4 });
    expect(reader.metrics()).toEqual({ sub_total: 5 });
    reader.close();
  });


  test('metrics of many scopes: each row updated in place, whatever order the names and scopes come in', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'tier', flushIntervalMs: 60_000 });
    // Children whose rows run on by one, one out of the names' order, one that gains a name later.
    for (const id of ['a', 'b', 'c']) store.setMetrics(id, { sub_total: 1, sub_passed: 0, msg_error: 0 });
    store.setMetrics('d', { msg_error: 1, sub_total: 1 });
    store.flush();
    store.setMetrics('b', { sub_total: 1, sub_passed: 1, msg_error: 2, own: 7 });
    store.setMetrics('a', { sub_passed: 1 });
    store.setMetrics('d', { sub_passed: 1, msg_error: 3 });
    store.close();
    // A reopened store finds the rows it must update.
    const again = openLayerStore({ dir, kind: 'tier', flushIntervalMs: 60_000 });
    again.setMetrics('c', { msg_error: 5, own: 1 });
    again.setMetrics('a', { sub_total: 9 });
    again.close();
    const db = new Database(store.dbFile, { readonly: true });
    const rows = db.prepare('SELECT scope, name, value FROM Metric ORDER BY scope, name').all() as { scope: string; name: string; value: number }[];
    db.close();
    const got = Object.fromEntries(rows.map((r) => [`${r.scope}.${r.name}`, r.value]));
    expect(rows.length).toBe(Object.keys(got).length);
    expect(got).toEqual({
      'a.msg_error': 0, 'a.sub_passed': 1, 'a.sub_total': 9,
      'b.msg_error': 2, 'b.own': 7, 'b.sub_passed': 1, 'b.sub_total': 1,
      'c.msg_error': 5, 'c.own': 1, 'c.sub_passed': 0, 'c.sub_total': 1,
      'd.msg_error': 3, 'd.sub_passed': 1, 'd.sub_total': 1,
    });
  });
  test('children: uidx known at once, updates applied in order even within one batch', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'tier', flushIntervalMs: 60_000 });
    const a = store.addChild({ ident: 'a', dbFile: path.join(dir, 'a', 'db.sqlite'), expectedChildren: 0 });
    const b = store.addChild({ ident: 'b', dbFile: path.join(dir, 'b', 'db.sqlite'), expectedChildren: 2 });
    expect([a, b]).toEqual([1, 2]);
    store.updateChild(a, { serverUrl: 'h:1', started: 10.5, updated: 10.5 });
    store.updateChild(a, { updated: 11.25, result: 2 });
    store.updateChild(a, { stopped: 12, updated: 12, result: 1 });
    store.updateChild(b, { result: 3 });
    store.close();
    const reader = openLayerReader(dir);
    expect(reader.kind).toBe('tier');
    expect(reader.children()).toEqual([
      { uidx: 1, ident: 'a', serverUrl: 'h:1', dbFile: path.join(dir, 'a', 'db.sqlite'), started: 10.5, updated: 12, stopped: 12, result: 1, expectedChildren: 0 },
      { uidx: 2, ident: 'b', serverUrl: '', dbFile: path.join(dir, 'b', 'db.sqlite'), started: null, updated: null, stopped: null, result: 3, expectedChildren: 2 },
    ]);
    reader.close();
  });

  test('proc stats round-trip', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.addProcStat({ nproc: 3, cpu: 12.5, mem: 1000, vmem: 2000, timestamp: 100.5 });
    store.addProcStat({ nproc: 1, cpu: 0, mem: 10, vmem: 20, timestamp: 101 });
    store.close();
    const reader = openLayerReader(store.dbFile);
    expect(reader.kind).toBe('wrapper');
    expect(reader.procStats()).toEqual([
      { nproc: 3, cpu: 12.5, mem: 1000, vmem: 2000, timestamp: 100.5 },
      { nproc: 1, cpu: 0, mem: 10, vmem: 20, timestamp: 101 },
    ]);
    expect(reader.children()).toEqual([]);
    reader.close();
  });

  test('proc stats of a long series come bucketed: CPU averaged, memory at its peak', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    // 10 samples, memory peaking at sample 7.
    for (let i = 0; i < 10; i++) store.addProcStat({ nproc: 1 + (i % 2), cpu: i * 10, mem: i === 7 ? 5000 : 100 + i, vmem: 200, timestamp: 1000 + i });
    store.close();
    const reader = openLayerReader(store.dbFile);
    expect(reader.procStats({ maxPoints: 20 })).toHaveLength(10);
    const buckets = reader.procStats({ maxPoints: 4 });
    // ceil(10 / 4) = 3 samples a bucket: [0,1,2] [3,4,5] [6,7,8] [9].
    expect(buckets).toEqual([
      { nproc: 2, cpu: 10, mem: 102, vmem: 200, timestamp: 1000 },
      { nproc: 2, cpu: 40, mem: 105, vmem: 200, timestamp: 1003 },
      { nproc: 2, cpu: 70, mem: 5000, vmem: 200, timestamp: 1006 },
      { nproc: 2, cpu: 90, mem: 109, vmem: 200, timestamp: 1009 },
    ]);
    reader.close();
  });

  test('attempts: uid ranges attribute messages to attempts', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.addMessage({ severity: 20, message: 'before any attempt' });
    const first = store.addAttempt({ attempt: 1, started: 100 });
    store.addMessage({ severity: 20, message: 'a1 m1' });
    store.addMessage({ severity: 40, message: 'a1 m2' });
    store.updateAttempt(first, { stopped: 110, exit: 1, result: 2, reason: 'exit code 1' });
    store.addMessage({ severity: 20, message: 'retrying' });
    const second = store.addAttempt({ attempt: 2, started: 111 });
    store.addMessage({ severity: 20, message: 'a2 m1' });
    const third = store.addAttempt({ attempt: 3, started: 120 });
    store.addMessage({ severity: 20, message: 'a3 m1' });
    store.close();
    expect([first, second, third]).toEqual([1, 2, 3]);
    const reader = openLayerReader(dir);
    expect(reader.attempts()).toEqual([
      { uid: 1, attempt: 1, started: 100, stopped: 110, exit: 1, result: 2, reason: 'exit code 1', firstUid: 2, lastUid: 3 },
      { uid: 2, attempt: 2, started: 111, stopped: null, exit: null, result: null, reason: null, firstUid: 5, lastUid: null },
      { uid: 3, attempt: 3, started: 120, stopped: null, exit: null, result: null, reason: null, firstUid: 6, lastUid: null },
    ]);
    expect(reader.messages({ attempt: 1 }).map((m) => m.message)).toEqual(['a1 m1', 'a1 m2']);
    // An attempt that never got `stopped` ends where the next begins; the last one runs to the end.
    expect(reader.messages({ attempt: 2 }).map((m) => m.message)).toEqual(['a2 m1']);
    expect(reader.messages({ attempt: 3 }).map((m) => m.message)).toEqual(['a3 m1']);
    expect(reader.countMessages({ attempt: 1, minSeverity: 40 })).toBe(1);
    expect(reader.messages({ attempt: 9 })).toEqual([]);
    reader.close();
  });

  test('a reopened store numbers on from its rows, also after a crash left them in the WAL', () => {
    const dir = tempDir();
    // A wrapper killed after its first commit: the rows are in db.sqlite-wal only.
    const script =
      "import('@gator/db').then(({ openLayerStore }) => { const s = openLayerStore({ dir: process.argv[1], kind: 'tier' });" +
      "s.addMessage({ severity: 20, message: 'm1' }); s.addMessage({ severity: 20, message: 'm2' }); s.addAttempt({ attempt: 1 });" +
      "s.addChild({ ident: 'a', dbFile: 'a/db.sqlite', expectedChildren: 1 }); s.flush(); process.kill(process.pid, 'SIGKILL'); })";
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script, dir], { cwd: packageDir, timeout: 30_000, stdio: 'ignore' });
    } catch {
      // killed, as meant
    }
    const again = openLayerStore({ dir, kind: 'tier' });
    expect(again.addMessage({ severity: 20, message: 'm3' })).toBe(3);
    expect(again.addAttempt({ attempt: 2 })).toBe(2);
    expect(again.addChild({ ident: 'b', dbFile: 'b/db.sqlite', expectedChildren: 1 })).toBe(2);
    again.close();
    const db = new Database(again.dbFile, { readonly: true });
    expect(db.prepare('SELECT db_uid, message FROM LogEntry ORDER BY db_uid').all()).toEqual([
      { db_uid: 1, message: 'm1' },
      { db_uid: 2, message: 'm2' },
      { db_uid: 3, message: 'm3' },
    ]);
    expect(db.prepare('SELECT ident FROM ChildEntry ORDER BY db_uid').pluck().all()).toEqual(['a', 'b']);
    db.close();
  });

  test('raw logs keep the bytes exactly, in arrival order', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    const raw = store.openRawLog(4242);
    expect(raw.file).toBe(path.join(dir, 'raw_4242.log'));
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0xc3]);
    raw.write('stdout line\n');
    raw.write(bytes);
    raw.write(Buffer.alloc(300 * 1024, 0x61)); // beyond the buffer limit
    raw.write('stderr ✓\n');
    store.flush();
    raw.write('tail');
    store.close(); // closes the raw log too
    raw.write('after close is ignored');
    const got = fs.readFileSync(raw.file);
    expect(got.equals(Buffer.concat([Buffer.from('stdout line\n'), bytes, Buffer.alloc(300 * 1024, 0x61), Buffer.from('stderr ✓\ntail')]))).toBe(true);
  });

  test('writeSpec writes spec.yaml', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.writeSpec('!Job\nident: hello\n');
    store.close();
    expect(fs.readFileSync(path.join(dir, 'spec.yaml'), 'utf8')).toBe('!Job\nident: hello\n');
  });

  test('close() is idempotent; writes after close are counted, reported, never thrown', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.addMessage({ severity: 20, message: 'kept' });
    store.close();
    store.close();
    expect(store.closed).toBe(true);
    const errors: unknown[] = [];
    store.on('error', (e) => errors.push(e));
    expect(store.addMessage({ severity: 40, message: 'late' })).toBe(2);
    store.setMetric('_OWN_', 'x', 1);
    expect(store.counts().error).toBe(1);
    expect(store.unstored).toBe(2);
    expect(store.failure?.code).toBe('GATOR_DB_WRITE');
    expect(store.failure?.message).toContain('closed');
    expect(errors).toHaveLength(1);
  });

  test('odd input is normalised, not thrown: unknown levels kept, NaN level → INFO, bad timestamp → now', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.addMessage({ severity: 25, message: 'between info and warning' });
    store.addMessage({ severity: Number.NaN, message: 'no level' });
    store.addMessage({ severity: 40, message: 12345 as unknown as string, timestamp: Number.POSITIVE_INFINITY });
    expect(store.counts()).toEqual({ debug: 0, info: 2, warning: 0, error: 1, critical: 0 });
    store.close();
    const reader = openLayerReader(dir);
    const got = reader.messages();
    expect(got.map((m) => [m.severity, m.message])).toEqual([
      [25, 'between info and warning'],
      [20, 'no level'],
      [40, '12345'],
    ]);
    expect(Number.isFinite(got[2].timestamp) && got[2].timestamp > 1_600_000_000).toBe(true);
    reader.close();
    expect(fs.readFileSync(path.join(dir, 'messages.log'), 'utf8')).toContain('] [INFO   ] between info and warning\n');
  });

  test('kind misuse (ChildEntry on a wrapper) is reported, not thrown', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    store.addChild({ ident: 'x', dbFile: '/x', expectedChildren: 0 });
    expect(store.failure?.message).toMatch(/addChild\(\) on a wrapper store/);
    store.close();
  });

  // A child process needs the built package (turbo builds it before `test`).
  const entry = path.join(packageDir, 'dist', 'index.js');
  test.skipIf(!fs.existsSync(entry))('a process that exits without close() still commits (exit hook)', () => {
    const dir = tempDir();
    const script = `import('${entry}').then(({openLayerStore}) => { const s = openLayerStore({dir: process.argv[1], kind: 'wrapper', flushIntervalMs: 60000}); for (let i = 0; i < 5; i++) s.addMessage({severity: 20, message: 'm' + i}); });`;
    execFileSync(process.execPath, ['-e', script, dir], { cwd: packageDir, timeout: 30_000 });
    const reader = openLayerReader(dir);
    expect(reader.countMessages()).toBe(5);
    reader.close();
    // Closed, not just flushed: the file is left in rollback-journal mode.
    const db = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });
});

// Throughput of LayerStore.addMessage against a raw better-sqlite3 batched insert of
// the same rows (target: >= 0.7x). Run: `npx tsup && node bench/throughput.mjs [rows]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MESSAGES_LOG_NAME, openLayerStore, PYTHON_DDL } from '../dist/index.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const line = (i) => `line ${i} of the job output: some typical text with a number ${i * 7}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-db-bench-'));

function raw() {
  const db = new Database(path.join(tmp, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(PYTHON_DDL.LogEntry);
  const stmt = db.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)');
  const insert = db.transaction((batch) => {
    for (const r of batch) stmt.run(r[0], r[1], r[2]);
  });
  const t0 = performance.now();
  let batch = [];
  for (let i = 0; i < rows; i++) {
    batch.push(['20', line(i), Date.now() / 1000]);
    if (batch.length === 2000) insert(batch), (batch = []);
  }
  insert(batch);
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

function store() {
  const s = openLayerStore({ dir: path.join(tmp, 'layer'), kind: 'wrapper' });
  const t0 = performance.now();
  for (let i = 0; i < rows; i++) s.addMessage({ severity: 20, message: line(i) });
  s.flush();
  const ms = performance.now() - t0;
  s.close();
  return ms;
}

try {
  const r = raw();
  const s = store();
  const out = {
    rows,
    rawMs: Math.round(r),
    storeMs: Math.round(s),
    storeRowsPerSec: Math.round(rows / (s / 1000)),
    ratio: +(r / s).toFixed(2),
    messagesLogBytes: fs.statSync(path.join(tmp, 'layer', MESSAGES_LOG_NAME)).size,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

// Throughput of the wrapper capturing a job's stdout (N lines) against a raw
// better-sqlite3 batched insert of the same rows (target: >= 0.7x).
// Run: `npx tsup && node bench/throughput.mjs [lines]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { runWrapper } from '../dist/index.js';

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname), '../../db/package.json'));
const Database = require('better-sqlite3');
const lines = Number(process.argv[2] ?? 1_000_000);
const line = (i) => `line ${i} of the job output: some typical text with a number ${i * 7}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-wrapper-bench-'));

function raw() {
  const db = new Database(path.join(tmp, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE LogEntry (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, severity TEXT, message TEXT, timestamp INTEGER)');
  const stmt = db.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)');
  const insert = db.transaction((batch) => {
    for (const r of batch) stmt.run(r[0], r[1], r[2]);
  });
  const t0 = performance.now();
  let batch = [];
  for (let i = 0; i < lines; i++) {
    batch.push(['20', line(i), Date.now() / 1000]);
    if (batch.length === 2000) insert(batch), (batch = []);
  }
  insert(batch);
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

async function wrapper() {
  // The job writes its output in one go, so the measure is the wrapper's capture, not the job.
  const script = `const l=(i)=>'line '+i+' of the job output: some typical text with a number '+(i*7);let b=[];for(let i=0;i<${lines};i++){b.push(l(i));if(b.length===10000){process.stdout.write(b.join('\\n')+'\\n');b=[]}}process.stdout.write(b.length?b.join('\\n')+'\\n':'')`;
  const t0 = performance.now();
  const outcome = await runWrapper({
    spec: { kind: 'job', ident: 'bench', env: {}, cwd: null, command: process.execPath, args: ['-e', script], resources: [], on_done: [], on_fail: [], on_pass: [] },
    ident: 'bench',
    tracking: path.join(tmp, 'job'),
  });
  const ms = performance.now() - t0;
  if (outcome.summary.metrics.msg_info !== lines) throw new Error(`expected ${lines} INFO messages, got ${outcome.summary.metrics.msg_info}`);
  return ms;
}

try {
  const r = raw();
  const w = await wrapper();
  process.stdout.write(`${JSON.stringify({ lines, rawMs: Math.round(r), wrapperMs: Math.round(w), linesPerSec: Math.round(lines / (w / 1000)), ratio: +(r / w).toFixed(2) })}\n`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

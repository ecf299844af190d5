/**
 * stdout capture: lines per second stored for one job printing N lines, against
 * a raw better-sqlite3 batched insert of the same rows (target ≥ 0.7×, 0 lost).
 *
 * The figure is the wrapper's own time span, from just before it starts the job
 * (GatorAttempt.started) to the end of the job (Attribute `stopped`, after the
 * last line was stored). The job runs as the only child of a !JobGroup, so its
 * wrapper is a child process, as for any job of a tree.
 */
import Database from 'better-sqlite3';
import { PYTHON_DDL } from '@gator/db';
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { Scratch, jobDatabase, nowMs, runGator } from '../measure.js';

/** The line the job prints and the baseline inserts, i-th. */
export function outputLine(i: number): string {
  return `line ${i} of the job output: some typical text with a number ${i * 7}`;
}

const JOB_SCRIPT = `
const count = Number(process.argv[2]);
const line = (i) => 'line ' + i + ' of the job output: some typical text with a number ' + i * 7;
let batch = [];
function pump() {
  for (let i = pump.next ?? 0; i < count; i++) {
    batch.push(line(i));
    if (batch.length === 10000) {
      const ok = process.stdout.write(batch.join('\\n') + '\\n');
      batch = [];
      if (!ok) { pump.next = i + 1; process.stdout.once('drain', pump); return; }
    }
  }
  if (batch.length) process.stdout.write(batch.join('\\n') + '\\n');
}
pump();
`;

/** Raw better-sqlite3: WAL, synchronous NORMAL, transactions of 2000 rows (what the wrapper's store does). */
export function rawInsert(file: string, rows: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(PYTHON_DDL.LogEntry);
  const stmt = db.prepare('INSERT INTO LogEntry (severity, message, timestamp) VALUES (?, ?, ?)');
  const insert = db.transaction((batch: [string, string, number][]) => {
    for (const r of batch) stmt.run(r[0], r[1], r[2]);
  });
  const t0 = nowMs();
  let batch: [string, string, number][] = [];
  for (let i = 0; i < rows; i++) {
    batch.push(['20', outputLine(i), Date.now() / 1000]);
    if (batch.length === 2000) {
      insert(batch);
      batch = [];
    }
  }
  insert(batch);
  const ms = nowMs() - t0;
  db.close();
  return ms;
}

/** Lines of the job found in the wrapper's database, in order; and its capture span in ms. */
export function readCapture(dbFile: string, expected: number, line: (i: number) => string): { stored: number; spanMs: number } {
  const db = new Database(dbFile, { readonly: true });
  try {
    let next = 0;
    for (const row of db.prepare("SELECT message FROM LogEntry WHERE severity = '20' ORDER BY db_uid").pluck().iterate() as Iterable<string>) {
      if (next < expected && row === line(next)) next++;
    }
    const started = db.prepare('SELECT started FROM GatorAttempt ORDER BY db_uid LIMIT 1').pluck().get() as number;
    const stopped = Number(db.prepare("SELECT value FROM Attribute WHERE name = 'stopped' ORDER BY db_uid DESC LIMIT 1").pluck().get());
    return { stored: next, spanMs: (stopped - started) * 1000 };
  } finally {
    db.close();
  }
}

export const stdoutCapture: BenchCase = {
  id: 'stdout',
  name: 'stdout capture',
  async run(ctx: BenchContext): Promise<Row[]> {
    const lines = ctx.size(1_000_000, 100_000);
    const scratch = new Scratch('stdout');
    try {
      ctx.progress(`stdout capture: raw better-sqlite3 insert of ${lines.toLocaleString('en-US')} rows`);
      const rawMs = rawInsert(scratch.path('raw.sqlite'), lines);
      const script = scratch.file('print-lines.cjs', JOB_SCRIPT);
      const spec = scratch.file(
        'stdout.yaml',
        `!JobGroup\nident: capture\njobs:\n  - !Job\n    ident: printer\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(script)}, "${lines}"]\n`,
      );
      ctx.progress(`stdout capture: gator run of a job printing ${lines.toLocaleString('en-US')} lines`);
      const tracking = scratch.path('run');
      const run = await runGator(spec, tracking, ['--quiet']);
      const { stored, spanMs } = readCapture(jobDatabase(tracking, 'printer'), lines, outputLine);
      const figure = lines / (spanMs / 1000);
      const baseline = lines / (rawMs / 1000);
      return [
        judge({
          case: 'stdout capture',
          figure: { value: figure, unit: 'lines/s' },
          baseline: { value: baseline, unit: 'lines/s' },
          ratio: figure / baseline,
          target: { kind: 'min', value: 0.7, of: 'ratio', text: '≥ 0.7×, 0 lost' },
          lost: lines - stored,
          details: { lines, stored, captureMs: Math.round(spanMs), rawMs: Math.round(rawMs), cliWallMs: Math.round(run.wallMs) },
        }),
      ];
    } finally {
      scratch.cleanup();
    }
  },
};

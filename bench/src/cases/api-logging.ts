/**
 * API logging: messages per second stored for one job posting N log messages
 * through the job API (@gator/wrapper/client), against a raw ws client posting
 * the same frames to a ws server that only counts them (target ≥ 0.5×, 0 lost).
 *
 * Both sides time the same thing, in the posting process: from the first post
 * until a final round trip proves every earlier frame was handled (for the job:
 * `close()`, which resolves once the wrapper has committed them all).
 */
import { WebSocketServer } from 'ws';
import Database from 'better-sqlite3';
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, Scratch, jobDatabase, run, runGator } from '../measure.js';

export function apiMessage(i: number): string {
  return `api message ${i} from the job: some typical text with a number ${i * 7}`;
}

const MESSAGE = "(i) => 'api message ' + i + ' from the job: some typical text with a number ' + i * 7";

function jobScript(clientUrl: string): string {
  return `
import { connectJobClient } from ${JSON.stringify(clientUrl)};
const count = Number(process.argv[2]);
const message = ${MESSAGE};
const gator = await connectJobClient();
const t0 = performance.now();
for (let i = 0; i < count; i++) gator.log(message(i), 'INFO');
await gator.close();
process.stdout.write('BENCH elapsed_ms=' + (performance.now() - t0) + '\\n');
`;
}

function rawClientScript(wsUrl: string): string {
  return `
import WebSocket from ${JSON.stringify(wsUrl)};
const [address, countText] = process.argv.slice(2);
const count = Number(countText);
const message = ${MESSAGE};
const socket = new WebSocket('ws://' + address, { perMessageDeflate: false });
await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
const t0 = performance.now();
const done = new Promise((resolve) => socket.once('message', resolve));
for (let i = 0; i < count; i++) socket.send(JSON.stringify({ action: 'log', posted: true, payload: { severity: 'INFO', message: message(i) } }));
socket.send(JSON.stringify({ action: 'get_messages', posted: false, payload: { after: 0, limit: 0 }, req_id: 0 }));
await done;
process.stdout.write('BENCH elapsed_ms=' + (performance.now() - t0) + '\\n');
socket.close();
`;
}

function elapsed(text: string): number {
  const match = /BENCH elapsed_ms=([\d.]+)/.exec(text);
  if (!match) throw new BenchError('The posting process did not report its time', text.slice(-2000));
  return Number(match[1]);
}

/** The raw loop: a ws server that counts frames and answers the last one. */
async function rawPosting(scratch: Scratch, count: number): Promise<number> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (socket) => {
    let received = 0;
    socket.on('message', () => {
      if (++received === count + 1) socket.send(JSON.stringify({ rsp_id: 0, result: 'success', payload: {} }));
    });
  });
  try {
    const { port } = server.address() as { port: number };
    const script = scratch.file('raw-client.mjs', rawClientScript(import.meta.resolve('ws')));
    const done = await run(process.execPath, [script, `127.0.0.1:${port}`, String(count)]);
    if (done.code !== 0) throw new BenchError('The raw ws client failed', done.stderr);
    return elapsed(done.stdout);
  } finally {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function storedMessages(dbFile: string, count: number): { stored: number; elapsedMs: number } {
  const db = new Database(dbFile, { readonly: true });
  try {
    let next = 0;
    let report = '';
    for (const text of db.prepare('SELECT message FROM LogEntry ORDER BY db_uid').pluck().iterate() as Iterable<string>) {
      if (next < count && text === apiMessage(next)) next++;
      else if (text.startsWith('BENCH ')) report = text;
    }
    return { stored: next, elapsedMs: elapsed(report) };
  } finally {
    db.close();
  }
}

export const apiLogging: BenchCase = {
  id: 'api',
  name: 'API logging',
  async run(ctx: BenchContext): Promise<Row[]> {
    const count = ctx.size(100_000, 10_000);
    const scratch = new Scratch('api');
    try {
      ctx.progress(`API logging: raw ws posting loop of ${count.toLocaleString('en-US')} frames`);
      const rawMs = await rawPosting(scratch, count);
      const script = scratch.file('post-logs.mjs', jobScript(import.meta.resolve('@gator/wrapper/client')));
      const spec = scratch.file(
        'api.yaml',
        `!JobGroup\nident: api\njobs:\n  - !Job\n    ident: poster\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(script)}, "${count}"]\n`,
      );
      ctx.progress(`API logging: gator run of a job posting ${count.toLocaleString('en-US')} messages`);
      const tracking = scratch.path('run');
      const gator = await runGator(spec, tracking, ['--quiet']);
      const { stored, elapsedMs } = storedMessages(jobDatabase(tracking, 'poster'), count);
      const figure = count / (elapsedMs / 1000);
      const baseline = count / (rawMs / 1000);
      return [
        judge({
          case: 'API logging',
          figure: { value: figure, unit: 'msg/s' },
          baseline: { value: baseline, unit: 'msg/s' },
          ratio: figure / baseline,
          target: { kind: 'min', value: 0.5, of: 'ratio', text: '≥ 0.5×, 0 lost' },
          lost: count - stored,
          details: { messages: count, stored, postingMs: Math.round(elapsedMs), rawMs: Math.round(rawMs), cliWallMs: Math.round(gator.wallMs) },
        }),
      ];
    } finally {
      scratch.cleanup();
    }
  },
};

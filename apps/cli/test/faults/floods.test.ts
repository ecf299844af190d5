/**
 * Issue 17, floods from inside a run: a job that prints without end, one whose
 * output is full of terminal escape sequences, one that asks its wrapper for
 * pages of messages without reading the replies, and one that waits for every
 * `log` to be acknowledged. Each is held to what docs/reliability.md promises:
 * the disk holds the head and tail of the output and says what was dropped,
 * nothing a job wrote acts on the user's terminal, the wrapper's memory stays
 * bounded, and an acknowledged message is committed at once, not at the next
 * 100 ms batch.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { gator, tempDir, writeSpec } from '../helpers.js';
import { countFault, countMessages, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, measure, startRun, waitForProcess, layerWithId } from './fault-kit.js';
import { within } from './timing.js';

const WS = createRequire(import.meta.url).resolve('ws');
/** Colours off, so every escape byte on the console would be the job's. */
const PLAIN = { NO_COLOR: '1', FORCE_COLOR: undefined, CI: '1' };

afterAll(() => flushCounts(import.meta.url));

function read<T>(dir: string, f: (reader: ReturnType<typeof openLayerReader>) => T): T {
  const reader = openLayerReader(dir);
  try {
    return f(reader);
  } finally {
    reader.close();
  }
}

function sizeOfTree(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? sizeOfTree(full) : fs.statSync(full).size;
  }
  return total;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

describe('floods from inside a run', () => {
  it('a job printing a million lines stores the head and the tail within its limit (command line and spec), and says how much it dropped', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'chatty.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: endless, command: bash, args: [-c, 'yes "a line of output that goes on" | head -n 1000000; echo "the end of it"']}
  - !Job {ident: own_limit, command: bash, args: [-c, 'seq 1 5000'], output_limit: {lines: 50}}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--output-limit-lines', '10000', '--output-limit-bytes', '256KiB'], { cwd: dir, env: PLAIN });
    countFault(2);
    const done = await within(run.done, 180_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const endless = path.join(dir, 'run/endless');
    const stored = read(endless, (r) => r.messages({ limit: 100_000 }).map((m) => m.message));
    // 256 KiB of 32-byte lines: fewer than the 10,000 lines allowed; the last line is the job's last.
    expect(stored.length).toBeLessThan(10_000);
    expect(stored.reduce((n, m) => n + Buffer.byteLength(m), 0)).toBeLessThanOrEqual(256 * 1024);
    expect(stored[0]).toBe('a line of output that goes on');
    expect(stored[stored.length - 1]).toBe('the end of it');
    const attributes = read(endless, (r) => r.attributes());
    expect(Number(attributes.output_dropped_lines)).toBe(1_000_001 - stored.length);
    const notices = read(endless, (r) => r.notices().map((n) => n.message));
    expect(notices.some((n) => n.startsWith('Output limit reached'))).toBe(true);
    expect(notices.some((n) => /^Output over its limit: [\d,]+ lines \(.+\) dropped/.test(n))).toBe(true);
    // 32 MB of output; the job's files (database, messages.log, raw log) hold well under 2 MB.
    expect(sizeOfTree(endless)).toBeLessThan(2 * 1024 * 1024);
    // Every line is still counted (the verdict and the limits see them all).
    expect(read(endless, (r) => r.metrics('_OWN_')).msg_info).toBe(1_000_001);
    // The spec's own limit wins over the command line's.
    expect(read(path.join(dir, 'run/own_limit'), (r) => r.countMessages())).toBe(50);
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it("escape sequences in a job's output and messages never reach the terminal (run, logs, show), and are stored as written", async () => {
    const dir = tempDir('gator-fault-');
    const script = path.join(dir, 'escapes.cjs');
    fs.writeFileSync(
      script,
      `const WebSocket = require(process.argv[2]);
process.stdout.write('title \\u001b]0;owned\\u0007 clear \\u001b[2J\\u001b[H red \\u001b[31mred\\u001b[0m\\n');
process.stderr.write('forged \\r\\u001b[2K✔ passed everything \\u009b31m bidi \\u202e\\n');
const ws = new WebSocket('ws://' + process.env.GATOR_PARENT);
ws.on('open', () => ws.send(JSON.stringify({ action: 'log', req_id: 1, payload: { severity: 'ERROR', message: 'api \\u001b]52;c;b3duZWQ=\\u0007 clipboard' } })));
ws.on('message', () => { ws.close(); process.exitCode = 1; });
`,
    );
    const spec = writeSpec(dir, 'escapes.yaml', `!Job {ident: noisy, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(script)}, ${JSON.stringify(WS)}]}\n`);
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir, env: PLAIN });
    countFault();
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const logs = await gator(['logs', 'run'], { cwd: dir, env: PLAIN });
    const show = await gator(['show', 'run'], { cwd: dir, env: PLAIN });
    for (const [what, text, shown] of [
      ['gator run', done.stdout + done.stderr, '\\x1b[31mred'],
      ['gator logs', logs.stdout + logs.stderr, '\\x1b[31mred'],
      ['gator show', show.stdout + show.stderr, 'forged \\r\\x1b[2K'],
    ] as const) {
      // No ESC, BEL, CR, CSI (C1) or bidi override reaches the console...
      expect(text, `${what} printed a control character`).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      // ...but what the job wrote is shown, escaped.
      expect(text, what).toContain(shown);
    }
    expect(logs.stdout).toContain('title \\x1b]0;owned\\x07 clear');
    expect(logs.stdout).toContain('api \\x1b]52;c;b3duZWQ=\\x07 clipboard');
    expect(logs.stdout).toContain('forged \\r\\x1b[2K✔ passed everything \\x9b31m bidi \\u202e');
    // Stored as the job wrote it.
    const stored = read(path.join(dir, 'run'), (r) => r.messages({ limit: 100 }).map((m) => m.message));
    expect(stored).toContain('title \u001b]0;owned\u0007 clear \u001b[2J\u001b[H red \u001b[31mred\u001b[0m');
    expect(stored).toContain('api \u001b]52;c;b3duZWQ=\u0007 clipboard');
    // JSON keeps the data exact (escaped by JSON itself).
    const json = await gator(['logs', 'run', '--json'], { cwd: dir, env: PLAIN });
    expect(json.stdout).not.toContain('\u001b');
    expect(json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).message)).toContain('api \u001b]52;c;b3duZWQ=\u0007 clipboard');
    await expectNoneLeft(run);
  });

  it('a job asking for pages of messages without reading the replies is slowed to its pace: the wrapper stays small, and says so', async () => {
    const dir = tempDir('gator-fault-');
    const script = path.join(dir, 'asker.cjs');
    fs.writeFileSync(
      script,
      `const WebSocket = require(process.argv[2]);
const ws = new WebSocket('ws://' + process.env.GATOR_PARENT);
const line = 'x'.repeat(1000);
ws.on('open', async () => {
  // 1,000 stored messages of 1 KB: each page of them is a 1 MB reply.
  for (let i = 0; i < 1000; i++) ws.send(JSON.stringify({ action: 'log', posted: true, payload: { severity: 'INFO', message: line + ' ' + i } }));
  await new Promise((r) => setTimeout(r, 1500));
  // Then read nothing, and ask for 600 pages (600 MB of replies).
  ws.pause();
  for (let i = 0; i < 600; i++) ws.send(JSON.stringify({ action: 'get_messages', req_id: i, payload: { after: 0, limit: 1000 } }));
  console.log('asked');
  setTimeout(() => process.exit(0), 6000);
});
`,
    );
    const spec = writeSpec(dir, 'asker.yaml', `!JobGroup\nident: top\njobs:\n  - !Job {ident: asker, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(script)}, ${JSON.stringify(WS)}]}\n`);
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir, env: PLAIN });
    countFault();
    const wrapper = await waitForProcess(run, layerWithId('asker'), 'the wrapper of asker');
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(wrapper))), 50);
    let done;
    try {
      done = await within(run.done, 90_000, 'the run to end');
    } finally {
      clearInterval(sampler);
    }
    measure('peak RSS of a wrapper whose job does not read 600 MB of replies (MiB)', peak / 1024);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    // The code before this queued every reply: the wrapper grew past 600 MB.
    expect(peak / 1024, 'peak RSS of the wrapper, MiB').toBeLessThan(200);
    const messages = read(path.join(dir, 'run/asker'), (r) => r.messages({ limit: 10_000 }).map((m) => m.message));
    expect(messages.filter((m) => m.startsWith('x'.repeat(1000)))).toHaveLength(1000);
    expect(messages.some((m) => /^The job is not reading the replies to its requests \([\d.]+ MiB unsent\)/.test(m))).toBe(true);
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it('a synchronous log is acknowledged once committed, not at the next batch: 300 in a row fit well inside the job timeout', async () => {
    const dir = tempDir('gator-fault-');
    const acks = path.join(dir, 'acks');
    const script = path.join(dir, 'logger.cjs');
    fs.writeFileSync(
      script,
      `const WebSocket = require(process.argv[2]);
const fs = require('fs');
const ws = new WebSocket('ws://' + process.env.GATOR_PARENT);
let next = 0;
const started = Date.now();
const send = () => ws.send(JSON.stringify({ action: 'log', req_id: next, payload: { severity: 'INFO', message: 'one at a time ' + next } }));
ws.on('open', send);
ws.on('message', (data) => {
  const m = JSON.parse(String(data));
  if (m.result !== 'success') process.exit(3);
  fs.appendFileSync(process.argv[3], m.rsp_id + '\\n');
  if (++next < 300) return send();
  console.log('per second ' + Math.round(300000 / (Date.now() - started)));
  ws.close();
});
`,
    );
    // One request in flight: waiting for the 100 ms batch each, 300 take 30 s, past the 15 s timeout.
    const spec = writeSpec(
      dir,
      'logger.yaml',
      `!JobGroup\nident: top\njobs:\n  - !Job {ident: logger, timeout: 15s, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(script)}, ${JSON.stringify(WS)}, ${JSON.stringify(acks)}]}\n`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir, env: PLAIN });
    countFault();
    const done = await within(run.done, 90_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const stored = read(path.join(dir, 'run/logger'), (r) => r.messages({ limit: 10_000 }).map((m) => m.message));
    const rate = stored.find((m) => m.startsWith('per second '));
    if (rate) measure('synchronous log acknowledgements per second (one in flight)', Number(rate.slice('per second '.length)));
    const acked = fs.readFileSync(acks, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(acked).toHaveLength(300);
    const lost = acked.filter((id) => !stored.includes(`one at a time ${id}`));
    countMessages(acked.length, lost.length);
    expect(lost).toEqual([]);
    expectNoCrash(done);
    await expectNoneLeft(run);
  });
});

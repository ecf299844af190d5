/**
 * Issue 9, nothing acknowledged is lost: a job streams `log` requests to its
 * wrapper and notes every success reply; the wrapper is killed with SIGKILL
 * mid-stream; its database must open and hold every acknowledged message.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { countFault, countMessages, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, startRun, waitForProcess, layerWithId } from './fault-kit.js';
import { within } from './timing.js';

const FAILURE = 2;
const WS = createRequire(import.meta.url).resolve('ws');

afterAll(() => flushCounts(import.meta.url));

/** A job that keeps 16 `log` requests in flight and appends each acknowledged id to a file. */
const STREAMER = `
const WebSocket = require(process.argv[2]);
const fs = require('fs');
const ackFile = process.argv[3];
const tag = process.argv[4];
const ws = new WebSocket('ws://' + process.env.GATOR_PARENT);
let next = 0;
const send = () => {
  const id = next++;
  // Every fifth one posted (no reply): those are not promised, the others are.
  const posted = id % 5 === 4;
  ws.send(JSON.stringify({ action: 'log', req_id: id, posted, payload: { severity: 'INFO', message: tag + ' ' + id, timestamp: Date.now() / 1000 } }));
  if (posted) setImmediate(send);
};
ws.on('open', () => { for (let i = 0; i < 16; i++) send(); });
ws.on('message', (data) => {
  const m = JSON.parse(String(data));
  if (m.result === 'success' && m.action === 'log') fs.appendFileSync(ackFile, m.rsp_id + '\\n');
  send();
});
ws.on('close', () => process.exit(0));
ws.on('error', () => process.exit(0));
`;

function acknowledged(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map(Number);
}

/** Acknowledged ids whose message is not in the layer database at `dir`. */
function missing(dir: string, tag: string, acked: number[]): number[] {
  const reader = openLayerReader(dir);
  try {
    const stored = new Set(reader.messages({ limit: 10_000_000 }).map((m) => m.message));
    return acked.filter((id) => !stored.has(`${tag} ${id}`));
  } finally {
    reader.close();
  }
}

function streamerJob(dir: string, ident: string): string {
  const script = path.join(dir, 'streamer.cjs');
  fs.writeFileSync(script, STREAMER);
  return `{ident: ${ident}, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(script)}, ${JSON.stringify(WS)}, ${JSON.stringify(path.join(dir, `${ident}.acks`))}, ${ident}]}`;
}

describe('acknowledged messages survive kill -9 of their wrapper', () => {
  it('two wrappers of a tree, killed at different moments', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(
      dir,
      'durable.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job ${streamerJob(dir, 'early')}
  - !Job ${streamerJob(dir, 'late')}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=2'], { cwd: dir });
    for (const [ident, after] of [['early', 100], ['late', 600]] as const) {
      const wrapper = await waitForProcess(run, layerWithId(ident), `the ${ident} wrapper`);
      await waitFor(() => acknowledged(path.join(dir, `${ident}.acks`)).length >= after, 60_000, `${after} acknowledged messages of ${ident}`);
      process.kill(wrapper, 'SIGKILL');
      countFault();
    }
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    for (const ident of ['early', 'late']) {
      expect(results.get(ident)?.result).toBe(FAILURE);
      const acked = acknowledged(path.join(dir, `${ident}.acks`));
      const lost = missing(path.join(dir, 'run', ident), ident, acked);
      countMessages(acked.length, lost.length);
      expect(lost, `acknowledged messages of ${ident} missing from its database`).toEqual([]);
    }
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it('a lone !Job whose root (the wrapper itself) is killed', async () => {
    const dir = tempDir('gator-fault-');
    const spec = writeSpec(dir, 'lone.yaml', `!Job ${streamerJob(dir, 'lone')}\n`);
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
    await waitFor(() => acknowledged(path.join(dir, 'lone.acks')).length >= 400, 60_000, '400 acknowledged messages');
    run.child.kill('SIGKILL');
    countFault();
    await within(run.done, 30_000, 'the root to die');
    const acked = acknowledged(path.join(dir, 'lone.acks'));
    const lost = missing(path.join(dir, 'run'), 'lone', acked);
    countMessages(acked.length, lost.length);
    expect(lost, 'acknowledged messages missing from the database').toEqual([]);
    await expectNoneLeft(run);
  });
});

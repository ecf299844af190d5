/**
 * Issue 9, bad input: generated malformed specs through the real CLI (exit 2,
 * file and line named, never a stack trace, never a hang), and hostile
 * websocket frames sent to the tier and the wrapper of a live run (error
 * replies or a clean close, recorded, every other connection still served,
 * the run unharmed).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { MAX_PAYLOAD_BYTES } from '@gator/protocol';
import { gator, tempDir, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { countBadSpecs, countFault, countFrames, environmentOf, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, startRun, waitForProcess, layerWithId } from './fault-kit.js';
import { CLOSING, RawClient, hostileFrames, type HostileFrame } from './frames.js';
import { within } from './timing.js';

afterAll(() => flushCounts(import.meta.url));

// ---------------------------------------------------------------- malformed specs

/** A wrong value for a field of a job (or a key no spec has). */
const BAD_FIELD: [string, string][] = [
  ['command', '42'],
  ['command', '[echo, hi]'],
  ['command', "''"],
  ['args', 'not-a-list'],
  ['args', '[{a: 1}]'],
  ['env', '[1, 2]'],
  ['env', '{A: [1]}'],
  ['ident', '{x: 1}'],
  ['cwd', '42'],
  ['resources', '[!Cores [0]]'],
  ['resources', '[!Memory [1, PB]]'],
  ['resources', '[!License [tool]]'],
  ['on_pass', '42'],
  ['on_done', '[[nested]]'],
  ['timeout', '"10y"'],
  ['retries', '-1'],
  ['log_rules', '[{pattern: "(", severity: ERROR}]'],
  ['stderr_severity', 'LOUD'],
  ['colour', 'red'],
];

const badSpec = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), field: fc.constantFrom(...BAD_FIELD), where: fc.nat(2), group: fc.boolean() }),
  fc.record({ kind: fc.constant('tag' as const), tag: fc.constantFrom('!Task', '!job', '!JobGroup2', '!!python/object:os.system', '!Core') }),
  fc.record({ kind: fc.constant('cycle' as const), length: fc.integer({ min: 2, max: 5 }) }),
  fc.record({ kind: fc.constant('dangling' as const), name: fc.constantFrom('ghost', 'nobody', 'j9') }),
  fc.record({ kind: fc.constant('syntax' as const), text: fc.constantFrom('command: [unclosed', 'command: "unterminated', '\tcommand: tab', 'command: echo\n  - stray', 'args: {a: }}') }),
  fc.record({ kind: fc.constant('array' as const), repeats: fc.constantFrom('0', '-3', 'many', '1.5') }),
  fc.record({ kind: fc.constant('garbage' as const), text: fc.string({ minLength: 1, maxLength: 80 }).filter((t) => !t.trimStart().startsWith('!')) }),
);

type BadSpec = typeof badSpec extends fc.Arbitrary<infer T> ? T : never;

function specText(bad: BadSpec): string {
  const job = (i: number, extra = '') => `  - !Job\n    ident: j${i}\n    command: echo\n${extra}`;
  switch (bad.kind) {
    case 'field': {
      const [field, value] = bad.field;
      const line = `    ${field}: ${value}\n`;
      if (!bad.group) {
        return field === 'command' ? `!Job\nident: lone\ncommand: ${value}\n` : `!Job\nident: lone\ncommand: echo\n${line.trimStart()}`;
      }
      const jobs = [0, 1, 2].map((i) => (i === bad.where ? (field === 'command' ? `  - !Job\n    ident: j${i}\n${line}` : job(i, line)) : job(i)));
      return `!JobGroup\nident: top\njobs:\n${jobs.join('')}`;
    }
    case 'tag':
      return `!JobGroup\nident: top\njobs:\n${job(0)}  - ${bad.tag}\n    ident: odd\n    command: echo\n`;
    case 'cycle': {
      const jobs = Array.from({ length: bad.length }, (_, i) => `  - !Job {ident: c${i}, command: echo, on_pass: [c${(i + 1) % bad.length}]}\n`);
      return `!JobGroup\nident: top\njobs:\n${jobs.join('')}`;
    }
    case 'dangling':
      return `!JobGroup\nident: top\njobs:\n${job(0)}  - !Job {ident: late, command: echo, on_done: [${bad.name}]}\n`;
    case 'syntax':
      return `!Job\nident: broken\n${bad.text}\n`;
    case 'array':
      return `!JobArray\nident: arr\nrepeats: ${bad.repeats}\njobs:\n${job(0)}`;
    case 'garbage':
      return bad.text;
  }
}

describe('malformed specs through the real CLI', () => {
  it('20 generated bad specs: `gator validate` exits 2 naming file and line, never a stack trace', async () => {
    const dir = tempDir('gator-fault-');
    const samples = fc.sample(badSpec, { numRuns: 20, seed: 42 });
    const files = samples.map((bad, i) => writeSpec(dir, `bad-${i}.yaml`, specText(bad)));
    // Four at a time: each is a whole CLI process.
    for (let i = 0; i < files.length; i += 4) {
      await Promise.all(
        files.slice(i, i + 4).map(async (file, j) => {
          const name = path.basename(file);
          const run = await within(gator(['validate', name], { cwd: dir }), 60_000, `gator validate ${name}`);
          const context = `${name} (${JSON.stringify(samples[i + j])}):\n${fs.readFileSync(file, 'utf8')}\n---\n${run.stdout}${run.stderr}`;
          expect(run.code, context).toBe(2);
          expect(run.stderr, context).toMatch(new RegExp(`${name.replace('.', '\\.')}:\\d+`));
          expect(run.stderr, context).not.toMatch(/^ {4}at /m);
          expectNoCrash(run);
        }),
      );
      countBadSpecs(Math.min(4, files.length - i));
    }
  });

  it('`gator run` of bad specs: exit 2 before anything starts, nothing left behind', async () => {
    const dir = tempDir('gator-fault-');
    const samples = fc.sample(badSpec, { numRuns: 4, seed: 7 });
    for (const [i, bad] of samples.entries()) {
      const file = writeSpec(dir, `run-bad-${i}.yaml`, specText(bad));
      const run = startRun(['run', file, '--tracking', `run-${i}`], { cwd: dir });
      const done = await within(run.done, 60_000, `gator run ${file}`);
      expect(done.code, done.stdout + done.stderr).toBe(2);
      expect(done.stderr).toMatch(/run-bad-\d+\.yaml/);
      expectNoCrash(done);
      expect(fs.existsSync(path.join(dir, `run-${i}`)), 'a tracking directory for a spec that never ran').toBe(false);
      await expectNoneLeft(run);
      countBadSpecs(1);
    }
  });
});

// ---------------------------------------------------------------- hostile frames

/** Messages recording bad frames and failed requests in a layer's database. */
function recordedBadFrames(dir: string): number {
  const reader = openLayerReader(dir);
  try {
    return reader
      .messages({ limit: 1_000_000 })
      .filter((m) => /^(Bad frame from a peer|Rejected frame from job|A '.*' request from (a peer|the job) failed)/.test(m.message)).length;
  } finally {
    reader.close();
  }
}

/** What a server made of a list of frames: error replies, (lenient) successes, closed connections. */
interface AttackResult {
  errors: number;
  accepted: number;
  closed: number;
}

const PROBES = 1_000_000;

/** Send every frame to one server, each followed by a probe (reconnecting after a close). */
async function attack(url: string, frames: HostileFrame[]): Promise<AttackResult> {
  const result: AttackResult = { errors: 0, accepted: 0, closed: 0 };
  const tally = (client: RawClient) => {
    result.errors += client.count((r) => r.result === 'error');
    result.accepted += client.count((r) => r.result === 'success' && !(typeof r.rsp_id === 'number' && r.rsp_id >= PROBES));
  };
  let client = await RawClient.open(url);
  try {
    for (const [i, frame] of frames.entries()) {
      if (await client.send(frame, PROBES + i)) continue;
      result.closed++;
      tally(client);
      client.close();
      client = await RawClient.open(url);
    }
    // Replies to requests answered after their probe (a log is acknowledged once on disk):
    // wait until no more arrive for a while (bounded).
    const deadline = Date.now() + 10_000;
    let seen = -1;
    while (seen !== client.replies.length && Date.now() < deadline) {
      seen = client.replies.length;
      await new Promise((r) => setTimeout(r, 400));
    }
    tally(client);
  } finally {
    client.close();
  }
  return result;
}

/** A frame over maxPayload closes that connection (1009) and nothing else. */
async function oversized(url: string): Promise<number | undefined> {
  const client = await RawClient.open(url);
  client.socket.send(Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), { binary: false });
  const deadline = Date.now() + 30_000;
  while (client.closedWith === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  client.close();
  return client.closedWith;
}

/** `count` bad frames as fast as the socket takes them, while another connection keeps being served. */
async function flood(url: string, count: number): Promise<{ replies: number; probesAnswered: number }> {
  const flooder = await RawClient.open(url);
  const bystander = await RawClient.open(url);
  try {
    for (let i = 0; i < count; i++) flooder.socket.send(`{"action": "flood", "req_id": ${i}, "garbage": "${'x'.repeat(i % 64)}"}`);
    let probesAnswered = 0;
    for (let i = 0; i < 10; i++) if (await bystander.probe(2_000_000 + i)) probesAnswered++;
    const replies = () => flooder.count((r) => r.result === 'error');
    const deadline = Date.now() + 60_000;
    while (replies() < count && flooder.isOpen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { replies: replies(), probesAnswered };
  } finally {
    flooder.close();
    bystander.close();
  }
}

describe('hostile frames against a live run', () => {
  it('the tier and the wrapper answer or close, record them, keep serving, and the run passes', async () => {
    const dir = tempDir('gator-fault-');
    const release = path.join(dir, 'release');
    const spec = writeSpec(
      dir,
      'frames.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: target, command: bash, args: [-c, 'while [ ! -e ${release} ]; do sleep 0.1; done; echo survived']}
`,
    );
    // --limit-error 1: a `spec` request for a child that does not exist is an ERROR of the
    // tier (as in Python Gator); one such frame is among the hostile ones.
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--limit-error', '1'], { cwd: dir });
    const job = await waitForProcess(run, /^bash -c while/, 'the job');
    const wrapper = await waitForProcess(run, layerWithId('target'), 'the wrapper');
    const parentOfJob = environmentOf(job).get('GATOR_PARENT')!;
    const token = run.token!;
    const tierUrl = `ws://${run.argv.get(wrapper)!.match(/--parent (\S+)/)![1]}/${token}`;
    const wrapperUrl = `ws://${parentOfJob}`;

    const frames = hostileFrames(40);
    const floodCount = 1000;
    let sent = 0;
    /** Hostile frames each server must have recorded (all but the lenient ones it accepted). */
    const toRecord = new Map<string, number>();
    const lenient = frames.filter((f) => f.lenient).length;
    // A posted request is never answered, not even with an error.
    const answerable = frames.filter((f) => !String(f.data).includes('"posted": true')).length;
    for (const [name, url] of [['tier', tierUrl], ['wrapper', wrapperUrl]] as const) {
      const result = await attack(url, [...frames, ...CLOSING]);
      expect(result.closed, `${name}: only the frames the websocket layer refuses close`).toBe(CLOSING.length);
      // Only `log` requests Python Gator would take too may succeed; every other frame gets an error reply or none (posted).
      expect(result.accepted, `${name}: hostile frames accepted`).toBeLessThanOrEqual(lenient);
      expect(result.errors + result.accepted, `${name}: frames answered`).toBe(answerable);
      expect(await oversized(url), `${name}: a frame over maxPayload`).toBe(1009);
      const flooded = await flood(url, floodCount);
      expect(flooded.probesAnswered, `${name}: the other connection during a flood`).toBe(10);
      expect(flooded.replies, `${name}: error replies to the flood`).toBe(floodCount);
      const perServer = frames.length + CLOSING.length + 1 + floodCount;
      toRecord.set(name, perServer - result.accepted);
      sent += perServer;
      countFault();
    }
    countFrames(sent);

    fs.writeFileSync(release, '');
    const done = await within(run.done, 90_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(collectResults(path.join(dir, 'run')).get('inner.target')?.result).toBe(1);
    // Recorded: at least one line per hostile frame, by the layer that got it.
    expect(recordedBadFrames(path.join(dir, 'run/inner'))).toBeGreaterThanOrEqual(toRecord.get('tier')!);
    expect(recordedBadFrames(path.join(dir, 'run/inner/target'))).toBeGreaterThanOrEqual(toRecord.get('wrapper')!);
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });
});

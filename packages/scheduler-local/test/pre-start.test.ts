// Pre-started wrappers (the go channel): real processes speaking it with
// @gator/protocol's takeGoChannel, the pool local and shared over its websocket.
// Every order asserted here is forced by what the stand-ins wait for, never by time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, type FrameSocket, type LaunchRequest } from '@gator/protocol';
import { createLocalScheduler, type LocalScheduler } from '../src/index.js';
import { pidAlive, tempDir, until } from './helpers/util.js';

const script = fileURLToPath(new URL('./helpers/go-wrapper.mjs', import.meta.url));
let root: string;
beforeAll(() => {
  root = tempDir();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let counter = 0;
function goJob(log: string, id: string, options: Record<string, unknown> = {}): LaunchRequest {
  const dir = path.join(root, `${id}-${++counter}`);
  fs.mkdirSync(dir, { recursive: true });
  return {
    id,
    path: ['pre', id],
    kind: 'job',
    command: [process.execPath, script, log, id, JSON.stringify(options)],
    env: {},
    cwd: dir,
    parent: '127.0.0.1:9',
    tracking: dir,
    resources: { cores: 0, memoryMb: 0, licenses: {} },
  };
}

function events(log: string): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
}
const at = (lines: string[], event: string) => {
  const i = lines.findIndex((l) => l.startsWith(`${event} `));
  expect(i, `${event} in\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
};

const goChannel = () => true;

/** With one slot, never two jobs between their go and their end. */
function expectOneJobAtATime(lines: string[]): void {
  let running = 0;
  for (const line of lines) {
    if (/ go /.test(line)) expect(++running).toBeLessThanOrEqual(1);
    if (/ job-end /.test(line)) running--;
  }
}

describe('pre-started wrappers', () => {
  it('starts a queued job\'s wrapper while the slot is busy, gives the go when it is free, and takes the slot back at the job\'s end', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1', prestart: '1' } }, { env: {}, goChannel });
    const log = path.join(root, 'order.log');
    try {
      // a's job lasts until b's wrapper has started (only possible if b starts before its slot is free);
      // a's wind-down lasts until b has its go (only possible if a's slot came back at a's job end).
      const a = await s.launch(goJob(log, 'a', { jobUntil: 'b hello', lingerUntil: 'b go' }));
      const b = await s.launch(goJob(log, 'b', { jobUntil: 'c hello', lingerUntil: 'c go' }));
      const c = await s.launch(goJob(log, 'c'));
      const exits = await Promise.all([a.exited, b.exited, c.exited]);
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
      const lines = events(log);
      expect(at(lines, 'b hello')).toBeLessThan(at(lines, 'a job-end'));
      expect(at(lines, 'a job-end')).toBeLessThan(at(lines, 'b go'));
      expect(at(lines, 'b go')).toBeLessThan(at(lines, 'a exit'));
      expect(at(lines, 'b job-end')).toBeLessThan(at(lines, 'c go'));
      expectOneJobAtATime(lines);
      // The variable does not reach what the wrapper starts.
      expect(lines.every((l) => l.endsWith(' -'))).toBe(true);
      // Each go names the job's path (the launch request's).
      expect(lines.filter((l) => l.includes(' path:'))).toEqual(['a path:pre.a -', 'b path:pre.b -', 'c path:pre.c -']);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('prestart=2 at concurrency 1: two queued wrappers start while the slot is busy, one job runs at a time', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1', prestart: '2' } }, { env: {}, goChannel });
    const log = path.join(root, 'ahead.log');
    try {
      // a's job lasts until c's wrapper has started: only possible if both b and c start before a's slot is free.
      const a = await s.launch(goJob(log, 'a', { jobUntil: 'c hello' }));
      const b = await s.launch(goJob(log, 'b'));
      const c = await s.launch(goJob(log, 'c'));
      const d = await s.launch(goJob(log, 'd'));
      const exits = await Promise.all([a.exited, b.exited, c.exited, d.exited]);
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0]);
      const lines = events(log);
      // c, second in the queue, said hello while a still ran: two had started (b, first, was
      // spawned before c, though its hello may come later).
      expect(at(lines, 'c hello')).toBeLessThan(at(lines, 'a job-end'));
      // d was third in the queue while a ran: not started until a's slot came back (b's go
      // line may come after d's hello: the go and d's start leave the pool in the same turn).
      expect(at(lines, 'a job-end')).toBeLessThan(at(lines, 'd hello'));
      expectOneJobAtATime(lines);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('prestart=0: a queued wrapper starts only when its slot is granted', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1', prestart: '0' } }, { env: {}, goChannel });
    const log = path.join(root, 'none.log');
    try {
      const a = await s.launch(goJob(log, 'a'));
      const b = await s.launch(goJob(log, 'b'));
      const exits = await Promise.all([a.exited, b.exited]);
      expect(exits.map((e) => e.code)).toEqual([0, 0]);
      const lines = events(log);
      expect(at(lines, 'a job-end')).toBeLessThan(at(lines, 'b hello'));
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a wrapper stopped while it waits ends as a job stopped in the queue, and its slot was never taken', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel });
    const log = path.join(root, 'stop.log');
    try {
      const a = await s.launch(goJob(log, 'a', { jobUntil: 'b abandoned' }));
      const b = await s.launch(goJob(log, 'b'));
      await until(() => events(log).some((l) => l.startsWith('b hello')), "b's wrapper waiting");
      expect(b.handle).toBeDefined();
      let started = false;
      void b.started.then(() => (started = true), () => {});
      await s.stop('b');
      const exit = await b.exited;
      expect(exit).toMatchObject({ code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
      expect(started).toBe(false);
      expect(pidAlive(Number(b.handle))).toBe(false);
      // c takes the slot a frees: b's stop left the pool as it was.
      const c = await s.launch(goJob(log, 'c'));
      expect((await a.exited).code).toBe(0);
      expect((await c.exited).code).toBe(0);
      const lines = events(log);
      expect(lines).toContain('b abandoned -');
      expect(lines.some((l) => l.startsWith('b go'))).toBe(false);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a wrapper that dies while it waits is reported with its exit and leaves the queue', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel });
    const log = path.join(root, 'die.log');
    try {
      // a holds the slot until the test has seen b's end (told through the log).
      const a = await s.launch(goJob(log, 'a', { jobUntil: 'test' }));
      const b = await s.launch(goJob(log, 'b', { dieWaiting: true }));
      const c = await s.launch(goJob(log, 'c'));
      const exit = await b.exited;
      fs.appendFileSync(log, 'test b ended -\n');
      expect(exit.code).toBe(3);
      expect(exit.neverStarted).toBeUndefined();
      expect(exit.reason).toMatch(/while it waited for a slot/);
      expect((await a.exited).code).toBe(0);
      expect((await c.exited).code).toBe(0);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('close() ends waiting wrappers as never started', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel });
    const log = path.join(root, 'close.log');
    const a = await s.launch(goJob(log, 'a', { jobUntil: 'never' }));
    const b = await s.launch(goJob(log, 'b'));
    await until(() => events(log).some((l) => l.startsWith('b hello')), "b's wrapper waiting");
    await until(() => events(log).some((l) => l.startsWith('a go')), 'a running');
    await s.close();
    expect((await b.exited).neverStarted).toBe(true);
    expect(pidAlive(Number(a.handle))).toBe(false);
    expect(pidAlive(Number(b.handle))).toBe(false);
  }, 60_000);

  it('through the shared pool: a nested instance pre-starts on the root\'s word and frees the slot at the job\'s end', async () => {
    const rootScheduler = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel });
    const log = path.join(root, 'nested.log');
    let nested: LocalScheduler | undefined;
    try {
      nested = await createLocalScheduler({ options: {} }, { env: { GATOR_LOCAL_POOL: await rootScheduler.poolAddress() }, goChannel });
      const a = await rootScheduler.launch(goJob(log, 'a', { jobUntil: 'b hello', lingerUntil: 'b go' }));
      const b = await nested.launch(goJob(log, 'b'));
      expect((await a.exited).code).toBe(0);
      expect((await b.exited).code).toBe(0);
      const lines = events(log);
      expect(at(lines, 'a job-end')).toBeLessThan(at(lines, 'b go'));
      expect(at(lines, 'b go')).toBeLessThan(at(lines, 'a exit'));
    } finally {
      await nested?.close();
      await rootScheduler.close();
    }
  }, 60_000);

  it('a waiting wrapper whose scheduler goes away (its channel closes) never runs its job', async () => {
    const log = path.join(root, 'gone.log');
    const request = goJob(log, 'a');
    const child = spawn(request.command[0]!, request.command.slice(1), {
      env: { ...process.env, GATOR_WAIT_FOR_GO: '1' },
      stdio: ['ipc', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    // As a scheduler process that dies: the channel closes.
    child.disconnect();
    expect(await exited).toBe(0);
    expect(events(log)).toEqual(['a hello -', 'a abandoned -']);
  }, 30_000);

  it('a job the host does not vouch for starts when its slot is granted, with no channel', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel: () => false });
    const log = path.join(root, 'plain.log');
    try {
      const a = await s.launch(goJob(log, 'a'));
      expect((await a.exited).code).toBe(0);
      expect(events(log)[0]).toBe('a no-channel -');
    } finally {
      await s.close();
    }
  }, 30_000);

  it('links each wrapper to its host on its go channel when asked: before its go, after its job, closed at its end', async () => {
    const logs: string[] = [];
    const hosted: Connection[] = [];
    const uplink = (request: LaunchRequest, socket: FrameSocket) => {
      const connection = new Connection(socket, {
        keepAliveMs: 0,
        handlers: {
          spec: ({ ident }) => ({ spec: `spec-for-${request.id}-asked-${ident}` }),
          log: ({ message }) => void logs.push(String(message)),
        },
      });
      hosted.push(connection);
      return true;
    };
    const s = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel, uplink });
    const log = path.join(root, 'uplink.log');
    try {
      const a = await s.launch(goJob(log, 'a', { uplink: true, jobUntil: 'b uplink:spec:spec-for-b-asked-b' }));
      const b = await s.launch(goJob(log, 'b', { uplink: true }));
      const exits = await Promise.all([a.exited, b.exited]);
      expect(exits.map((e) => e.code)).toEqual([0, 0]);
      const lines = events(log);
      // b's wrapper asked over its channel while a's job still ran: before its own go.
      expect(at(lines, 'b uplink:spec:spec-for-b-asked-b')).toBeLessThan(at(lines, 'a job-end'));
      expect(at(lines, 'a job-end')).toBeLessThan(at(lines, 'b go'));
      expect(logs).toEqual(['a ended', 'b ended']);
      for (const id of ['a', 'b']) expect(lines).toContain(`${id} uplink:closed:1000 -`);
      expect((await Promise.all(hosted.map((c) => c.closed))).map((c) => c.code)).toEqual([1000, 1000]);
      // Neither variable reaches what the wrapper starts.
      expect(lines.filter((l) => l.includes('uplink-env') || !l.endsWith(' -'))).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a wrapper whose link its host cannot serve is told so at once (1011), not left to time out', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel, uplink: () => false });
    const log = path.join(root, 'refused.log');
    try {
      const a = await s.launch(goJob(log, 'a', { uplink: true }));
      expect((await a.exited).code).toBe(4);
      const lines = events(log);
      expect(lines).toContain('a uplink:refused:GATOR_PROTOCOL_CLOSED -');
      expect(lines).toContain('a uplink:closed:1011 -');
    } finally {
      await s.close();
    }
  }, 30_000);

  it('without an uplink host a wrapper has none to take, and links its own way', async () => {
    const s = await createLocalScheduler({ options: { concurrency: '1' } }, { env: {}, goChannel });
    const log = path.join(root, 'no-uplink.log');
    try {
      const a = await s.launch(goJob(log, 'a', { uplink: true }));
      expect((await a.exited).code).toBe(0);
      expect(events(log).slice(0, 2)).toEqual(['a hello -', 'a uplink:none -']);
    } finally {
      await s.close();
    }
  }, 30_000);
});

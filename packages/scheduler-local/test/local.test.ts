import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CARRIED_ENV, STARTED_WITH_ENV, STARTED_WITH_MARKER, isGatorError } from '@gator/protocol';
import { maxOverlap, parseIntervals } from '@gator/protocol/conformance';
import { LocalScheduler, createLocalScheduler } from '../src/index.js';
import { fixtureJob, pidAlive, tempDir, until } from './helpers/util.js';

let root: string;
const open: LocalScheduler[] = [];
const events: { level: string; message: string }[] = [];

async function scheduler(options: Record<string, string> = {}): Promise<LocalScheduler> {
  const s = await createLocalScheduler({ options: { grace: '1', ...options }, onEvent: (e) => events.push(e) }, { env: {} });
  open.push(s);
  return s;
}

beforeAll(() => {
  root = tempDir();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  events.length = 0;
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('check', () => {
  it('names the job path and the resource that can never fit', async () => {
    const s = await scheduler({ concurrency: '2', memory: '1000', licenses: 'simtool:1' });
    const ask = (resources: { cores?: number; memoryMb?: number; licenses?: Record<string, number> }) =>
      s.check({ id: 'compile', path: ['nightly', 'compile'], kind: 'job', resources: { cores: 0, memoryMb: 0, licenses: {}, ...resources } });
    expect(ask({ cores: 8 })).toBe('job nightly.compile asks for 8 cores but the local pool has 2 (--sched-arg concurrency=N to change it)');
    expect(ask({ memoryMb: 4000 })).toBe(
      'job nightly.compile asks for 4000 MB of memory but the local pool has 1000 MB (--sched-arg memory=MB to change it)',
    );
    expect(ask({ licenses: { other: 1 } })).toBe(
      "job nightly.compile asks for license 'other' but the local pool declares no such license (--sched-arg licenses=other:N to declare it)",
    );
    expect(ask({ licenses: { simtool: 2 } })).toBe(
      "job nightly.compile asks for 2 seats of license 'simtool' but the local pool has 1 (--sched-arg licenses=simtool:N to change it)",
    );
    expect(ask({ cores: 2, memoryMb: 1000, licenses: { simtool: 1 } })).toBeUndefined();
    expect(ask({ cores: 1.5 })).toBeUndefined();
    expect(s.check({ id: 't', path: ['t'], kind: 'tier', resources: { cores: 99, memoryMb: 0, licenses: {} } })).toBeUndefined();
  });

  it('launch of an impossible job rejects with GATOR_SCHEDULER_RESOURCES', async () => {
    const s = await scheduler({ concurrency: '1' });
    const j = fixtureJob(root, 'exits-with', () => ['0'], { resources: { cores: 2, memoryMb: 0, licenses: {} } });
    await expect(s.launch(j.request)).rejects.toMatchObject({ code: 'GATOR_SCHEDULER_RESOURCES' });
  });
});

describe('launch', () => {
  it('a command that does not exist ends with 127 and a reason, also in scheduler.log', async () => {
    const s = await scheduler();
    const j = fixtureJob(root, 'exits-with', () => []);
    j.request.command = [path.join(root, 'no-such-program')];
    const child = await s.launch(j.request);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 127, signal: null });
    expect(exit.reason).toContain('no-such-program');
    await expect(child.started).rejects.toMatchObject({ code: 'GATOR_SCHEDULER_LAUNCH' });
    expect(fs.readFileSync(path.join(j.request.tracking, 'scheduler.log'), 'utf8')).toContain('no-such-program');
  });

  it('a missing working directory ends with 127 and says so', async () => {
    const s = await scheduler();
    const j = fixtureJob(root, 'exits-with', () => ['0']);
    j.request.cwd = path.join(root, 'no-such-dir');
    const exit = await (await s.launch(j.request)).exited;
    expect(exit.code).toBe(127);
    expect(exit.reason).toContain('working directory');
  });

  it('appends stdout and stderr to <tracking>/scheduler.log', async () => {
    const s = await scheduler();
    const j = fixtureJob(root, 'writes-stderr', () => ['to the log']);
    fs.writeFileSync(path.join(j.request.tracking, 'scheduler.log'), 'earlier line\n');
    expect(await (await s.launch(j.request)).exited).toEqual({ code: 0, signal: null });
    const log = fs.readFileSync(path.join(j.request.tracking, 'scheduler.log'), 'utf8');
    expect(log).toContain('earlier line');
    expect(log).toContain('writes-stderr: to stdout');
    expect(log).toContain('to the log');
  });

  it('reports a crash as the signal that ended it', async () => {
    const s = await scheduler();
    const exit = await (await s.launch(fixtureJob(root, 'crashes', () => []).request)).exited;
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('rejects a bad request, a duplicate id and a launch after close with typed errors', async () => {
    const s = await scheduler();
    const bad = fixtureJob(root, 'exits-with', () => ['0']);
    await expect(s.launch({ ...bad.request, command: [] })).rejects.toMatchObject({ code: 'GATOR_SCHEDULER_LAUNCH' });
    const sleeper = fixtureJob(root, 'sleeps', () => ['60000']);
    await s.launch(sleeper.request);
    await expect(s.launch(sleeper.request)).rejects.toMatchObject({ code: 'GATOR_SCHEDULER_LAUNCH' });
    await s.close();
    const error = await s.launch(bad.request).catch((e: unknown) => e);
    expect(isGatorError(error) && error.code).toBe('GATOR_SCHEDULER_LAUNCH');
    expect((error as Error).message).toContain('closed');
  });

  it('relaunches an id once its previous run has ended (retries)', async () => {
    const s = await scheduler();
    const j = fixtureJob(root, 'exits-with', () => ['3']);
    expect((await (await s.launch(j.request)).exited).code).toBe(3);
    expect((await (await s.launch(j.request)).exited).code).toBe(3);
  });

  it('records start and release at debug level', async () => {
    const s = await scheduler({ concurrency: '1' });
    const j = fixtureJob(root, 'exits-with', () => ['0'], { id: 'evt', path: ['top', 'evt'] });
    await (await s.launch(j.request)).exited;
    const messages = events.filter((e) => e.level === 'debug').map((e) => e.message);
    expect(messages).toContain("Scheduling 'top.evt' (cores 1)");
    expect(messages).toContain("Task 'top.evt' released cores 1 (exit code 0)");
    expect(messages.some((m) => m.startsWith('Local scheduler using a pool of 1 cores'))).toBe(true);
  });
});

describe('resources', () => {
  it('a tier takes nothing and starts at once while the pool is full; only tiers get GATOR_LOCAL_POOL', async () => {
    const s = await scheduler({ concurrency: '1' });
    const blocker = fixtureJob(root, 'sleeps', (f) => ['60000', f('ready')]);
    const running = await s.launch(blocker.request);
    await until(() => fs.existsSync(blocker.file('ready')), 'the blocker to start');
    const tier = fixtureJob(root, 'records-env', (f) => [f('env.json'), 'GATOR_LOCAL_POOL'], { kind: 'tier' });
    expect(await (await s.launch(tier.request)).exited).toMatchObject({ code: 0 });
    const seen = JSON.parse(fs.readFileSync(tier.file('env.json'), 'utf8')) as { env: Record<string, string | null> };
    expect(seen.env.GATOR_LOCAL_POOL).toMatch(/^127\.0\.0\.1:\d+\/\S+$/);
    expect(seen.env.GATOR_LOCAL_POOL).toBe(await s.poolAddress());
    await s.stop(running.id);

    const job = fixtureJob(root, 'records-env', (f) => [f('env.json'), 'GATOR_LOCAL_POOL'], {
      env: { GATOR_LOCAL_POOL: 'should-not-leak:1' },
    });
    expect(await (await s.launch(job.request)).exited).toMatchObject({ code: 0 });
    expect(JSON.parse(fs.readFileSync(job.file('env.json'), 'utf8')).env.GATOR_LOCAL_POOL).toBeNull();
  });

  it("the host's own layer processes start without NODE_EXTRA_CA_CERTS, carried for them, and with STARTED_WITH_ENV; other children get the environment as it is", async () => {
    const s = await createLocalScheduler({ options: { grace: '1' } }, { env: {}, carriesEnv: (request) => request.id.startsWith('own') });
    open.push(s);
    const seen = async (id: string) => {
      const job = fixtureJob(root, 'records-env', (f) => [f('env.json'), 'NODE_EXTRA_CA_CERTS', CARRIED_ENV.NODE_EXTRA_CA_CERTS, ...Object.keys(STARTED_WITH_ENV), STARTED_WITH_MARKER], {
        id,
        env: { NODE_EXTRA_CA_CERTS: '/etc/extra.pem' },
      });
      expect(await (await s.launch(job.request)).exited).toMatchObject({ code: 0 });
      return (JSON.parse(fs.readFileSync(job.file('env.json'), 'utf8')) as { env: Record<string, string | null> }).env;
    };
    const none = Object.fromEntries(Object.keys(STARTED_WITH_ENV).map((name) => [name, null]));
    expect(await seen('own-wrapper')).toEqual({
      NODE_EXTRA_CA_CERTS: null,
      [CARRIED_ENV.NODE_EXTRA_CA_CERTS]: '/etc/extra.pem',
      ...STARTED_WITH_ENV,
      [STARTED_WITH_MARKER]: Object.keys(STARTED_WITH_ENV).join(','),
    });
    expect(await seen('other')).toEqual({ NODE_EXTRA_CA_CERTS: '/etc/extra.pem', [CARRIED_ENV.NODE_EXTRA_CA_CERTS]: null, ...none, [STARTED_WITH_MARKER]: null });
  });

  it('memory: two jobs that together need more than the pool never overlap', async () => {
    const s = await scheduler({ concurrency: '4', memory: '1000' });
    const log = path.join(root, 'memory-intervals.log');
    const children = await Promise.all(
      [0, 1, 2].map((i) =>
        s.launch(fixtureJob(root, 'records-interval', () => [log, '150', `m${i}`], { resources: { cores: 1, memoryMb: 600, licenses: {} } }).request),
      ),
    );
    for (const child of children) expect((await child.exited).code).toBe(0);
    expect(maxOverlap(parseIntervals(fs.readFileSync(log, 'utf8')))).toBe(1);
  });

  it('a big job is not starved by a stream of small ones', async () => {
    const s = await scheduler({ concurrency: '2' });
    const log = path.join(root, 'starve-intervals.log');
    const small = () => ({ resources: { cores: 1, memoryMb: 0, licenses: {} } });
    const launched = [await s.launch(fixtureJob(root, 'records-interval', () => [log, '100', 's0'], small()).request)];
    launched.push(await s.launch(fixtureJob(root, 'records-interval', () => [log, '100', 'big'], { resources: { cores: 2, memoryMb: 0, licenses: {} } }).request));
    for (let i = 1; i <= 6; i++) launched.push(await s.launch(fixtureJob(root, 'records-interval', () => [log, '100', `s${i}`], small()).request));
    for (const child of launched) expect((await child.exited).code).toBe(0);
    const intervals = parseIntervals(fs.readFileSync(log, 'utf8'));
    const big = intervals.find((i) => i.tag === 'big')!;
    // At most `concurrency` (2) small jobs may pass the waiting big one.
    expect(intervals.filter((i) => i.tag !== 'big' && i.start < big.start).length).toBeLessThanOrEqual(3);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
  });
});

describe('stop and close', () => {
  it('a queued child stopped before it starts: neverStarted, started rejects, output file never opened', async () => {
    const s = await scheduler({ concurrency: '1' });
    const blocker = fixtureJob(root, 'sleeps', () => ['60000']);
    await s.launch(blocker.request);
    const queued = fixtureJob(root, 'exits-with', () => ['0']);
    const child = await s.launch(queued.request);
    await s.stop(child.id);
    expect(await child.exited).toEqual({ code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
    await expect(child.started).rejects.toMatchObject({ code: 'GATOR_SCHEDULER_LAUNCH' });
    expect(fs.existsSync(path.join(queued.request.tracking, 'scheduler.log'))).toBe(false);
    expect(events.some((e) => e.message === "Task 'test." + child.id + "' stopped before it started")).toBe(true);
  });

  it('a stopped child is reported with its signal and reason "stopped"', async () => {
    const s = await scheduler();
    const j = fixtureJob(root, 'sleeps', (f) => ['60000', f('ready')]);
    const child = await s.launch(j.request);
    await until(() => fs.existsSync(j.file('ready')), 'the child to start');
    await s.stop(child.id);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM', reason: 'stopped' });
  });

  it('what a job leaves running in its process group is ended after it exits', async () => {
    const s = await scheduler();
    const dir = path.join(root, 'leftover');
    fs.mkdirSync(dir, { recursive: true });
    const pidFile = path.join(dir, 'grandchild.pid');
    const script =
      "const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });" +
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); c.unref();`;
    const child = await s.launch({
      id: 'leftover',
      path: ['leftover'],
      kind: 'job',
      command: [process.execPath, '-e', script],
      env: {},
      cwd: dir,
      parent: '127.0.0.1:9',
      tracking: dir,
      resources: { cores: 0, memoryMb: 0, licenses: {} },
    });
    expect((await child.exited).code).toBe(0);
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    await until(() => !pidAlive(grandchild), 'the leftover grandchild to be ended');
  });

  it('close() with running and queued children ends them all and is idempotent', async () => {
    const s = await scheduler({ concurrency: '1' });
    const first = fixtureJob(root, 'sleeps', (f) => ['60000', f('ready')]);
    const a = await s.launch(first.request);
    const b = await s.launch(fixtureJob(root, 'sleeps', () => ['60000']).request);
    await until(() => fs.existsSync(first.file('ready')), 'the first child to start');
    const pid = Number(a.handle);
    await Promise.all([s.close(), s.close()]);
    expect((await a.exited).signal).toBe('SIGTERM');
    expect((await b.exited).neverStarted).toBe(true);
    expect(pidAlive(pid)).toBe(false);
    await s.close();
  });
});

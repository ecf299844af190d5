import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildExit, LaunchRequest } from '@gator/protocol';
import { maxOverlap, parseIntervals } from '@gator/protocol/conformance';
import { createLocalScheduler, type LocalScheduler } from '../src/index.js';
import { fixtureJob, pidAlive, tempDir, until } from './helpers/util.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Built inside node_modules so the bundle finds its dependencies the normal way.
const buildDir = path.join(packageDir, 'node_modules', '.cache', 'gator-scheduler-local-test');
const entry = path.join(buildDir, 'index.js');
const clientScript = fileURLToPath(new URL('./helpers/pool-client.mjs', import.meta.url));
let root: string;

beforeAll(() => {
  root = tempDir();
  // A separate process cannot load TypeScript: build this package's current source first.
  execFileSync('npx', ['tsup', '--out-dir', buildDir, '--silent'], { cwd: packageDir, stdio: 'pipe' });
}, 120_000);
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(buildDir, { recursive: true, force: true });
});

/** A `kind: 'tier'` child that runs pool-client.mjs with `config`. */
function clientTier(name: string, config: Record<string, unknown>): { request: LaunchRequest; result: string } {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const result = path.join(dir, 'result.json');
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ entry, result, ...config }));
  return {
    result,
    request: {
      id: name,
      path: [name],
      kind: 'tier',
      command: [process.execPath, clientScript, configFile],
      env: {},
      cwd: dir,
      parent: '127.0.0.1:9',
      tracking: dir,
      resources: { cores: 0, memoryMb: 0, licenses: {} },
    },
  };
}

const probe = { id: 'probe', path: ['probe'], kind: 'job', resources: { cores: 3, memoryMb: 0, licenses: {} } };

describe('one pool for the whole tree', () => {
  it('jobs of the root and of two nested tiers (separate processes) never exceed the root concurrency', async () => {
    const scheduler = await createLocalScheduler({ options: { concurrency: '2' } }, { env: {} });
    try {
      const log = path.join(root, 'tree-intervals.log');
      const jobs = (prefix: string, n: number) =>
        Array.from({ length: n }, (_, i) => fixtureJob(root, 'records-interval', () => [log, '150', `${prefix}${i}`]).request);
      // The nested instances ask for 8 slots of their own: the root's 2 must win.
      const tiers = [
        clientTier('tier-a', { options: { concurrency: '8' }, jobs: jobs('a', 4), probe }),
        clientTier('tier-b', { options: { concurrency: '8' }, jobs: jobs('b', 4), probe }),
      ];
      const launched = await Promise.all([...tiers.map((t) => scheduler.launch(t.request)), ...jobs('r', 3).map((j) => scheduler.launch(j))]);
      const exits = await Promise.all(launched.map((c) => c.exited));
      for (const [i, exit] of exits.entries()) {
        const logFile = path.join(launched[i]!.id.startsWith('tier') ? path.join(root, launched[i]!.id) : '', 'scheduler.log');
        expect(exit, fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '').toMatchObject({ code: 0 });
      }
      for (const tier of tiers) {
        const result = JSON.parse(fs.readFileSync(tier.result, 'utf8')) as { exits: ChildExit[]; check: string | null };
        expect(result.exits.map((e) => e.code)).toEqual([0, 0, 0, 0]);
        // check() in a nested instance uses the root's limits.
        expect(result.check).toBe('job probe asks for 3 cores but the local pool has 2 (--sched-arg concurrency=N to change it)');
      }
      const intervals = parseIntervals(fs.readFileSync(log, 'utf8'));
      expect(intervals).toHaveLength(11);
      expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
    } finally {
      await scheduler.close();
    }
  });

  it('when a nested tier dies without cleaning up, the root ends what it left running', async () => {
    const scheduler = await createLocalScheduler({ options: { concurrency: '2', grace: '1' } }, { env: {} });
    try {
      const sleeper = fixtureJob(root, 'sleeps', (f) => ['60000', f('ready')]);
      const tier = clientTier('tier-killed', { jobs: [sleeper.request], probe, hold: true });
      const child = await scheduler.launch(tier.request);
      await until(() => fs.existsSync(sleeper.file('ready')), 'the nested job to start');
      const orphan = Number(fs.readFileSync(sleeper.file('ready'), 'utf8'));
      process.kill(Number(child.handle), 'SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      await until(() => !pidAlive(orphan), 'the root to end the orphaned job');
    } finally {
      await scheduler.close();
    }
  });
});

describe('nested instance, in process', () => {
  async function rootAndClient(options: Record<string, string>): Promise<[LocalScheduler, LocalScheduler]> {
    const rootScheduler = await createLocalScheduler({ options: { grace: '1', ...options } }, { env: {} });
    const client = await createLocalScheduler({ options: { grace: '1' } }, { env: { GATOR_LOCAL_POOL: await rootScheduler.poolAddress() } });
    return [rootScheduler, client];
  }

  it('queued launches of a client end neverStarted when the root closes', async () => {
    const [rootScheduler, client] = await rootAndClient({ concurrency: '1' });
    try {
      const blocker = fixtureJob(root, 'sleeps', (f) => ['60000', f('ready')]);
      await rootScheduler.launch(blocker.request);
      await until(() => fs.existsSync(blocker.file('ready')), 'the blocker to start');
      const queued = await client.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
      await rootScheduler.close();
      const exit = await queued.exited;
      expect(exit).toMatchObject({ code: null, neverStarted: true });
      expect(exit.reason).toMatch(/pool/);
      // Launches after the loss end at once the same way.
      const late = await client.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
      expect(await late.exited).toMatchObject({ neverStarted: true });
    } finally {
      await rootScheduler.close();
      await client.close();
    }
  });

  it('a client whose pool connection drops fails its queued launches instead of hanging', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      socket.send(JSON.stringify({ t: 'hello', limits: { cores: 1, memoryMb: 1000, licenses: {} } }));
      // Never grants: drops the connection at the first request.
      socket.on('message', () => socket.terminate());
    });
    const port = (server.address() as { port: number }).port;
    const client = await createLocalScheduler({ options: {} }, { env: { GATOR_LOCAL_POOL: `127.0.0.1:${port}/token` } });
    try {
      const queued = await client.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
      const exit = await queued.exited;
      expect(exit).toMatchObject({ neverStarted: true });
      expect(exit.reason).toContain('lost the connection');
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a wrong token or a bad address in GATOR_LOCAL_POOL is a clear SchedulerError, and the refusal is reported', async () => {
    const events: { level: string; message: string }[] = [];
    const rootScheduler = await createLocalScheduler({ options: {}, onEvent: (e) => events.push(e) }, { env: {} });
    try {
      const address = await rootScheduler.poolAddress();
      const wrong = address.replace(/\/.*$/, '/wrong-token');
      await expect(createLocalScheduler({ options: {} }, { env: { GATOR_LOCAL_POOL: wrong } })).rejects.toMatchObject({
        code: 'GATOR_SCHEDULER_RESOURCES',
        message: expect.stringContaining('GATOR_LOCAL_POOL'),
      });
      expect(events).toContainEqual({ level: 'warning', message: expect.stringMatching(/Refused a connection to the local pool .*wrong run token/) });
      expect(events.map((e) => e.message).join('\n')).not.toContain(address.split('/')[1]);
      await expect(createLocalScheduler({ options: {} }, { env: { GATOR_LOCAL_POOL: 'nonsense' } })).rejects.toMatchObject({
        code: 'GATOR_SCHEDULER_RESOURCES',
      });
    } finally {
      await rootScheduler.close();
    }
  });
});

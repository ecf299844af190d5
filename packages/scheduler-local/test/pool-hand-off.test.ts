/**
 * A nested tier reaching the root's pool when the root is slow to answer (heavy
 * load: its event loop busy, its listen backlog full). A TCP relay in front of
 * the real pool drops or holds the first connections, as a loaded root does.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalScheduler, type LocalScheduler } from '../src/index.js';
import { PoolClient } from '../src/wire.js';

interface Relay {
  address: string;
  connections: number;
  close(): Promise<void>;
}

/** Relays to `target` (`host:port/TOKEN`); connection n is handled by `behaviour(n)`. */
function relay(target: string, behaviour: (n: number) => 'reset' | 'hold' | 'pass'): Promise<Relay> {
  const [hostPort, token] = target.split('/');
  const port = Number(hostPort!.split(':')[1]);
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    state.connections += 1;
    const what = behaviour(state.connections);
    if (what === 'reset') return void socket.resetAndDestroy();
    if (what === 'hold') return; // accepted, never answered
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port: relayPort } = server.address() as net.AddressInfo;
      resolve({
        address: `127.0.0.1:${relayPort}/${token}`,
        get connections() {
          return state.connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function rootPool(): Promise<{ root: LocalScheduler; address: string }> {
  const root = await createLocalScheduler({ options: { concurrency: '2' } }, { env: {} });
  open.push(root);
  return { root, address: await root.poolAddress() };
}

describe('a nested tier reaching a loaded root pool', () => {
  it('a connection reset before the greeting is tried again: the nested scheduler gets the pool', async () => {
    const { address } = await rootPool();
    const flaky = await relay(address, (n) => (n <= 2 ? 'reset' : 'pass'));
    open.push(flaky);
    const nested = await createLocalScheduler({ options: {} }, { env: { GATOR_LOCAL_POOL: flaky.address } });
    open.push(nested);
    expect(nested.limits.cores).toBe(2);
    expect(flaky.connections).toBe(3);
  });

  it('a try that gets no answer is tried again with a longer wait', async () => {
    const { address } = await rootPool();
    const slow = await relay(address, (n) => (n === 1 ? 'hold' : 'pass'));
    open.push(slow);
    const events: string[] = [];
    const client = await PoolClient.connect(slow.address, (_level, message) => events.push(message), { attemptMs: 200, deadlineMs: 30_000 });
    open.push(client);
    expect(client.limits.cores).toBe(2);
    expect(events.some((e) => /no answer .* within 200 ms; trying again/.test(e))).toBe(true);
  });

  it('gives up at the deadline with a clear error, and at once on a wrong token', async () => {
    const { address } = await rootPool();
    const dead = await relay(address, () => 'hold');
    open.push(dead);
    await expect(PoolClient.connect(dead.address, () => {}, { attemptMs: 100, deadlineMs: 700 })).rejects.toThrow(/Cannot reach the run's local pool.*no answer.*tries/);
    // A wrong token is final: one try only.
    const passing = await relay(`${address.split('/')[0]}/not-the-token`, () => 'pass');
    open.push(passing);
    await expect(PoolClient.connect(passing.address, () => {}, { attemptMs: 100, deadlineMs: 60_000 })).rejects.toThrow(/HTTP 401/);
    expect(passing.connections).toBe(1);
  });
});

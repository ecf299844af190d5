// GatorServer as its peers meet it: a plain TCP listener whose HTTP and websocket
// servers are built at the first connection, and sockets adopted without an upgrade
// (a child's IPC channel, helpers/frame-peer.mjs).
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GatorServer, IpcFrameSocket, connect, type Principal } from '../src/index.js';

const peerScript = fileURLToPath(new URL('./helpers/frame-peer.mjs', import.meta.url));
const TOKEN = 'a'.repeat(43);
const servers: GatorServer[] = [];
const children: ChildProcess[] = [];

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }
});

/** A server whose `log` handler records who logged what (the principal its socket came with). */
async function start(): Promise<{ server: GatorServer; logs: string[] }> {
  const logs: string[] = [];
  const server = await GatorServer.listen({
    token: TOKEN,
    keepAliveMs: 0,
    handlers: (_connection, principal?: Principal) => ({
      log: ({ message }) => void logs.push(`${principal?.role === 'child' ? `child:${principal.ident}` : (principal?.role ?? 'token')} ${String(message)}`),
    }),
  });
  servers.push(server);
  return { server, logs };
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('GatorServer', () => {
  it('answers plain HTTP with 426 and serves websockets with the token, all from its first connections at once', async () => {
    const { server, logs } = await start();
    // Several peers before the HTTP server exists: every one is served by the one built.
    const [plain, a, b] = await Promise.all([get(server.port), connect(server.addressWithToken), connect(server.addressWithToken)]);
    expect(plain).toEqual({ status: 426, body: 'Gator speaks websocket here.\n' });
    await a.request('log', { severity: 'INFO', message: 'from a' });
    await b.request('log', { severity: 'INFO', message: 'from b' });
    expect(logs.sort()).toEqual(['token from a', 'token from b']);
    expect(server.connections.size).toBe(2);
    a.close();
    b.close();
  });

  it('ends, at its close, a TCP connection that never asked for anything', async () => {
    const { server } = await start();
    const port = server.port;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    servers.splice(servers.indexOf(server), 1);
    await server.close();
    await ended;
    // And no longer listens.
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('serves an adopted IPC socket as the principal its owner vouches for, beside websockets', async () => {
    const { server, logs } = await start();
    const child = fork(peerScript, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    const connection = server.adopt(new IpcFrameSocket(child), { role: 'child', ident: 'sim_3' });
    expect(server.connections.has(connection)).toBe(true);
    const logged = new Promise<void>((resolve) => child.on('message', (m: { t?: string }) => m?.t === 'logged' && resolve()));
    child.send({ t: 'do', what: 'log', message: 'over the channel' });
    await logged;
    const ws = await connect(server.addressWithToken);
    await ws.request('log', { severity: 'INFO', message: 'over a websocket' });
    expect(logs.sort()).toEqual(['child:sim_3 over the channel', 'token over a websocket']);
    // Its requests go the other way too.
    expect(await connection.request('spec', { ident: 'x' })).toMatchObject({ spec: 'spec of x' });
    ws.close();
    // The server's close closes it: the peer lets its channel go and ends.
    servers.splice(servers.indexOf(server), 1);
    await server.close();
    expect(await connection.closed).toMatchObject({ code: 1001 });
    expect(await exited(child)).toBe(0);
  });

  it('closes a socket adopted while it is closing', async () => {
    const { server } = await start();
    const child = fork(peerScript, ['echo'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    servers.splice(servers.indexOf(server), 1);
    const closing = server.close();
    const connection = server.adopt(new IpcFrameSocket(child), { role: 'child', ident: 'late' });
    expect(await connection.closed).toMatchObject({ code: 1001 });
    await closing;
    expect(await exited(child)).toBe(0);
  });
});

// The IPC frame socket (frame-socket.ts) between this process and a real child
// (helpers/frame-peer.mjs) on a real Node IPC channel. Orders asserted here are
// those the channel forces: messages arrive in the order they were sent.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, IpcFrameSocket, SOCKET_CLOSED, SOCKET_OPEN } from '../src/index.js';

const peerScript = fileURLToPath(new URL('./helpers/frame-peer.mjs', import.meta.url));
const children = new Set<ChildProcess>();

function startPeer(mode: 'echo' | 'serve'): ChildProcess {
  const child = fork(peerScript, [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  return child;
}

/** The next raw IPC message of type `t` from the peer (installed before what causes it). */
function nextRaw(child: ChildProcess, t: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if ((m as { t?: string } | null)?.t !== t) return;
      child.off('message', on);
      resolve(m as Record<string, unknown>);
    };
    child.on('message', on);
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

function closeOf(socket: IpcFrameSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

function collect(socket: IpcFrameSocket): unknown[] {
  const seen: unknown[] = [];
  socket.on('message', (data: unknown, isBinary: boolean) => seen.push(isBinary ? ['binary', data] : data));
  return seen;
}

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }
  children.clear();
});

describe('IpcFrameSocket', () => {
  it('carries text frames both ways, in order, as text', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    const seen = collect(socket);
    expect(socket.readyState).toBe(SOCKET_OPEN);
    for (const text of ['a', '{"x":1}', 'ünïcödé']) socket.send(text);
    await new Promise<void>((resolve) => socket.on('message', () => seen.length === 3 && resolve()));
    expect(seen).toEqual(['echo:a:string:false', 'echo:{"x":1}:string:false', 'echo:ünïcödé:string:false']);
    socket.close();
    await exited(child);
  });

  it('counts what it has handed over and not yet written as bufferedAmount', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    let sent!: () => void;
    const written = new Promise<void>((resolve) => (sent = resolve));
    socket.send('x'.repeat(1000), () => sent());
    expect(socket.bufferedAmount).toBe(1000);
    await written;
    expect(socket.bufferedAmount).toBe(0);
    socket.close();
    await exited(child);
  });

  it('holds frames while paused and delivers them in order on resume', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    const seen = collect(socket);
    socket.pause();
    expect(socket.isPaused).toBe(true);
    const marker = nextRaw(child, 'marker');
    child.send({ t: 'do', what: 'frames', n: 4 });
    await marker;
    expect(seen).toEqual([]);
    socket.resume();
    expect(socket.isPaused).toBe(false);
    expect(seen).toEqual(['f0', 'f1', 'f2', 'f3']);
    socket.close();
    await exited(child);
  });

  it('delivers frames held while paused before the close that followed them, with its code and reason', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    const seen = collect(socket);
    socket.pause();
    const closed = closeOf(socket);
    let seenAtClose: unknown[] = [];
    socket.once('close', () => (seenAtClose = [...seen]));
    child.send({ t: 'do', what: 'frames', n: 3, then: 'close' });
    expect(await closed).toEqual({ code: 4001, reason: 'peer is done' });
    expect(seenAtClose).toEqual(['f0', 'f1', 'f2']);
    expect(socket.readyState).toBe(SOCKET_CLOSED);
    await exited(child);
  });

  it('tells the peer its close code and reason, and refuses to send after it', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    const told = nextRaw(child, 'peer-closed');
    const closed = closeOf(socket);
    socket.close(4002, 'tier is done');
    expect(await closed).toEqual({ code: 4002, reason: 'tier is done' });
    expect(await told).toMatchObject({ code: 4002, reason: 'tier is done' });
    const refused = await new Promise<Error | undefined>((resolve) => socket.send('late', resolve));
    expect(refused?.message).toMatch(/closed/);
    expect(await exited(child)).toBe(0);
  });

  it('closes with 1006 when the channel goes away without a close, after the frames before it', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    const seen = collect(socket);
    const closed = closeOf(socket);
    child.send({ t: 'do', what: 'frames', n: 2, then: 'disconnect' });
    expect(await closed).toEqual({ code: 1006, reason: '' });
    expect(seen).toEqual(['f0', 'f1']);
    await exited(child);
    // On a channel already gone: closed at once, the same way.
    const late = new IpcFrameSocket(child);
    expect(await closeOf(late)).toEqual({ code: 1006, reason: '' });
  });

  it('answers pings with pongs, either way', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    const pong = new Promise<void>((resolve) => socket.once('pong', () => resolve()));
    socket.ping();
    await pong;
    const peerPong = nextRaw(child, 'pong-seen');
    child.send({ t: 'do', what: 'ping' });
    await peerPong;
    socket.close();
    await exited(child);
  });

  it('carries a Connection: requests and replies both ways, and its close ends the peer', async () => {
    const child = startPeer('serve');
    const logs: string[] = [];
    const connection = new Connection(new IpcFrameSocket(child), {
      keepAliveMs: 0,
      handlers: { log: ({ message }) => void logs.push(String(message)) },
    });
    expect(connection.isOpen).toBe(true);
    expect(await connection.request('spec', { ident: 'sim_3' })).toMatchObject({ spec: 'spec of sim_3' });
    const logged = nextRaw(child, 'logged');
    child.send({ t: 'do', what: 'log', message: 'from the child' });
    await logged;
    expect(logs).toEqual(['from the child']);
    connection.close(1000, 'done');
    expect(await connection.closed).toMatchObject({ code: 1000 });
    // The peer's socket closed and it let the channel go: nothing else keeps it alive.
    expect(await exited(child)).toBe(0);
  });
});

describe('IpcFrameSocket made before its user listens', () => {
  it('holds what arrives until the first listener, then delivers it in order, and the close after it', async () => {
    const child = startPeer('echo');
    const socket = new IpcFrameSocket(child);
    const marker = nextRaw(child, 'marker');
    child.send({ t: 'do', what: 'frames', n: 3, then: 'close' });
    await marker;
    // The close follows the marker on the channel: wait until the socket has it.
    await new Promise<void>((resolve) => {
      const look = () => (socket.readyState === SOCKET_CLOSED ? resolve() : setTimeout(look, 10));
      look();
    });
    const seen = collect(socket);
    const closed = closeOf(socket);
    expect(seen).toEqual([]);
    expect(await closed).toEqual({ code: 4001, reason: 'peer is done' });
    expect(seen).toEqual(['f0', 'f1', 'f2']);
    await exited(child);
  });
});

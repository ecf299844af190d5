/**
 * Issue 17: a peer that sends requests without reading the replies. The
 * server stops reading its requests while more than `maxUnsentBytes` of
 * replies wait to be taken, so what it holds stays bounded (on the code
 * before, every reply was queued: the buffer grew with every request), tells
 * `onBackpressure` once per pause, and serves the peer again once it reads.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { GatorServer } from '../src/index.js';

const TOKEN = 'backpressure-test-token-0123456789';
/** One reply: about 256 KiB. */
const BIG = 'x'.repeat(256 * 1024);
const REQUESTS = 400;
const MAX_UNSENT = 1024 * 1024;

const servers: GatorServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.close();
});

describe('a peer that does not read its replies', () => {
  it('is read no faster than it takes them: the unsent replies stay bounded, the pause is told, and every request is answered once it reads', async () => {
    const pauses: { unsentBytes: number; pauses: number }[] = [];
    let served = 0;
    const server = await GatorServer.listen({
      token: TOKEN,
      maxUnsentBytes: MAX_UNSENT,
      keepAliveMs: 0,
      handlers: {
        get_messages: () => {
          served++;
          return { messages: [{ uid: served, severity: 20, message: BIG, timestamp: 0 }], total: served, status: 1 };
        },
      },
      onBackpressure: (info) => pauses.push(info),
    });
    servers.push(server);
    const socket = new WebSocket(`ws://${server.address}/${TOKEN}`, { perMessageDeflate: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    // Read nothing, ask for a lot (~100 MiB of replies).
    socket.pause();
    for (let i = 0; i < REQUESTS; i++) socket.send(JSON.stringify({ action: 'get_messages', req_id: i, payload: { after: 0, limit: 1 } }));

    const connection = [...server.connections][0]!;
    let most = 0;
    let quiet = 0;
    // Sample until the server stops serving (paused), however long the machine takes.
    for (let last = -1; quiet < 10; ) {
      await new Promise((r) => setTimeout(r, 20));
      most = Math.max(most, connection.bufferedAmount);
      quiet = served === last ? quiet + 1 : 0;
      last = served;
    }
    expect(pauses.length).toBeGreaterThanOrEqual(1);
    expect(served).toBeLessThan(REQUESTS);
    // The limit, the kernel's socket buffers and the replies to the frames already read with the last chunk.
    expect(most).toBeLessThan(MAX_UNSENT + 32 * 1024 * 1024);

    // Reading again: every request is answered.
    let replies = 0;
    const all = new Promise<void>((resolve) =>
      socket.on('message', () => {
        if (++replies === REQUESTS) resolve();
      }),
    );
    socket.resume();
    await all;
    expect(served).toBe(REQUESTS);
  });
});

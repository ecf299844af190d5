/**
 * Issue 9: a GatorServer facing hostile peers. Connections without the run
 * token are refused at the upgrade (and reported); every hostile frame from a
 * token holder gets an error reply or, for what the websocket layer refuses,
 * a clean close; each is reported through `onBadFrame`/`onHandlerError`; and
 * the server keeps serving every other connection.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { GatorServer, MAX_PAYLOAD_BYTES, ProtocolError, connect, type RejectedConnection } from '../src/index.js';

const TOKEN = 'hostile-frames-test-token-0123456789';
const PROBES = 1_000_000;

interface Recorded {
  badFrames: string[];
  handlerErrors: string[];
  rejected: RejectedConnection[];
  logs: string[];
}

const servers: GatorServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.close();
});

async function startServer(options: { maxPayload?: number } = {}): Promise<{ server: GatorServer; recorded: Recorded }> {
  const recorded: Recorded = { badFrames: [], handlerErrors: [], rejected: [], logs: [] };
  const server = await GatorServer.listen({
    token: TOKEN,
    ...options,
    handlers: {
      log: (payload) => {
        recorded.logs.push(String(payload.message));
        return {};
      },
      resolve: () => {
        throw new Error('no such job here');
      },
    },
    onBadFrame: (error) => recorded.badFrames.push(error.message),
    onHandlerError: (error) => recorded.handlerErrors.push(String(error)),
    onRejected: (info) => recorded.rejected.push(info),
  });
  servers.push(server);
  return { server, recorded };
}

/** A raw websocket client that remembers every reply. */
class Raw {
  readonly replies: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  private constructor(readonly socket: WebSocket) {}

  static open(url: string): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      sockets.push(socket);
      const raw = new Raw(socket);
      socket.on('message', (data) => raw.replies.push(JSON.parse(String(data)) as Record<string, unknown>));
      socket.on('close', (code) => (raw.closedWith = code));
      socket.once('open', () => resolve(raw));
      socket.once('error', reject);
    });
  }

  /** Identify request: answered by every Gator peer; false once the connection is closed. */
  async probe(id: number): Promise<boolean> {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify({ req_id: id }));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.replies.some((r) => r.rsp_id === id && r.result === 'success')) return true;
      if (this.socket.readyState !== WebSocket.OPEN) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return false;
  }

  async closed(): Promise<number | undefined> {
    const deadline = Date.now() + 30_000;
    while (this.closedWith === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closedWith;
  }
}

type Frame = { name: string; data: string | Buffer; binary?: boolean };

/** Frames no server answers with success (the server above serves `log` and a failing `resolve`). */
const FIXED: Frame[] = [
  { name: 'empty', data: '' },
  { name: 'not JSON', data: 'GET / HTTP/1.1' },
  { name: 'truncated JSON', data: '{"action": "log", "req_id": 1, "payload": {' },
  { name: 'null', data: 'null' },
  { name: 'number', data: '3.14' },
  { name: 'string', data: '"log"' },
  { name: 'array', data: '[1, 2, 3]' },
  { name: 'true', data: 'true' },
  { name: 'action number', data: '{"action": 1, "req_id": 2}' },
  { name: 'action array', data: '{"action": ["log"], "req_id": 3}' },
  { name: 'action object', data: '{"action": {}, "req_id": 4}' },
  { name: 'action empty', data: '{"action": "", "req_id": 5}' },
  { name: 'unknown action', data: '{"action": "shutdown", "req_id": 6, "payload": {}}' },
  { name: 'unknown action, upper case', data: '{"action": "LOG", "req_id": 7, "payload": {}}' },
  { name: '__proto__ action', data: '{"action": "__proto__", "req_id": 8}' },
  { name: 'toString action', data: '{"action": "toString", "req_id": 9}' },
  { name: 'hasOwnProperty action', data: '{"action": "hasOwnProperty", "req_id": 10}' },
  { name: 'unserved action', data: '{"action": "stop", "req_id": 11, "payload": {}}' },
  { name: 'unserved action 2', data: '{"action": "complete", "req_id": 12, "payload": {"ident": "x", "code": 0, "result": 1, "summary": {"metrics": {}, "failed_ids": [], "running_ids": []}}}' },
  { name: 'log payload string', data: '{"action": "log", "req_id": 13, "payload": "boom"}' },
  { name: 'log payload number', data: '{"action": "log", "req_id": 14, "payload": 5}' },
  { name: 'log severity array', data: '{"action": "log", "req_id": 15, "payload": {"severity": [], "message": "m"}}' },
  { name: 'log timestamp string', data: '{"action": "log", "req_id": 16, "payload": {"timestamp": "now", "message": "m"}}' },
  { name: 'log message object', data: '{"action": "log", "req_id": 17, "payload": {"message": {"$gt": ""}}}' },
  { name: 'resolve, handler throws', data: '{"action": "resolve", "req_id": 18, "payload": {"root_path": [], "nest_path": null, "depth": 0}}' },
  { name: 'resolve root_path string', data: '{"action": "resolve", "req_id": 19, "payload": {"root_path": "a"}}' },
  { name: 'req_id string', data: '{"action": "log", "req_id": "19", "payload": {}}' },
  { name: 'req_id float', data: '{"action": "nope", "req_id": 1.5}' },
  { name: 'req_id negative', data: '{"action": "nope", "req_id": -1}' },
  { name: 'req_id huge', data: '{"action": "nope", "req_id": 9007199254740993}' },
  { name: 'req_id object', data: '{"req_id": {"a": 1}}' },
  { name: 'success without rsp_id', data: '{"result": "success"}' },
  { name: 'error without reason', data: '{"result": "error", "rsp_id": "x"}' },
  { name: 'result unknown', data: '{"result": "maybe", "rsp_id": 1}' },
  { name: 'deep nesting', data: `{"action": "log", "req_id": 20, "payload": {"message": ${'['.repeat(5000)}${']'.repeat(5000)}}}` },
  { name: 'duplicate keys', data: '{"action": "log", "action": "nope", "req_id": 21}' },
  { name: 'NUL in action', data: '{"action": "log\\u0000", "req_id": 22}' },
  { name: 'BOM', data: '\ufeff{"action": "nope", "req_id": 23}' },
  { name: 'trailing garbage', data: '{"action": "nope", "req_id": 24} trailing' },
  { name: 'binary', data: Buffer.from([1, 2, 3]), binary: true },
  { name: 'binary JSON', data: Buffer.from('{"action": "log", "req_id": 25, "payload": {"message": "m"}}'), binary: true },
  { name: 'empty binary', data: Buffer.alloc(0), binary: true },
];

const generated = fc.sample(
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }).map((s): Frame => ({ name: 'random text', data: s })),
    fc.uint8Array({ maxLength: 300 }).map((b): Frame => ({ name: 'random binary', data: Buffer.from(b), binary: true })),
    fc
      .record({ action: fc.oneof(fc.string({ maxLength: 10 }), fc.nat()), req_id: fc.nat(999_999), payload: fc.jsonValue({ maxDepth: 3 }) })
      .filter((r) => r.action !== 'log' && r.action !== 'resolve')
      .map((r): Frame => ({ name: 'random request', data: JSON.stringify(r) })),
  ),
  { numRuns: 60, seed: 2024 },
);
const FRAMES = [...FIXED, ...generated];

describe('hostile frames against a GatorServer', () => {
  it(`${FRAMES.length} hostile frames: each answered with an error (or nothing), each reported, the connection kept`, async () => {
    expect(FRAMES.length).toBeGreaterThanOrEqual(50);
    const { server, recorded } = await startServer();
    const client = await Raw.open(`ws://${server.addressWithToken}`);
    for (const [i, frame] of FRAMES.entries()) {
      client.socket.send(frame.data, { binary: frame.binary === true });
      expect(await client.probe(PROBES + i), `the connection after '${frame.name}'`).toBe(true);
    }
    const errors = client.replies.filter((r) => r.result === 'error').length;
    const successes = client.replies.filter((r) => r.result === 'success' && (r.rsp_id as number) < PROBES);
    // An identify request (no action) is answered as Python Gator does; every other frame fails.
    expect(successes.every((r) => r.action === 'identify'), JSON.stringify(successes)).toBe(true);
    expect(errors + successes.length).toBe(FRAMES.length);
    expect(recorded.badFrames.length + recorded.handlerErrors.length).toBe(errors);
    expect(recorded.logs).toEqual([]);
  });

  it('a posted request that cannot be served gets no reply, not even an error (as Python Gator)', async () => {
    const { server, recorded } = await startServer();
    const client = await Raw.open(`ws://${server.addressWithToken}`);
    const posted = [
      { action: 'metric', req_id: 3, posted: true, payload: { name: 'm' } },
      { action: 'log', posted: true, payload: { severity: [] } },
      { action: 'shutdown', posted: true, payload: {} },
      { action: 'resolve', posted: true, payload: { root_path: [] } },
      { action: 7, posted: true },
      { posted: true, req_id: { a: 1 } },
    ];
    for (const frame of posted) client.socket.send(JSON.stringify(frame));
    expect(await client.probe(PROBES)).toBe(true);
    expect(client.replies.filter((r) => r.result === 'error')).toEqual([]);
    // Still recorded, each of them.
    expect(recorded.badFrames.length + recorded.handlerErrors.length).toBe(posted.length);
  });

  it('frames the websocket layer refuses close that connection only (1009 over maxPayload, 1007 bad UTF-8), reported', async () => {
    const { server, recorded } = await startServer();
    const bystander = await Raw.open(`ws://${server.addressWithToken}`);
    const cases: [string, Buffer, number][] = [
      ['one byte over the default maxPayload', Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), 1009],
      ['invalid UTF-8 in a text frame', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 1007],
    ];
    for (const [i, [name, data, code]] of cases.entries()) {
      const attacker = await Raw.open(`ws://${server.addressWithToken}`);
      attacker.socket.send(data, { binary: false });
      expect(await attacker.closed(), name).toBe(code);
      expect(await bystander.probe(PROBES + i), `the other connection after ${name}`).toBe(true);
    }
    expect(recorded.badFrames.filter((m) => /Frame refused, connection closed/.test(m))).toHaveLength(cases.length);
  });

  it('maxPayload is the server option when given', async () => {
    const { server } = await startServer({ maxPayload: 1024 });
    const fits = await Raw.open(`ws://${server.addressWithToken}`);
    fits.socket.send(JSON.stringify({ action: 'log', req_id: 1, payload: { message: 'x'.repeat(900) } }));
    expect(await fits.probe(PROBES)).toBe(true);
    const over = await Raw.open(`ws://${server.addressWithToken}`);
    over.socket.send(JSON.stringify({ action: 'log', req_id: 1, payload: { message: 'x'.repeat(1100) } }));
    expect(await over.closed()).toBe(1009);
  });

  it('a flood of 5000 bad frames: all answered, and another connection is served throughout', async () => {
    const { server, recorded } = await startServer();
    const flooder = await Raw.open(`ws://${server.addressWithToken}`);
    const bystander = await Raw.open(`ws://${server.addressWithToken}`);
    const count = 5000;
    for (let i = 0; i < count; i++) flooder.socket.send(i % 2 === 0 ? `not json ${i}` : `{"action": "flood", "req_id": ${i}}`);
    for (let i = 0; i < 20; i++) expect(await bystander.probe(PROBES + i)).toBe(true);
    const deadline = Date.now() + 60_000;
    while (flooder.replies.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(flooder.replies.filter((r) => r.result === 'error')).toHaveLength(count);
    expect(recorded.badFrames).toHaveLength(count);
    expect(await flooder.probe(PROBES + 100)).toBe(true);
  });
});

describe('who may connect', () => {
  it('refuses a missing or wrong token at the upgrade (401), reports it, and accepts the right one', async () => {
    const { server, recorded } = await startServer();
    const wrong = [server.address, `${server.address}/`, `${server.address}/wrong`, `${server.address}/${TOKEN.slice(1)}`, `${server.address}/${TOKEN}/`.replace(/\/$/, 'x'), `${server.address}/${TOKEN.toUpperCase()}`];
    for (const address of wrong) {
      const error = await connect(address, { connectTimeoutMs: 10_000 }).then(
        (c) => {
          c.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error, address).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe('GATOR_PROTOCOL_UNAUTHORIZED');
    }
    expect(recorded.rejected).toHaveLength(wrong.length);
    expect(recorded.rejected.map((r) => r.reason)).toEqual(['missing credential', 'missing credential', 'wrong credential', 'wrong credential', 'wrong credential', 'wrong credential']);
    for (const r of recorded.rejected) expect(r.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    // Never the token in what is reported.
    expect(JSON.stringify(recorded.rejected)).not.toContain(TOKEN);
    expect(server.connections.size).toBe(0);
    const ok = await connect(server.addressWithToken, { connectTimeoutMs: 10_000 });
    await ok.request('log', { severity: 'INFO', message: 'in' });
    ok.close();
    expect(recorded.logs).toEqual(['in']);
  });

  it('binds loopback unless told otherwise', async () => {
    const { server } = await startServer();
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

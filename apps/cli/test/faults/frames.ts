/**
 * Hostile websocket frames, and a raw client that sends them to a Gator
 * server and tells what became of each: an error reply, nothing (a posted
 * frame), or a close.
 */
import fc from 'fast-check';
import WebSocket from 'ws';

export interface HostileFrame {
  name: string;
  data: string | Buffer;
  binary?: boolean;
  /** Python Gator accepts it (a `log` is lenient: missing fields get defaults), so a success reply is fine. */
  lenient?: boolean;
}

/** Requests no Gator server answers with success, whatever its handlers. */
const FIXED: HostileFrame[] = [
  { name: 'empty text', data: '' },
  { name: 'not JSON', data: 'hello' },
  { name: 'truncated JSON', data: '{"action": "log", "req_id": 1, "payload": {' },
  { name: 'JSON null', data: 'null' },
  { name: 'JSON number', data: '42' },
  { name: 'JSON string', data: '"log"' },
  { name: 'JSON array', data: '[{"action":"log"}]' },
  { name: 'action is a number', data: '{"action": 7, "req_id": 2}' },
  { name: 'action is an object', data: '{"action": {"x": 1}, "req_id": 3}' },
  { name: 'unknown action', data: '{"action": "rm_rf", "req_id": 4, "payload": {}}' },
  { name: 'unknown action, posted', data: '{"action": "format_disk", "posted": true, "payload": {}}' },
  { name: 'prototype action', data: '{"action": "__proto__", "req_id": 5, "payload": {}}' },
  { name: 'constructor action', data: '{"action": "constructor", "req_id": 6, "payload": {}}' },
  { name: 'stop from a peer below', data: '{"action": "stop", "req_id": 7, "payload": {}}' },
  { name: 'log without payload', data: '{"action": "log", "req_id": 8}', lenient: true },
  { name: 'log with payload array', data: '{"action": "log", "req_id": 9, "payload": []}', lenient: true },
  { name: 'log severity is an object', data: '{"action": "log", "req_id": 10, "payload": {"severity": {}, "message": "x"}}', lenient: true },
  { name: 'log message is a number', data: '{"action": "log", "req_id": 11, "payload": {"message": 12345}}', lenient: true },
  { name: 'metric value is a string', data: '{"action": "metric", "req_id": 12, "payload": {"name": "m", "value": "NaN"}}' },
  { name: 'metric name missing', data: '{"action": "metric", "req_id": 13, "payload": {"value": 1}}' },
  { name: 'get_messages with a negative limit', data: '{"action": "get_messages", "req_id": 14, "payload": {"after": "x", "limit": -5}}' },
  { name: 'resolve with a string path', data: '{"action": "resolve", "req_id": 15, "payload": {"root_path": "a.b"}}' },
  { name: 'resolve of an unknown child', data: '{"action": "resolve", "req_id": 16, "payload": {"root_path": ["nobody"], "nest_path": null, "depth": 0}}' },
  { name: 'register with an unknown ident', data: '{"action": "register", "req_id": 17, "payload": {"ident": "intruder", "server": "1.2.3.4:5"}}' },
  { name: 'update with a bad summary', data: '{"action": "update", "req_id": 18, "payload": {"ident": "x", "summary": "all good", "result": 1}}' },
  { name: 'complete of an unknown child', data: '{"action": "complete", "req_id": 19, "payload": {"ident": "intruder", "code": 0, "result": 1, "summary": {"metrics": {}, "failed_ids": [], "running_ids": []}}}' },
  { name: 'spec of an unknown child', data: '{"action": "spec", "req_id": 20, "payload": {"ident": "../../etc/passwd"}}' },
  { name: 'req_id is a string', data: '{"action": "log", "req_id": "1; DROP TABLE LogEntry", "payload": {}}' },
  { name: 'req_id is huge', data: '{"action": "nope", "req_id": 1e308, "payload": {}}' },
  { name: 'malformed success response', data: '{"result": "success"}' },
  { name: 'malformed error response', data: '{"result": "error", "rsp_id": "x"}' },
  { name: 'identify with a bad req_id', data: '{"req_id": {"a": 1}}' },
  { name: 'deeply nested payload', data: `{"action": "log", "req_id": 21, "payload": ${'['.repeat(2000)}${']'.repeat(2000)}}` },
  { name: 'lone surrogate text', data: '{"action": "log", "req_id": 22, "payload": {"message": "\\ud800"}, "x": "\ud800"}', lenient: true },
  { name: 'NUL bytes', data: '{"action": "lo\u0000g", "req_id": 23}' },
  { name: 'binary frame', data: Buffer.from([0, 1, 2, 3, 255, 254]), binary: true },
  { name: 'binary JSON', data: Buffer.from('{"action": "log", "req_id": 24, "payload": {"message": "in binary"}}'), binary: true },
  { name: 'empty binary frame', data: Buffer.alloc(0), binary: true },
];

/** Frames the websocket layer itself refuses by closing the connection. */
export const CLOSING: HostileFrame[] = [
  { name: 'invalid UTF-8 in a text frame', data: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), binary: false },
];

/** The fixed list plus `generated` random frames (fast-check, fixed seed: the same every run). */
export function hostileFrames(generated: number, seed = 9): HostileFrame[] {
  const random = fc.sample(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ name: 'random text', data: s })),
      fc.uint8Array({ maxLength: 200 }).map((b) => ({ name: 'random binary', data: Buffer.from(b), binary: true })),
      fc
        .record({ action: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constantFrom('spec', 'register', 'update', 'complete', 'stop', 'metric')), req_id: fc.oneof(fc.integer({ min: 0, max: 999_999 }), fc.string()), payload: fc.jsonValue({ maxDepth: 3 }) })
        // Actions a peer may legitimately send with any payload are left out: their success is no failure.
        .filter((r) => typeof r.action !== 'string' || !['log', 'get_messages', 'resolve', 'children', 'get_tree'].includes(r.action))
        .map((r) => ({ name: 'random request', data: JSON.stringify(r) })),
    ),
    { numRuns: generated, seed },
  );
  return [...FIXED, ...random];
}

/** A raw (token-holding) client of a Gator server, for sending frames no real peer would. */
export class RawClient {
  /** Every reply received (parsed), in order. */
  readonly replies: Record<string, unknown>[] = [];
  closedWith: number | undefined;

  private constructor(readonly socket: WebSocket) {}

  static open(url: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      const client = new RawClient(socket);
      socket.on('message', (data) => {
        try {
          client.replies.push(JSON.parse(String(data)) as Record<string, unknown>);
        } catch {
          client.replies.push({ unparsable: String(data) });
        }
      });
      socket.on('close', (code) => (client.closedWith = code));
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  count(predicate: (reply: Record<string, unknown>) => boolean): number {
    return this.replies.filter(predicate).length;
  }

  /** An identify request (a frame without `action`): every Gator peer answers it. */
  async probe(id: number, timeoutMs = 20_000): Promise<boolean> {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify({ req_id: id }));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.replies.some((r) => r.rsp_id === id && r.result === 'success')) return true;
      if (!this.isOpen) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  /** Send one hostile frame, then a probe: false when the server closed the connection instead. */
  async send(frame: HostileFrame, probeId: number): Promise<boolean> {
    this.socket.send(frame.data, { binary: frame.binary === true });
    return this.probe(probeId);
  }

  close(): void {
    this.socket.terminate();
  }
}

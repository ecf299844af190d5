/** The wire (../src/messages.ts): every action round-trips; bad frames decode to typed errors, never throws. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTION_NAMES,
  decode,
  decodeResponsePayload,
  emptySummary,
  encode,
  encodeError,
  encodeIdentify,
  encodeRequest,
  encodeSuccess,
  ProtocolError,
  type ActionName,
  type ApiJob,
  type RequestPayload,
  type ResponsePayload,
} from '../src/index.js';

const summary = {
  ...emptySummary(),
  failed_ids: [['root', 'a']],
  running_ids: [['root', 'b']],
  running_since: [1700000000.5],
  sub_skipped: 1,
  sub_lost: 0,
  failures: [{ path: ['root', 'a'], reason: 'exit code 1', errors: ['boom'], log: '/t/a', signature: 'boom', attempt: 1 }],
  stats: { cov: { count: 2, sum: 3, min: 1, max: 2 } },
  buckets: [{ signature: 'boom', count: 1, examples: [['root', 'a']] }],
};
const apiJob: ApiJob = {
  uidx: 1,
  root: 1,
  path: ['root'],
  ident: 'a',
  status: 3,
  metrics: { sub_total: 1 },
  server_url: '127.0.0.1:1234',
  db_file: '/t/a/db.sqlite',
  owner: null,
  started: 1,
  updated: 2,
  stopped: 3,
  result: 1,
  children: [],
  expected_children: 0,
};

const SAMPLES: { [A in ActionName]: { request: RequestPayload<A>; response: ResponsePayload<A> } } = {
  spec: { request: { ident: 'sim_0' }, response: { spec: '!Job\ncommand: echo\n' } },
  register: { request: { ident: 'a', server: '127.0.0.1:5000', protocol: 1 }, response: { path: ['root'], root: 1, uidx: 2 } },
  update: { request: { ident: 'a', summary, result: 0 }, response: {} },
  complete: { request: { ident: 'a', code: 1, result: 2, summary, reason: 'exit code 1' }, response: {} },
  children: { request: {}, response: { children: [apiJob], status: 2 } },
  log: { request: { timestamp: 1700000000, severity: 'ERROR', message: 'boom' }, response: {} },
  get_messages: {
    request: { after: 0, limit: 10 },
    response: { messages: [{ uid: 1, severity: 40, message: 'boom', timestamp: 1 }], total: 1, status: 2 },
  },
  resolve: { request: { root_path: ['root'], nest_path: ['a'], depth: 1 }, response: apiJob },
  metric: { request: { name: 'coverage', value: 87.5 }, response: { result: 'success' } },
  stop: { request: {}, response: {} },
  get_tree: { request: {}, response: { root: { a: {} } } },
  update_scheduler_opts: { request: { options: { concurrency: 4 } }, response: { concurrency: 4 } },
};

describe('every action round-trips', () => {
  it('covers every action', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...ACTION_NAMES].sort());
  });

  it.each(ACTION_NAMES)('%s: request and response encode → decode', (action) => {
    const sample = SAMPLES[action];
    for (const posted of [false, true]) {
      const text = encodeRequest(action, sample.request as never, { reqId: 7, posted });
      const decoded = decode(text);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok || decoded.frame.kind !== 'request') throw new Error('not a request');
      expect(decoded.frame.request.action).toBe(action);
      expect(decoded.frame.request.payload).toEqual(sample.request);
      expect(decoded.frame.request.posted).toBe(posted);
      if (!posted) expect(decoded.frame.request.req_id).toBe(7);
      expect(JSON.parse(encode(decoded.frame))).toEqual(JSON.parse(text));
    }
    const reply = decode(encodeSuccess(action, 7, sample.response));
    if (!reply.ok || reply.frame.kind !== 'response') throw new Error('not a response');
    expect(reply.frame.response).toMatchObject({ action, rsp_id: 7, result: 'success' });
    const payload = decodeResponsePayload(action, reply.frame.response.payload);
    expect(payload).toEqual({ ok: true, payload: sample.response });
  });

  it('error replies and identify frames', () => {
    const error = decode(encodeError(3, 'no such job'));
    expect(error).toEqual({ ok: true, frame: { kind: 'error', response: { result: 'error', rsp_id: 3, reason: 'no such job' } } });
    expect(decode(JSON.stringify({ req_id: 4 }))).toEqual({ ok: true, frame: { kind: 'identify', reqId: 4, posted: false } });
    const identify = decode(encodeIdentify(4));
    expect(identify.ok && identify.frame.kind === 'response' && identify.frame.response.payload).toEqual({ tool: 'gator', version: '1.0' });
  });
});

describe('bad frames decode to typed ProtocolErrors', () => {
  const errorOf = (raw: string | Buffer, isBinary = false) => {
    const result = decode(raw, isBinary);
    if (result.ok) throw new Error(`decoded: ${JSON.stringify(result.frame)}`);
    expect(result.error).toBeInstanceOf(ProtocolError);
    return result.error;
  };

  it('malformed JSON', () => {
    expect(errorOf('{"action": "spec",').code).toBe('GATOR_PROTOCOL_INVALID_JSON');
    expect(errorOf('').code).toBe('GATOR_PROTOCOL_INVALID_JSON');
  });
  it('not an object', () => {
    expect(errorOf('[1,2]').code).toBe('GATOR_PROTOCOL_INVALID_FRAME');
    expect(errorOf('"spec"').code).toBe('GATOR_PROTOCOL_INVALID_FRAME');
  });
  it('a missing field (answerable: rspId recovered)', () => {
    const error = errorOf(JSON.stringify({ action: 'register', req_id: 5, payload: { ident: 'a' } }));
    expect(error.code).toBe('GATOR_PROTOCOL_INVALID_FRAME');
    expect(error.rspId).toBe(5);
    expect(error.message).toContain('server');
  });
  it('a wrong type', () => {
    const error = errorOf(JSON.stringify({ action: 'metric', req_id: 6, payload: { name: 'x', value: 'high' } }));
    expect(error.code).toBe('GATOR_PROTOCOL_INVALID_FRAME');
    expect(error.action).toBe('metric');
    expect(errorOf(JSON.stringify({ action: 42, req_id: 1 })).code).toBe('GATOR_PROTOCOL_INVALID_FRAME');
  });
  it('an unknown action', () => {
    const error = errorOf(JSON.stringify({ action: 'launch_missiles', req_id: 9, payload: {} }));
    expect(error.code).toBe('GATOR_PROTOCOL_UNKNOWN_ACTION');
    expect(error.rspId).toBe(9);
    expect(errorOf(JSON.stringify({ action: 'nope', posted: true })).rspId).toBeUndefined();
  });
  it('a binary frame', () => {
    expect(errorOf(Buffer.from([0, 1, 2, 255]), true).code).toBe('GATOR_PROTOCOL_BINARY_FRAME');
  });
  it('a malformed response', () => {
    expect(errorOf(JSON.stringify({ result: 'success', action: 'spec' })).code).toBe('GATOR_PROTOCOL_INVALID_FRAME');
    expect(errorOf(JSON.stringify({ result: 'error', rsp_id: 'x' })).code).toBe('GATOR_PROTOCOL_INVALID_FRAME');
    expect(decodeResponsePayload('spec', { spec: 42 }).ok).toBe(false);
  });

  it('never throws, whatever arrives (500 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.record({ action: fc.oneof(fc.constantFrom(...ACTION_NAMES), fc.string()), req_id: fc.anything(), payload: fc.jsonValue(), posted: fc.anything() }).map((v) => JSON.stringify(v) ?? ''),
          fc.uint8Array().map((b) => Buffer.from(b)),
        ),
        fc.boolean(),
        (raw, isBinary) => {
          const result = decode(raw, isBinary);
          if (!result.ok) expect(result.error).toBeInstanceOf(ProtocolError);
        },
      ),
      { numRuns: 500 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from './constants.js';
import { PYTHON_DIALECT, dialectFromRegister, payloadForParent } from './dialect.js';
import { ACTIONS, PYTHON_REQUESTS, type Summary } from './messages.js';

const full: Summary = {
  metrics: { sub_total: 1, sub_active: 0, sub_passed: 0, sub_failed: 1, msg_error: 2, jobs_failed: 1, cells: 3 },
  failed_ids: [['sim']],
  running_ids: [],
  running_since: [],
  failures: [{ path: ['sim'], reason: 'exited with code 3', errors: ['oops'], log: '/t/sim', signature: 'oops' }],
  stats: { cells: { count: 1, sum: 3, min: 3, max: 3 } },
  buckets: [{ signature: 'oops', count: 1, examples: [['sim']] }],
  retried: [{ path: ['sim'], attempt: 2, result: 2 }],
  sub_skipped: 0,
  skipped: [],
  sub_lost: 0,
  sub_unselected: 0,
  // The live stream's job ends: a Python parent must never get them.
  ends: [{ path: ['sim'], outcome: 'failed', kind: 'exit', reason: 'exited with code 3', signature: 'oops', at: 1 }],
  ends_from: 0,
};

describe('dialectFromRegister', () => {
  it('treats a reply without protocol (Python Gator) as version 0, without extensions', () => {
    expect(dialectFromRegister({ path: ['top'], root: 0, uidx: 2 })).toEqual(PYTHON_DIALECT);
    expect(PYTHON_DIALECT).toEqual({ version: 0, extensions: false });
  });

  it('speaks the lower of the two versions with a Gator parent', () => {
    expect(dialectFromRegister({ path: [], root: 0, uidx: 1, protocol: 1 })).toEqual({ version: 1, extensions: true });
    expect(dialectFromRegister({ path: [], root: 0, uidx: 1, protocol: PROTOCOL_VERSION + 5 }).version).toBe(PROTOCOL_VERSION);
  });

  it('takes a nonsensical version for Python (the safe subset every parent accepts)', () => {
    for (const protocol of [0, -1]) expect(dialectFromRegister({ path: [], root: 0, uidx: 1, protocol })).toEqual(PYTHON_DIALECT);
  });
});

describe('payloadForParent', () => {
  const gator = dialectFromRegister({ path: [], root: 0, uidx: 1, protocol: PROTOCOL_VERSION });

  it('sends a Gator parent everything, unchanged', () => {
    const update = { ident: 'sim', summary: full, result: 2 };
    expect(payloadForParent(gator, 'update', update)).toBe(update);
    const log = { timestamp: 1, severity: 'INFO', message: 'hi', path: ['top', 'sim'] };
    expect(payloadForParent(gator, 'log', log)).toBe(log);
  });

  it("sends a Python parent a summary of only Summary's three fields (its Summary(**x) refuses any other)", () => {
    const sent = payloadForParent(PYTHON_DIALECT, 'update', { ident: 'sim', summary: full, result: 2 });
    expect(sent).toEqual({ ident: 'sim', result: 2, summary: { metrics: full.metrics, failed_ids: [['sim']], running_ids: [] } });
    const done = payloadForParent(PYTHON_DIALECT, 'complete', { ident: 'sim', code: 3, result: 2, summary: full, reason: 'exited with code 3' });
    expect(done).toEqual({ ident: 'sim', code: 3, result: 2, summary: { metrics: full.metrics, failed_ids: [['sim']], running_ids: [] } });
    // Job metrics are metrics: Python sums them like its own.
    expect(done.summary.metrics.cells).toBe(3);
  });

  it('tells a Python parent a stopped (ABORTED) child as FAILURE: its tier fails only on that', () => {
    expect(payloadForParent(PYTHON_DIALECT, 'complete', { ident: 'sim', code: 255, result: 3, summary: full }).result).toBe(2);
    expect(payloadForParent(PYTHON_DIALECT, 'update', { ident: 'sim', result: 3, summary: full }).result).toBe(2);
    expect(payloadForParent({ version: 1, extensions: true }, 'complete', { ident: 'sim', code: 255, result: 3, summary: full }).result).toBe(3);
  });

  it('sends a Python parent only the keys its handlers name, and never changes the input', () => {
    const log = { timestamp: 1, severity: 'WARNING', message: 'hi', path: ['top', 'sim'] };
    expect(payloadForParent(PYTHON_DIALECT, 'log', log)).toEqual({ timestamp: 1, severity: 'WARNING', message: 'hi' });
    expect(log.path).toEqual(['top', 'sim']);
    expect(payloadForParent(PYTHON_DIALECT, 'log', { message: 'only' })).toEqual({ message: 'only' });
  });

  it('keeps protocol in register, the one extension that travels before the dialect is known', () => {
    expect(payloadForParent(PYTHON_DIALECT, 'register', { ident: 'sim', server: '127.0.0.1:1', protocol: 1 })).toEqual({
      ident: 'sim',
      server: '127.0.0.1:1',
      protocol: 1,
    });
  });

  it('produces payloads that still satisfy both the Python shape and the Gator schema', () => {
    for (const action of ['update', 'complete'] as const) {
      const payload = action === 'update' ? { ident: 'a', summary: full, result: 1 } : { ident: 'a', code: 0, result: 1, summary: full };
      const sent = payloadForParent(PYTHON_DIALECT, action, payload as never);
      expect(PYTHON_REQUESTS[action].safeParse(sent).success).toBe(true);
      expect(ACTIONS[action].request.safeParse(sent).success).toBe(true);
      expect(Object.keys((sent as { summary: object }).summary).sort()).toEqual(['failed_ids', 'metrics', 'running_ids']);
    }
  });
});

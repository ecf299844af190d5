/**
 * A tier under a Python Gator parent (its `register` reply carries no
 * protocol version) sends it only what Python's `Summary(**summary)` and
 * handlers take; under a Gator parent, Gator's extensions too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, group, job } from '@gator/protocol';
import { fakeParent, removeTempDirs, startRoot } from './helpers/harness.js';

afterAll(removeTempDirs);

const keys = (o: object) => Object.keys(o).sort();

describe("a tier speaks its parent's dialect", () => {
  it.each([
    ['Python Gator', true],
    ['Gator', false],
  ])('under a %s parent', async (_name, python) => {
    // A failure, a skip (an extension: sub_skipped) and forwarded logs (with `path`, an extension).
    const spec = group({
      ident: 'mid',
      jobs: [
        job({ ident: 'bad', command: 'fail' }),
        job({ ident: 'after', command: 'pass', on_pass: ['bad'] }),
        job({ ident: 'talk', command: 'log', args: ['hello'] }),
      ],
    });
    const token = 'dialect-token';
    const parent = await fakeParent(token, { path: ['top'], python });
    try {
      const run = await startRoot(spec, { parent: parent.connection, token, allMsg: true });
      await run.finished();
      const sent = (action: string) => parent.received.filter((r) => r.action === action).map((r) => r.payload);
      expect(sent('register')[0]).toMatchObject({ ident: 'mid', protocol: PROTOCOL_VERSION });
      const updates = sent('update');
      const [complete] = sent('complete');
      expect(complete).toMatchObject({ ident: 'mid', code: 0, result: 2 });
      expect(complete.summary.metrics).toMatchObject({ sub_total: 4, sub_active: 0, sub_failed: 2 });
      expect(complete.summary.failed_ids).toEqual([['mid', 'bad']]);
      const logs = sent('log');
      expect(logs).toContainEqual(expect.objectContaining({ message: 'hello', severity: 'INFO' }));
      if (python) {
        for (const u of [...updates, complete]) expect(keys(u.summary)).toEqual(['failed_ids', 'metrics', 'running_ids']);
        for (const u of updates) expect(keys(u)).toEqual(['ident', 'result', 'summary']);
        expect(keys(complete)).toEqual(['code', 'ident', 'result', 'summary']);
        for (const l of logs) expect(l.path).toBeUndefined();
      } else {
        expect(complete.summary).toMatchObject({ sub_skipped: 1, skipped: [{ path: ['mid', 'after'] }] });
        expect(complete.reason).toMatch(/bad/);
        expect(logs).toContainEqual(expect.objectContaining({ message: 'hello', path: ['top', 'mid', 'talk'] }));
      }
    } finally {
      await parent.close();
    }
  });
});

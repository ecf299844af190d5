/**
 * loadRecordedRunModel: a finished run's model from its tiers' records is the
 * run model itself (passed jobs keep their tier's clock), and it gives up
 * (undefined) where the records cannot say what the model would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobResult } from '@gator/protocol';
import { eachNode, loadRecordedRunModel, loadRunModel, openLayerStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const T0 = 1_700_000_000;

/** A finished root tier with a passed job, a failed one and one that passed on its second attempt. */
function writeRun(dir: string, options: { finished?: boolean } = {}): void {
  const jobs = [
    { ident: 'ok', result: JobResult.SUCCESS, attempt: 1, messages: 2 },
    { ident: 'bad', result: JobResult.FAILURE, attempt: 1, messages: 1 },
    { ident: 'retried', result: JobResult.SUCCESS, attempt: 2, messages: 1 },
  ];
  const root = openLayerStore({ dir, kind: 'tier' });
  root.setAttribute('ident', 'nightly');
  root.setAttribute('started', T0);
  for (const job of jobs) {
    const jobDir = path.join(dir, job.ident);
    const uidx = root.addChild({ ident: job.ident, dbFile: path.join(jobDir, 'db.sqlite'), expectedChildren: 0 });
    const store = openLayerStore({ dir: jobDir, kind: 'wrapper' });
    store.setAttribute('ident', job.ident);
    store.setAttribute('started', T0 + 1);
    for (let a = 1; a <= job.attempt; a++) {
      const u = store.addAttempt({ attempt: a, started: T0 + a });
      store.updateAttempt(u, { stopped: T0 + a + 0.5, exit: a < job.attempt || job.result !== JobResult.SUCCESS ? 1 : 0, result: a < job.attempt ? JobResult.FAILURE : job.result, reason: null });
    }
    for (let m = 0; m < job.messages; m++) store.addMessage({ severity: job.result === JobResult.FAILURE ? 40 : 20, message: `${job.ident} line ${m}`, timestamp: T0 + 1.1 });
    const own = { msg_critical: 0, msg_error: job.result === JobResult.FAILURE ? job.messages : 0, msg_warning: 0, msg_info: job.result === JobResult.FAILURE ? 0 : job.messages, msg_debug: 0 };
    store.setMetrics('_OWN_', { sub_total: 1, sub_active: 0, sub_passed: job.result === JobResult.SUCCESS ? 1 : 0, sub_failed: job.result === JobResult.SUCCESS ? 0 : 1, ...own });
    store.setAttribute('exit', job.result === JobResult.SUCCESS ? 0 : 1);
    store.setAttribute('result', job.result);
    store.setAttribute('outcome', job.result === JobResult.SUCCESS ? 'passed' : 'failed');
    // As a wrapper records it: why it failed, or on which attempt it passed.
    if (job.result !== JobResult.SUCCESS) store.setAttribute('reason', 'exited with code 1');
    else if (job.attempt > 1) store.setAttribute('reason', `passed on attempt ${job.attempt}`);
    store.setAttribute('stopped', T0 + job.attempt + 0.5);
    store.close();
    root.updateChild(uidx, { serverUrl: '127.0.0.1:1', started: T0 + 1.004, updated: T0 + job.attempt + 0.503, stopped: T0 + job.attempt + 0.503, result: job.result });
    root.setMetrics(job.ident, { sub_total: 1, ...own });
  }
  const summary = {
    metrics: { sub_total: 4 },
    failed_ids: [['nightly', 'bad']],
    running_ids: [],
    failures: [{ path: ['nightly', 'bad'], reason: 'exited with code 1', kind: 'exit' }],
    retried: [{ path: ['nightly', 'retried'], attempt: 2, result: JobResult.SUCCESS }],
    jobs: { total: 3, passed: 2, failed: 1, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 },
  };
  root.setAttribute('summary', JSON.stringify(summary));
  root.setAttribute('result', JobResult.FAILURE);
  root.setAttribute('outcome', 'failed');
  if (options.finished !== false) root.setAttribute('stopped', T0 + 5);
  root.close();
}

describe('loadRecordedRunModel', () => {
  it('reads a finished run from its records as the run model does (a passed job on its tier’s clock)', () => {
    const dir = tempDir();
    writeRun(dir);
    const full = loadRunModel(dir);
    const recorded = loadRecordedRunModel(dir);
    expect(recorded).toBeDefined();
    for (const key of ['totals', 'messages', 'failures', 'verdict', 'outcome'] as const) expect(recorded![key], key).toEqual(full[key]);
    const byIdent = (m: typeof full) => new Map([...eachNode(m.root)].map((n) => [n.ident, n]));
    const [a, b] = [byIdent(recorded!), byIdent(full)];
    // Not passed: built from its own database, as the model builds it.
    expect(a.get('bad')).toEqual(b.get('bad'));
    for (const ident of ['ok', 'retried']) {
      expect(a.get(ident)).toMatchObject({ outcome: 'passed', messages: b.get(ident)!.messages, reason: b.get(ident)!.reason ?? null, exit: null });
      expect(a.get(ident)!.attempts.at(-1)!.attempt).toBe(b.get(ident)!.attempts.at(-1)!.attempt);
      expect(a.get(ident)!.started).toBeCloseTo(T0 + 1.004, 6);
    }
  });

  it('gives up on a run still going, and on a layer on disk that no row names', () => {
    const live = tempDir();
    writeRun(live, { finished: false });
    expect(loadRecordedRunModel(live)).toBeUndefined();

    const extra = tempDir();
    writeRun(extra);
    const stray = openLayerStore({ dir: path.join(extra, 'stray'), kind: 'wrapper' });
    stray.setAttribute('ident', 'stray');
    stray.close();
    expect(loadRecordedRunModel(extra)).toBeUndefined();
    // The model finds it on disk.
    expect([...eachNode(loadRunModel(extra).root)].map((n) => n.ident)).toContain('stray');

    const gone = tempDir();
    writeRun(gone);
    fs.rmSync(path.join(gone, 'ok'), { recursive: true });
    expect(loadRecordedRunModel(gone)).toBeUndefined();
  });
});

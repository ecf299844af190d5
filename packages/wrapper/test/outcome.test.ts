// The job's end in the run model (docs/run-model.md): its outcome and failure
// kind recorded beside `result`, its tally in every summary, and why it failed
// as a notice apart from its own messages.
import { afterAll, describe, expect, it } from 'vitest';
import { JobResult, Severity, tallyOf } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { runWrapper } from '../src/index.js';
import { FakeParent, bashJob, removeTempDirs, runJob, tempDir } from './helpers.js';

afterAll(removeTempDirs);

describe('outcome', () => {
  it('a job that prints one error line has one error, and why it failed is a notice', async () => {
    const { outcome, attributes, messages, tracking, events } = await runJob(bashJob('echo broken >&2'));
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.summary.metrics.msg_error).toBe(1);
    expect(messages.filter((m) => m.severity >= Severity.ERROR).map((m) => m.message)).toEqual(['broken']);
    expect(attributes).toMatchObject({ result: '2', outcome: 'failed', outcome_kind: 'errors' });
    expect(outcome.summary.jobs).toEqual(tallyOf('failed'));
    expect(outcome.summary.failures?.[0]).toMatchObject({ kind: 'errors', errors: ['broken'] });
    const reader = openLayerReader(tracking);
    try {
      expect(reader.notices().map((n) => [n.kind, n.path, n.message])).toEqual([['failed', '', `Job failed: ${outcome.reason}`]]);
      expect(reader.metrics().msg_error).toBe(1);
    } finally {
      reader.close();
    }
    // The renderer hears it as a notice, never as a message.
    expect(events.filter((e) => e.type === 'message' && e.severity >= Severity.ERROR)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'notice')).toEqual([expect.objectContaining({ kind: 'failed', path: ['job'] })]);
  });

  it('a passing job records outcome passed, a tally of one passed job and no notice', async () => {
    const { outcome, attributes, tracking } = await runJob(bashJob('echo fine'));
    expect(attributes.outcome).toBe('passed');
    expect(attributes.outcome_kind).toBeUndefined();
    expect(outcome.summary.jobs).toEqual(tallyOf('passed'));
    const reader = openLayerReader(tracking);
    expect(reader.notices()).toEqual([]);
    reader.close();
  });

  it.each([
    ['exit', bashJob('exit 3')],
    ['timeout', bashJob('sleep 30', { timeout: 0.5 })],
    ['launch', bashJob('true', { cwd: '/nonexistent/dir' })],
  ] as const)('records the failure kind %s, and sends it up in the Failure record', async (kind, spec) => {
    const parent = await FakeParent.start();
    const connection = await parent.connect();
    try {
      const tracking = tempDir();
      const outcome = await runWrapper({ spec, ident: 'job', tracking, parent: connection, interval: 0.2 });
      expect(outcome.result).toBe(JobResult.FAILURE);
      const reader = openLayerReader(tracking);
      try {
        expect(reader.attributes()).toMatchObject({ outcome: 'failed', outcome_kind: kind });
        expect(reader.notices({ kind: 'failed' })).toHaveLength(1);
        expect(reader.metrics().msg_error).toBe(0);
      } finally {
        reader.close();
      }
      const sent = parent.completes[0]!.summary;
      expect(sent.jobs).toEqual(tallyOf('failed'));
      expect(sent.failures?.[0]).toMatchObject({ path: ['job'], kind });
      // Heartbeats carried the job as pending or running, never as ended.
      for (const update of parent.updates.slice(0, -1)) expect(update.summary.jobs!.passed + update.summary.jobs!.failed).toBe(0);
    } finally {
      connection.close();
      await parent.close();
    }
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobResult, Severity, job } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { runWrapper } from '../src/index.js';
import { FakeParent, bashJob, nodeJob, removeTempDirs, runJob, tempDir } from './helpers.js';

afterAll(removeTempDirs);

describe('verdict', () => {
  it('passes a job that exits 0 with only stdout, and records the attributes in order', async () => {
    const { outcome, attributes, messages, tracking } = await runJob(bashJob('echo hello; echo world'));
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(outcome.code).toBe(0);
    expect(outcome.reason).toBeUndefined();
    expect(outcome.attempts).toBe(1);
    expect(messages.filter((m) => m.severity === Severity.INFO).map((m) => m.message)).toEqual(['hello', 'world']);
    expect(attributes).toMatchObject({ ident: 'job', uidx: '0', root: '0', path: '', exit: '0', result: '1', req_cores: '0', req_memory: '0', req_licenses: '' });
    expect(attributes.cmd).toBe("bash -c 'echo hello; echo world'");
    expect(JSON.parse(attributes.argv)).toEqual(['bash', '-c', 'echo hello; echo world']);
    expect(Number(attributes.pid)).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(tracking, 'spec.yaml'), 'utf8')).toContain('!Job');
    expect(fs.readFileSync(path.join(tracking, `raw_${attributes.pid}.log`), 'utf8')).toBe('hello\nworld\n');
    const log = fs.readFileSync(path.join(tracking, 'messages.log'), 'utf8');
    expect(log).toMatch(/\[INFO {3}\] hello/);
    expect(fs.statSync(tracking).mode & 0o777).toBe(0o700);
    const reader = openLayerReader(tracking);
    const names = reader.metricRows().filter((r) => r.scope === '_OWN_').map((r) => r.name);
    expect(names.slice(0, 9)).toEqual(['sub_total', 'sub_active', 'sub_passed', 'sub_failed', 'msg_critical', 'msg_error', 'msg_warning', 'msg_info', 'msg_debug']);
    expect(reader.metrics('_OWN_')).toMatchObject({ sub_total: 1, sub_active: 0, sub_passed: 1, sub_failed: 0, msg_info: 2 });
    reader.close();
  });

  it('fails a job that exits 0 after a stderr line', async () => {
    const { outcome, attributes } = await runJob(bashJob('echo oops >&2'));
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.code).toBe(0);
    expect(outcome.reason).toBe('1 ERROR message (limit 0): oops');
    expect(attributes.reason).toBe(outcome.reason);
    expect(attributes.result).toBe('2');
    // Why it failed is a notice, not one of its errors (Python logs and counts an ERROR here).
    expect(outcome.summary.metrics.msg_error).toBe(1);
    expect(outcome.summary.failures?.[0]).toMatchObject({ path: ['job'], reason: outcome.reason, errors: ['oops'], signature: 'oops' });
    expect(outcome.summary.failed_ids).toEqual([['job']]);
  });

  it('fails a job that exits 3', async () => {
    const { outcome, attributes } = await runJob(bashJob('exit 3'));
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.code).toBe(3);
    expect(outcome.reason).toBe('exited with code 3');
    expect(attributes).toMatchObject({ exit: '3', result: '2', reason: 'exited with code 3' });
  });

  it('reports both a bad exit code and an error line', async () => {
    const { outcome } = await runJob(bashJob('echo broken >&2; exit 1'));
    expect(outcome.reason).toBe('exited with code 1; 1 ERROR message (limit 0): broken');
  });

  it('passes a job with a WARNING under its limit', async () => {
    const { outcome } = await runJob(
      job({ ident: 'job', command: 'bash', args: ['-c', 'echo "UVM_WARNING x: careful"'], log_rules: [{ preset: 'uvm' }] }),
      { limits: { warning: 1 } },
    );
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(outcome.summary.metrics.msg_warning).toBe(1);
  });

  it('fails on a WARNING over its limit and passes errors under raised limits', async () => {
    const over = await runJob(bashJob('echo w1; echo w2', { log_rules: [{ pattern: '^w', severity: 'WARNING' }] }), { limits: { warning: 1 } });
    expect(over.outcome.result).toBe(JobResult.FAILURE);
    expect(over.outcome.reason).toBe('2 WARNING messages (limit 1): w1');
    const under = await runJob(bashJob('echo e1 >&2; echo e2 >&2'), { limits: { error: 2 } });
    expect(under.outcome.result).toBe(JobResult.SUCCESS);
  });

  it('fails an ERROR over the error limit with the first error line', async () => {
    const { outcome, attributes } = await runJob(bashJob('echo first >&2; echo second >&2; echo third >&2'), { limits: { error: 2 } });
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.reason).toBe('3 ERROR messages (limit 2): first');
    expect(attributes.reason).toBe(outcome.reason);
  });

  it('reports a signal as a negative exit code', async () => {
    // `\$` keeps Gator from expanding `$$` (the wrapper's own pid) before bash sees it.
    const { outcome, attributes } = await runJob(bashJob('kill -9 \\$\\$'));
    expect(outcome.code).toBe(-9);
    expect(outcome.reason).toBe('killed by SIGKILL');
    expect(attributes.exit).toBe('-9');
  });

  it('fails a command that cannot start with a CRITICAL message and code 255', async () => {
    const { outcome, attributes, messages } = await runJob(job({ ident: 'job', command: '/nonexistent/program' }));
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.code).toBe(255);
    expect(outcome.reason).toMatch(/^could not start \/nonexistent\/program: command not found/);
    expect(attributes).toMatchObject({ pid: '0', exit: '255', result: '2' });
    expect(messages.find((m) => m.severity === Severity.CRITICAL)?.message).toMatch(/^Caught exception launching job: command not found/);
  });

  it('fails a missing working directory clearly', async () => {
    const { outcome } = await runJob(bashJob('true', { cwd: '/nonexistent/dir' }));
    expect(outcome.reason).toBe('could not start bash: working directory /nonexistent/dir does not exist');
  });

  it('fails on a variable expansion error with its reason', async () => {
    // An unclosed `${` is a spec error now; what can only fail when the job starts is a `:?` on an unset variable.
    const { outcome, attributes } = await runJob(bashJob('echo ${GATOR_TEST_UNSET_VARIABLE:?must be set}'));
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.code).toBe(255);
    expect(outcome.reason).toMatch(/^could not expand the command: /);
    expect(attributes.exit).toBe('255');
  });

  it('a database that cannot be opened fails the job without a crash, and the parent hears why', async () => {
    const dir = tempDir();
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, 'not a directory');
    const events: string[] = [];
    const parent = await FakeParent.start();
    const connection = await parent.connect();
    try {
      const outcome = await runWrapper({
        spec: nodeJob('console.log(1)'),
        ident: 'job',
        tracking: path.join(blocker, 'job'),
        parent: connection,
        onEvent: (e) => e.type === 'notice' && events.push(e.message),
      });
      expect(outcome.result).toBe(JobResult.FAILURE);
      expect(outcome.reason).toMatch(/^database error: /);
      expect(outcome.code).toBe(255);
      expect(events.some((m) => m.startsWith('Job failed: database error'))).toBe(true);
      expect(parent.registers).toHaveLength(1);
      expect(parent.completes[0]).toMatchObject({ result: JobResult.FAILURE, code: 255, reason: outcome.reason });
    } finally {
      connection.close();
      await parent.close();
    }
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobResult, Severity, job } from '@gator/protocol';
import { type ProcStatRow, openLayerReader } from '@gator/db';
import { createWrapper } from '../src/index.js';
import { FIXTURES, bashJob, nodeJob, removeTempDirs, runJob, tempDir, waitFor } from './helpers.js';

afterAll(removeTempDirs);

describe('job output', () => {
  it('stores every one of 1,000,000 stdout lines', async () => {
    const { outcome, tracking } = await runJob(job({ ident: 'job', command: 'seq', args: [1, 1_000_000] }), { onEvent: undefined });
    expect(outcome.result).toBe(JobResult.SUCCESS);
    const reader = openLayerReader(tracking);
    try {
      expect(reader.countMessages({ minSeverity: Severity.INFO })).toBe(1_000_000);
      const last = reader.messages({ order: 'desc', limit: 1, minSeverity: Severity.INFO });
      expect(last[0]!.message).toBe('1000000');
    } finally {
      reader.close();
    }
    expect(outcome.summary.metrics.msg_info).toBe(1_000_000);
  });

  it('keeps the head and the tail of an output over output_limit, counts every line, and records what was dropped (issue 17)', async () => {
    const { outcome, messages, attributes, tracking, events } = await runJob(
      bashJob('seq 1 20000; echo "the last word" >&2; exit 3', { output_limit: { lines: 100, bytes: 64 * 1024 } }),
      { limits: { error: 5 } },
    );
    const stored = messages.map((m) => m.message);
    // 90 lines of head, 10 of tail: the end of the job (its error) is there.
    expect(stored.slice(0, 90)).toEqual(Array.from({ length: 90 }, (_, i) => String(i + 1)));
    expect(stored.slice(90)).toEqual([...Array.from({ length: 9 }, (_, i) => String(19992 + i)), 'the last word']);
    expect(attributes.output_dropped_lines).toBe(String(20001 - 100));
    // Counted all the same: the verdict sees every line.
    expect(outcome.summary.metrics.msg_info).toBe(20000);
    expect(outcome.summary.metrics.msg_error).toBe(1);
    expect(outcome.code).toBe(3);
    const reader = openLayerReader(tracking);
    try {
      const notices = reader.notices().map((n) => n.message);
      expect(notices.some((n) => n.startsWith('Output limit reached (output_limit: 100 lines, 64 KiB)'))).toBe(true);
      expect(notices.some((n) => n.startsWith('Output over its limit: 19,901 lines'))).toBe(true);
    } finally {
      reader.close();
    }
    expect(events.some((e) => e.type === 'notice' && e.message.startsWith('Output limit reached'))).toBe(true);
    // messages.log and the raw log are within the limit too.
    // Its header line and the 100 lines.
    expect(fs.readFileSync(path.join(tracking, 'messages.log'), 'utf8').trim().split('\n')).toHaveLength(101);
    const raw = fs.readFileSync(path.join(tracking, `raw_${attributes.pid}.log`), 'utf8');
    expect(Buffer.byteLength(raw)).toBeLessThan(64 * 1024 + 200);
    expect(raw.startsWith('1\n2\n')).toBe(true);
    expect(raw).toMatch(/\[gator: \d+ bytes of output dropped here: over the job's output limit\]/);
    expect(raw.trimEnd().endsWith('the last word')).toBe(true);
  });

  it('caps by bytes as well as lines', async () => {
    const { messages, attributes } = await runJob(nodeJob("for (let i = 0; i < 2000; i++) console.log(String(i).padStart(100, '.'))", { output_limit: { bytes: 20_000 } }));
    const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m.message), 0);
    expect(bytes).toBeLessThanOrEqual(20_000);
    expect(messages[0]!.message.endsWith('.0')).toBe(true);
    expect(messages[messages.length - 1]!.message.endsWith('1999')).toBe(true);
    expect(Number(attributes.output_dropped_bytes)).toBeGreaterThan(150_000);
  });

  it('splits lines across chunks, keeps a last line without newline, strips CRLF, decodes invalid UTF-8', async () => {
    const { messages, attributes, tracking } = await runJob(
      job({ ident: 'job', command: process.execPath, args: [path.join(FIXTURES, 'chunks.mjs')] }),
      { limits: { error: 10 } },
    );
    const out = messages.filter((m) => m.severity === Severity.INFO).map((m) => m.message);
    const err = messages.filter((m) => m.severity === Severity.ERROR).map((m) => m.message);
    expect(out).toEqual(['split across chunks', 'crlf line', 'euro € sign', 'bad \ufffd byte', 'no newline at the end']);
    expect(err).toEqual(['error split', 'err crlf']);
    const raw = fs.readFileSync(path.join(tracking, `raw_${attributes.pid}.log`));
    expect(raw.includes(Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff]))).toBe(true);
    expect(raw.toString('latin1').endsWith('no newline at the end')).toBe(true);
  });

  it('cuts very long lines at the cap and records the truncation', async () => {
    const { messages } = await runJob(nodeJob("process.stdout.write('y'.repeat(300000) + '\\nshort\\n')"), { maxLineBytes: 1000 });
    const info = messages.filter((m) => m.severity === Severity.INFO).map((m) => m.message);
    expect(info).toEqual([`${'y'.repeat(1000)} … [truncated 299000 bytes]`, 'short']);
  });

  it('applies log rules to both streams and honours stderr_severity', async () => {
    const { messages, outcome } = await runJob(
      bashJob('echo "UVM_ERROR top: broken"; echo "note: fine" >&2; echo "plain"', {
        log_rules: [{ pattern: '^note:', severity: 'INFO' }, { preset: 'uvm' }],
        stderr_severity: 'WARNING',
      }),
    );
    const bySeverity = Object.fromEntries(messages.filter((m) => !m.message.startsWith('Job failed') && !m.message.includes('exceeds')).map((m) => [m.message, m.severity]));
    expect(bySeverity).toEqual({ 'UVM_ERROR top: broken': Severity.ERROR, 'note: fine': Severity.INFO, plain: Severity.INFO });
    expect(outcome.reason).toBe('1 ERROR message (limit 0): UVM_ERROR top: broken');
    const warned = await runJob(bashJob('echo careful >&2', { stderr_severity: 'warning' }));
    expect(warned.messages[0]).toMatchObject({ severity: Severity.WARNING, message: 'careful' });
    expect(warned.outcome.result).toBe(JobResult.SUCCESS);
  });

  it('gives the job /dev/null as stdin, the overlaid environment and its cwd', async () => {
    const cwd = path.join(FIXTURES);
    process.env.GATOR_INTERNAL_SECRET = 'hidden';
    try {
      const { messages, outcome, attributes } = await runJob(
        bashJob('cat; echo "path=${PATH:+set} token=${GATOR_TOKEN:-none} internal=${GATOR_INTERNAL_SECRET:-none} custom=$CUSTOM"; echo "cwd=$(pwd)"; echo "parent=${GATOR_PARENT}"; echo "jobpath=$GATOR_JOB_PATH unbuf=$PYTHONUNBUFFERED"'.replace(/\$/g, '\\$'), {
          env: { CUSTOM: 'from spec' },
          cwd,
        }),
        { token: 'tok123' },
      );
      expect(outcome.result).toBe(JobResult.SUCCESS);
      const text = messages.map((m) => m.message);
      expect(text[0]).toBe('path=set token=none internal=none custom=from spec');
      expect(text[1]).toBe(`cwd=${cwd}`);
      // Its own wrapper's job token, not the run's read token.
      expect(text[2]).toMatch(/^parent=127\.0\.0\.1:\d+\/[\w-]{20,}$/);
      expect(text[2]).not.toContain('tok123');
      expect(text[3]).toBe('jobpath=job unbuf=1');
      expect(attributes.cwd).toBe(cwd);
      expect(JSON.parse(attributes.env)).toEqual({ CUSTOM: 'from spec' });
    } finally {
      delete process.env.GATOR_INTERNAL_SECRET;
    }
  });

  it('expands variables in command and args against the job environment', async () => {
    const { messages, attributes } = await runJob(job({ ident: 'job', command: 'echo', args: ['${GREETING}', '$WHO', 'cost \\$5'], env: { GREETING: 'hello', WHO: 'world' } }));
    expect(messages[0]!.message).toBe('hello world cost $5');
    expect(attributes.cmd).toBe("echo hello world 'cost $5'");
  });

  it('samples the resources of the job tree', async () => {
    const tracking = path.join(tempDir(), 'job');
    const wrapper = createWrapper({ spec: bashJob('sleep 300 & sleep 300 & wait'), ident: 'job', tracking, interval: 0.1, stopGraceMs: 1000 });
    const running = wrapper.run();
    let stats: ProcStatRow[] = [];
    await waitFor(() => {
      if (!fs.existsSync(path.join(tracking, 'db.sqlite'))) return false;
      const reader = openLayerReader(tracking);
      try {
        stats = reader.procStats();
      } finally {
        reader.close();
      }
      return stats.some((s) => s.nproc === 3);
    });
    wrapper.stop();
    await running;
    const three = stats.find((s) => s.nproc === 3)!;
    expect(three.mem).toBeGreaterThan(0);
    expect(three.vmem).toBeGreaterThan(three.mem);
    expect(three.cpu).toBeGreaterThanOrEqual(0);
  });
});

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobResult, Severity, connect, job } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { createWrapper } from '../src/index.js';
import { type Bundle, bundle } from './bundle.js';
import { FIXTURES, bashJob, removeTempDirs, runJob, tempDir, waitFor } from './helpers.js';

let built: Bundle;
beforeAll(async () => {
  built = await bundle();
});
afterAll(() => {
  built?.remove();
  removeTempDirs();
});

function pythonWithWebsockets(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(candidate, ['-c', 'import websockets'], { stdio: 'ignore' });
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

describe('job API', () => {
  it('stores exactly the 10,000 messages a job posts through the client, with their severities, and its metrics', async () => {
    const { outcome, tracking } = await runJob(
      job({ ident: 'job', command: process.execPath, args: [path.join(FIXTURES, 'client-job.mjs')], env: { CLIENT_MODULE: built.client, MESSAGES: 10000 } }),
      { limits: { error: 100_000, critical: 100_000 }, onEvent: undefined },
    );
    expect(outcome.result).toBe(JobResult.SUCCESS);
    const reader = openLayerReader(tracking);
    try {
      const api = reader.messages({ grep: /^message \d+$/, limit: 100_000 });
      expect(api).toHaveLength(10_000);
      const bySeverity = new Map<number, number>();
      for (const m of api) bySeverity.set(m.severity, (bySeverity.get(m.severity) ?? 0) + 1);
      expect(Object.fromEntries(bySeverity)).toEqual({ 10: 2000, 20: 2000, 30: 2000, 40: 2000, 50: 2000 });
      expect(api[4]!.severity).toBe(Severity.CRITICAL);
      expect(api.map((m) => m.message)).toEqual(Array.from({ length: 10_000 }, (_, i) => `message ${i}`));
      expect(reader.metrics('_OWN_')).toMatchObject({ items: 42, coverage: 87.5 });
    } finally {
      reader.close();
    }
    expect(outcome.summary.metrics).toMatchObject({ items: 42, coverage: 87.5, msg_critical: 2000, msg_error: 2000 });
    expect(outcome.summary.stats).toEqual({ items: { count: 1, sum: 42, min: 42, max: 42 }, coverage: { count: 1, sum: 87.5, min: 87.5, max: 87.5 } });
    // API messages are in messages.log too (Python leaves them out).
    expect(fs.readFileSync(path.join(tracking, 'messages.log'), 'utf8')).toContain('[CRITICAL] message 9999');
  });

  it('serves a Python job that uses only `websockets`', async () => {
    const python = pythonWithWebsockets();
    if (!python) {
      // Debian's python3-websockets: `bash scripts/test-setup.sh` installs it.
      expect.fail('python3 with the websockets module is required (run scripts/test-setup.sh)');
    }
    const { outcome, messages, attributes } = await runJob(job({ ident: 'job', command: python!, args: [path.join(FIXTURES, 'python-job.py')] }));
    expect(outcome.result).toBe(JobResult.SUCCESS);
    const text = messages.map((m) => [m.severity, m.message, m.timestamp]);
    expect(text).toContainEqual([Severity.WARNING, 'from python', expect.any(Number)]);
    expect(text).toContainEqual([Severity.INFO, 'acked', 1700000000]);
    expect(messages.find((m) => m.message.startsWith('metric reply'))?.message).toContain('"result":"success"');
    expect(messages.find((m) => m.message.startsWith('log reply'))?.message).toContain('"result":"success"');
    expect(outcome.summary.metrics.py_metric).toBe(5);
    expect(attributes.result).toBe('1');
  });

  it("serves a Python job that splits GATOR_PARENT into host and port (GATOR_PARENT_HOST/PORT/TOKEN)", async () => {
    const python = pythonWithWebsockets();
    if (!python) expect.fail('python3 with the websockets module is required (run scripts/test-setup.sh)');
    const { outcome, messages } = await runJob(job({ ident: 'job', command: python!, args: [path.join(FIXTURES, 'python-split-job.py')] }));
    expect(outcome.result, messages.map((m) => m.message).join('\n')).toBe(JobResult.SUCCESS);
    expect(messages.map((m) => m.message)).toContain('split ok');
    expect(outcome.summary.metrics).toMatchObject({ way_1: 1, way_2: 2 });
  });

  it('answers and records hostile frames, refuses a wrong token, serves get_messages and resolve', async () => {
    const dir = tempDir();
    const release = path.join(dir, 'release');
    const tracking = path.join(dir, 'job');
    const token = 'the-run-token';
    const wrapper = createWrapper({
      spec: bashJob(`echo started; while [ ! -e ${release} ]; do sleep 0.05; done; echo done`),
      ident: 'job',
      tracking,
      token,
      interval: 0.2,
    });
    const running = wrapper.run();
    await waitFor(() => wrapper.address !== undefined);
    const address = wrapper.address!;

    await expect(connect(`${address}/wrong`)).rejects.toMatchObject({ code: 'GATOR_PROTOCOL_UNAUTHORIZED' });
    await expect(connect(address)).rejects.toMatchObject({ code: 'GATOR_PROTOCOL_UNAUTHORIZED' });
    // The run's read token only reads.
    const readerClient = await connect(`${address}/${token}`);
    await expect(readerClient.request('log', { message: 'forged' })).rejects.toThrow(/read token/);
    await expect(readerClient.request('metric', { name: 'forged', value: 1 })).rejects.toThrow(/read token/);
    readerClient.close();

    // The job's own token: the whole job API.
    const socket = new WebSocket(`ws://${wrapper.jobAddress!}`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const replies: Record<string, unknown>[] = [];
    socket.on('message', (data) => replies.push(JSON.parse(String(data))));
    socket.send('this is not json');
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    socket.send('[1, 2]');
    socket.send(JSON.stringify({ action: 'frobnicate', req_id: 5 }));
    socket.send(JSON.stringify({ action: 'metric', req_id: 6, payload: { name: 'x' } }));
    socket.send(JSON.stringify({ action: 'metric', req_id: 7, payload: { name: 'good', value: 1 } }));
    socket.send(JSON.stringify({ action: 'log', req_id: 8, payload: { severity: 'nonsense', message: 'unknown severity' } }));
    socket.send(JSON.stringify({ action: 'log', posted: true, payload: { message: 'z'.repeat(70_000) } }));
    await waitFor(() => replies.length >= 7);
    socket.close();
    expect(replies).toContainEqual({ result: 'error', rsp_id: 5, reason: "Unknown action 'frobnicate'" });
    expect(replies).toContainEqual(expect.objectContaining({ result: 'error', rsp_id: 6 }));
    expect(replies).toContainEqual({ action: 'metric', rsp_id: 7, result: 'success', payload: { result: 'success' } });
    expect(replies).toContainEqual({ action: 'log', rsp_id: 8, result: 'success', payload: {} });
    expect(replies.filter((r) => r.result === 'error')).toHaveLength(5);

    const client = await connect(`${address}/${token}`);
    const page = await client.request('get_messages', { after: 0, limit: 2 });
    expect(page.status).toBe(2);
    expect(page.messages).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(7);
    expect(page.messages[0]).toMatchObject({ uid: 1, severity: expect.any(Number), message: expect.any(String), timestamp: expect.any(Number) });
    expect(Number.isInteger(page.messages[0]!.timestamp)).toBe(true);
    const self = await client.request('resolve', { root_path: [] });
    expect(self).toMatchObject({ ident: 'job', status: 2, server_url: address, children: [], expected_children: 0, result: 0, path: [] });
    expect(self.metrics).toMatchObject({ sub_total: 1, sub_active: 1, good: 1 });
    await expect(client.request('resolve', { root_path: ['nope'] })).rejects.toMatchObject({ code: 'GATOR_PROTOCOL_REMOTE_ERROR' });
    client.close();

    fs.writeFileSync(release, '');
    const outcome = await running;
    expect(outcome.result).toBe(JobResult.SUCCESS);
    const reader = openLayerReader(tracking);
    try {
      const warnings = reader.messages({ minSeverity: Severity.WARNING, limit: 100 }).map((m) => m.message);
      expect(warnings.filter((m) => m.startsWith('Rejected frame from job: '))).toHaveLength(5);
      // Refused connections are not warnings against the job: the first told at INFO, the rest counted.
      expect(warnings.filter((m) => m.startsWith('Refused '))).toHaveLength(0);
      const refusals = reader.messages({ grep: /^Refused /, limit: 100 }).map((m) => m.message);
      expect(refusals).toEqual([expect.stringMatching(/^Refused a connection from 127\.0\.0\.1:\d+: wrong credential$/), 'Refused 1 more connection without a valid credential (2 in all)']);
      expect(warnings).toContainEqual(expect.stringMatching(/^Rejected frame from job: Frame is not valid JSON/));
      expect(reader.messages({ grep: 'unknown severity' })[0]!.severity).toBe(Severity.INFO);
      // API messages get the line cap too.
      expect(reader.messages({ grep: /^z+ … \[truncated \d+ bytes\]$/ })[0]!.message).toBe(`${'z'.repeat(65_536)} … [truncated 4464 bytes]`);
    } finally {
      reader.close();
    }
  });

  it('the client says clearly when GATOR_PARENT is unset', async () => {
    const { connectJobClient } = await import('../src/client/index.js');
    const saved = process.env.GATOR_PARENT;
    delete process.env.GATOR_PARENT;
    try {
      await expect(connectJobClient()).rejects.toMatchObject({ code: 'GATOR_CLIENT_NO_PARENT', message: expect.stringContaining('GATOR_PARENT is not set') });
    } finally {
      if (saved !== undefined) process.env.GATOR_PARENT = saved;
    }
  });
});

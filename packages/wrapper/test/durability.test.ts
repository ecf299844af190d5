import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { type Bundle, bundle } from './bundle.js';
import { alive, bashJob, removeTempDirs, tempDir, waitFor } from './helpers.js';

let built: Bundle;
beforeAll(async () => {
  built = await bundle();
});
afterAll(() => {
  built?.remove();
  removeTempDirs();
});

describe('durability', () => {
  it('every acknowledged (non-posted) log survives a kill -9 of the wrapper', async () => {
    const tracking = path.join(tempDir(), 'job');
    const token = 'durable-token';
    const launcher = spawn(process.execPath, [built.launcher, JSON.stringify({ spec: bashJob('sleep 300'), ident: 'job', tracking, token })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    launcher.stdout.on('data', (d) => (output += String(d)));
    let jobPid = 0;
    try {
      await waitFor(() => /STARTED \d+ \S+\n/.test(output));
      const [, pid, address] = /STARTED (\d+) (\S+)\n/.exec(output)!;
      jobPid = Number(pid);
      const client = await connect(address, { keepAliveMs: 0 });
      const acked = await Promise.all(
        Array.from({ length: 500 }, (_, i) => client.request('log', { severity: 'WARNING', message: `acknowledged ${i}` })),
      );
      expect(acked).toHaveLength(500);
      const exited = new Promise((resolve) => launcher.once('exit', resolve));
      launcher.kill('SIGKILL');
      await exited;
      client.terminate();
    } finally {
      if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
      // The job outlives a kill -9'ed wrapper (its own process group): end it here.
      if (jobPid > 0) {
        try {
          process.kill(-jobPid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await waitFor(() => !alive(jobPid));
      }
    }
    const reader = openLayerReader(tracking);
    try {
      const stored = reader.messages({ grep: /^acknowledged \d+$/, limit: 1000 }).map((m) => m.message);
      expect(stored).toHaveLength(500);
      expect(new Set(stored).size).toBe(500);
    } finally {
      reader.close();
    }
  });
});

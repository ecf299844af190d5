// A local tier's end as a ChildExit: its own exit, `stopped` after terminate(), never started
// when it cannot be spawned. And settlesWithin, which bounds close().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildExit, LaunchRequest } from './scheduler.js';
import { fixturePath } from './conformance/fixtures.js';
import { startLocalTier } from './local-tier.js';
import { settlesWithin } from './settles-within.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-local-tier-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function run(command: string[], cwd = root) {
  const request: Pick<LaunchRequest, 'command' | 'cwd' | 'tracking' | 'env'> = { command, cwd, tracking: root, env: {} };
  let started = false;
  let resolve!: (exit: ChildExit) => void;
  const exited = new Promise<ChildExit>((r) => (resolve = r));
  const group = startLocalTier(request, 500, { onStart: () => (started = true), onExit: resolve });
  return { group, exited, started: () => started };
}

describe('startLocalTier', () => {
  it('reports its own exit, and `stopped` once terminated', async () => {
    const plain = run([process.execPath, fixturePath('exits-with'), '3']);
    expect(await plain.exited).toEqual({ code: 3, signal: null });
    expect(plain.started()).toBe(true);
    await plain.group?.gone;
    const sleeper = run([process.execPath, fixturePath('sleeps'), '60000']);
    sleeper.group!.terminate();
    expect(await sleeper.exited).toEqual({ code: null, signal: 'SIGTERM', reason: 'stopped' });
    await sleeper.group!.gone;
  });

  it('a tier that cannot start never started', async () => {
    const lost = run([process.execPath], path.join(root, 'no-such-dir'));
    expect(lost.group).toBeUndefined();
    expect(await lost.exited).toMatchObject({ code: 127, signal: null, neverStarted: true });
  });
});

describe('settlesWithin', () => {
  it('says whether a promise resolved in time', async () => {
    expect(await settlesWithin(Promise.resolve(), 1000)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 10)).toBe(false);
    await expect(settlesWithin(Promise.reject(new Error('no')), 1000)).rejects.toThrow('no');
  });
});

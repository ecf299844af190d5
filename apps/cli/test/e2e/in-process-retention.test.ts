/**
 * Issue 15: with `--sched-arg wrappers=inprocess` the root hosts every job's
 * wrapper, so whatever a hosted wrapper leaves on the process (signal
 * listeners, the raised listener limit, open files such as its scheduler log,
 * sockets, timers) would grow the root per finished job. A probe preloaded into
 * the root reads those when the closing summary is printed (handles and timers as
 * it exits); a run of 3 jobs and one of 15 must end alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gator, tempDir, writeSpec } from '../helpers.js';

const PROBE = `
'use strict';
const fs = require('node:fs');
const out = process.env.GATOR_TEST_PROBE;
const write = process.stdout.write;
let done = false;
process.stdout.write = function (chunk, ...rest) {
  if (out && !done && /^(Passed|Failed)\\b/m.test(String(chunk))) {
    done = true;
    const listeners = {};
    for (const name of process.eventNames()) if (typeof name === 'string') listeners[name] = process.listenerCount(name);
    const atSummary = { listeners, maxListeners: process.getMaxListeners(), fds: fs.readdirSync('/proc/self/fd').length };
    // Handles at the exit: the last wrappers may still be closing their sockets as the summary
    // prints (how many depends on how their ends fell); one that is never closed is still open then.
    process.once('exit', () => {
      const resources = {};
      for (const r of process.getActiveResourcesInfo()) if (r !== 'FSReqCallback') resources[r] = (resources[r] ?? 0) + 1;
      fs.writeFileSync(out, JSON.stringify({ ...atSummary, resources }));
    });
  }
  return write.call(this, chunk, ...rest);
};
`;

interface Probe {
  listeners: Record<string, number>;
  maxListeners: number;
  resources: Record<string, number>;
  fds: number;
}

async function rootAtSummary(dir: string, jobs: number): Promise<Probe> {
  const spec = writeSpec(dir, `many-${jobs}.yaml`, `!JobArray\nident: many\nrepeats: ${jobs}\njobs:\n  - !Job {ident: t, command: "true"}\n`);
  const out = path.join(dir, `probe-${jobs}.json`);
  const run = await gator(['run', spec, '--tracking', `run-${jobs}`, '--sched-arg', 'concurrency=2', '--sched-arg', 'wrappers=inprocess'], {
    cwd: dir,
    env: { NODE_OPTIONS: `--require ${path.join(dir, 'probe.cjs')}`, GATOR_TEST_PROBE: out },
  });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain(`${jobs} passed`);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Probe;
}

describe.runIf(fs.existsSync('/proc/self/fd'))('the root hosting in-process wrappers keeps nothing per finished job', () => {
  it('3 jobs and 15 jobs end with the same listeners, listener limit, handles and open files', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'probe.cjs'), PROBE);
    const small = await rootAtSummary(dir, 3);
    const big = await rootAtSummary(dir, 15);
    expect(big.listeners).toEqual(small.listeners);
    expect(big.listeners.SIGINT ?? 0).toBe(small.listeners.SIGINT ?? 0);
    expect(big.maxListeners).toBe(small.maxListeners);
    expect(big.resources).toEqual(small.resources);
    // One descriptor of slack: a file being written as the summary prints; 12 more jobs leaving theirs would be 12.
    expect(big.fds).toBeLessThanOrEqual(small.fds + 1);
  }, 120_000);
});

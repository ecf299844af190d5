/** Issue 10.1: wall-clock timeouts (inherited from a group) and hang detection, through the CLI. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../helpers.js';
import { attributesOf, runSpec, shown, summaryOf } from './support.js';

const node = JSON.stringify(process.execPath);

describe('timeout and hang_timeout', () => {
  it('stops a job past its (inherited) timeout and a hung job, says why, and leaves none of their processes', async () => {
    const run = await runSpec(`
!JobGroup
ident: reg
timeout: 2s                   # inherited by every job below
jobs:
  - !Job
    ident: slow
    # Busy printing (never hung), but never ends: the timeout stops it.
    command: bash
    args: [-c, "while true; do echo tick; sleep 0.2; done"]
  - !Job
    ident: stuck
    hang_timeout: 2s          # no output and no CPU for 2 s
    timeout: 5m               # its own wins over the group's
    command: bash
    args: [-c, "echo waiting for a lock; sleep 120"]
  - !Job
    ident: busy
    hang_timeout: 1s          # silent but computing: not hung
    timeout: 1m
    command: ${node}
    args: [-e, "const end = Date.now() + 2500; while (Date.now() < end);"]
  - !Job
    ident: quick
    command: bash
    args: [-c, "echo done"]
`);
    expect(run.code, shown(run)).toBe(1);
    const summary = summaryOf(run);
    expect(summary, shown(run)).toMatch(/✖ slow: timed out after 2s/);
    expect(summary, shown(run)).toMatch(/✖ stuck: hung: no output and no CPU for 2s/);
    expect(summary, shown(run)).not.toMatch(/✖ (busy|quick)/);
    expect(summary, shown(run)).toMatch(/Failed {2}2 passed, 2 failed, 0 lost, 0 skipped of 4 jobs/);
    // The live lines say it as it happens.
    expect(run.stdout).toMatch(/✖ failed {2}slow: timed out after 2s/);
    expect(run.stdout).toMatch(/✖ failed {2}stuck: hung: no output and no CPU for 2s/);

    for (const [job, reason] of [
      ['slow', 'timed out after 2s'],
      ['stuck', 'hung: no output and no CPU for 2s'],
    ] as const) {
      const attrs = attributesOf(path.join(run.tracking, job));
      expect(attrs).toMatchObject({ result: '2', reason });
      // Stopped, not left behind: the job's process is gone.
      expect(isAlive(Number(attrs.pid))).toBe(false);
    }
    expect(attributesOf(path.join(run.tracking, 'busy'))).toMatchObject({ result: '1' });
  });

  it('accepts durations as numbers and strings, and rejects a zero timeout before running anything', async () => {
    const bad = await runSpec('!Job {ident: j, command: echo, timeout: 0}\n');
    expect(bad.code, shown(bad)).toBe(2);
    expect(bad.stderr).toMatch(/timeout: expected a positive duration, found 0/);

    const root = await runSpec('!Job {ident: j, command: bash, args: [-c, "sleep 60"], timeout: 1.5}\n');
    expect(root.code, shown(root)).toBe(1);
    expect(summaryOf(root)).toMatch(/Reason: timed out after 1.5s|✖ j: timed out after 1.5s/);
  });
});

/** Issue 10.2: retries (inherited from a group), every attempt recorded apart, the last one decides. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { attributesOf, messagesOf, runSpec, shown, summaryOf } from './support.js';

/** Fails on its first attempt only: a marker in the job's own tracking directory. */
const FLAKY = `bash
    args: [-c, "if [ -e \\"$GATOR_TRACKING/tried\\" ]; then echo second try works; else touch \\"$GATOR_TRACKING/tried\\"; echo first try breaks >&2; exit 1; fi"]`;

describe('retries', () => {
  it('passes a job that fails once then passes, and the summary says "passed on attempt 2"', async () => {
    const run = await runSpec(`
!JobGroup
ident: reg
retries: 2                    # inherited by every job below
jobs:
  - !Job
    ident: flaky
    command: ${FLAKY}
  - !Job
    ident: broken
    retries: 1                # its own wins: two attempts in all
    command: bash
    args: [-c, "echo always breaks >&2; exit 3"]
  - !Job
    ident: steady
    command: echo
    args: [fine]
`);
    expect(run.code, shown(run)).toBe(1);
    const summary = summaryOf(run);
    expect(summary, shown(run)).toMatch(/1 flaky job \(passed only on a retry\):\n {2}↻ flaky: passed on attempt 2/);
    expect(summary, shown(run)).toMatch(/✖ broken: exited with code 3; .*always breaks \(attempt 2\)/);
    expect(summary, shown(run)).not.toMatch(/steady/);
    expect(summary, shown(run)).toMatch(/2 passed, 1 failed/);
    // Said live too, when it happens.
    expect(run.stdout).toMatch(/✔ passed {2}flaky: passed on attempt 2/);

    const flaky = path.join(run.tracking, 'flaky');
    expect(attributesOf(flaky)).toMatchObject({ result: '1', attempts: '2', reason: 'passed on attempt 2' });
    const reader = openLayerReader(flaky);
    try {
      expect(reader.attempts().map((a) => [a.attempt, a.exit, a.result])).toEqual([
        [1, 1, 2],
        [2, 0, 1],
      ]);
    } finally {
      reader.close();
    }
    // Each attempt's messages are kept apart.
    expect(messagesOf(flaky, 1)).toContain('ERROR first try breaks');
    expect(messagesOf(flaky, 1)).not.toContain('INFO second try works');
    expect(messagesOf(flaky, 2)).toContain('INFO second try works');
    expect(messagesOf(flaky, 2)).not.toContain('ERROR first try breaks');

    expect(attributesOf(path.join(run.tracking, 'broken'))).toMatchObject({ result: '2', attempts: '2' });
    expect(attributesOf(path.join(run.tracking, 'steady'))).toMatchObject({ result: '1', attempts: '1' });
  });

  it('says "passed on attempt 2" for a root !Job too, and exits 0', async () => {
    const run = await runSpec(`!Job\nident: flaky\nretries: 1\ncommand: ${FLAKY.replace('\n    ', '\n')}\n`);
    expect(run.code, shown(run)).toBe(0);
    expect(summaryOf(run)).toMatch(/↻ flaky: passed on attempt 2/);
    expect(summaryOf(run)).toMatch(/^Passed {2}1 passed/m);
  });
});

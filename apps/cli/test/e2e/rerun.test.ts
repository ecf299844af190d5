/** `gator run SPEC --rerun-failed [RUN]` runs exactly the failed jobs and their dependants. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gator, tempDir, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';

describe('--rerun-failed', () => {
  it('reruns the two failed jobs and their dependants, nothing else', async () => {
    const dir = tempDir();
    const ran = path.join(dir, 'ran');
    const fixed = path.join(dir, 'fixed');
    // Every job appends its name to `ran`, so what ran in each run is on record.
    const job = (name: string, extra = '', body = 'true') =>
      `{ident: ${name}, command: bash, args: [-c, 'echo ${name} >> ${ran}; ${body}']${extra}}`;
    const spec = writeSpec(
      dir,
      'spec.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job ${job('ok1')}
  - !Job ${job('bad1', '', `test -f ${fixed}`)}
  - !Job ${job('after_bad1', ', on_done: [bad1]')}
  - !Job ${job('independent')}
  - !JobGroup
    ident: g
    jobs:
      - !Job ${job('ok2')}
      - !Job ${job('bad2', '', `test -f ${fixed}`)}
      - !Job ${job('after_bad2', ', on_pass: [bad2]')}
  - !Job ${job('after_g', ', on_done: [g]')}
`,
    );
    const first = await gator(['run', spec, '--tracking', 'tracking/first', '--sched-arg', 'concurrency=2'], { cwd: dir });
    expect(first.code, first.stdout + first.stderr).toBe(1);
    const firstResults = collectResults(path.join(dir, 'tracking/first'));
    expect(firstResults.get('bad1')?.result).toBe(2);
    expect(firstResults.get('g.bad2')?.result).toBe(2);
    expect(firstResults.get('g.after_bad2')?.result).toBe(3); // skipped: its dependency failed

    fs.writeFileSync(fixed, '');
    fs.writeFileSync(ran, '');
    const second = await gator(['run', spec, '--tracking', 'tracking/second', '--rerun-failed', 'tracking/first', '--sched-arg', 'concurrency=2'], { cwd: dir });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const rerun = fs.readFileSync(ran, 'utf8').trim().split('\n').sort();
    // The two failed jobs, the job skipped because of one, and every dependant of them.
    expect(rerun).toEqual(['after_bad1', 'after_bad2', 'after_g', 'bad1', 'bad2']);
    expect(second.stdout).toMatch(/5 passed, 0 failed, 0 lost, 0 skipped of 5 jobs/);
    const results = collectResults(path.join(dir, 'tracking/second'));
    expect(results.get('bad1')?.result).toBe(1);
    expect(results.get('g.bad2')?.result).toBe(1);
    expect(results.get('ok1')?.kind).toBe('skipped'); // left alone
  });
});

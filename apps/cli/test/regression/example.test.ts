/** examples/regression.yaml does what its comments say (all of issue 10 in one spec). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, gator, tempDir } from '../helpers.js';
import { attributesOf, gatorOnPath, shown, summaryOf } from './support.js';

describe('examples/regression.yaml', () => {
  it('with FAIL_EVERY=2: a bucket of 3 failed copies, a budget, a retried pass, and a reproducible copy', async () => {
    const dir = tempDir('gator-regression-');
    fs.copyFileSync(path.join(REPO, 'examples/regression.yaml'), path.join(dir, 'regression.yaml'));
    const run = await gator(['run', 'regression.yaml', '--tracking', 'run', '--interval', '0.5'], {
      cwd: dir,
      env: { ...gatorOnPath(dir), FAIL_EVERY: '2' },
    });
    expect(run.code, shown(run)).toBe(1);
    const summary = summaryOf(run);
    expect(summary, shown(run)).toContain('3 jobs failed with: UVM_ERROR @ <n>ns: Assertion failed at <path>:<n>');
    expect(summary, shown(run)).toMatch(/✖ sims: budget exceeded: \d+ errors > 0/);
    expect(summary, shown(run)).toContain('↻ fetch_ip: passed on attempt 2');
    expect(summary, shown(run)).toMatch(/6 passed, 3 failed, 0 lost, 0 skipped of 9 jobs/);
    // The lint group's stderr findings were warnings (within its budget of 200), so sims ran.
    expect(attributesOf(path.join(dir, 'run', 'lint')).result).toBe('1');

    const seed = attributesOf(path.join(dir, 'run', 'sims', 'smoke', '2')).seed!;
    const again = await gator(['repro', 'run', 'sims.smoke_2', '--exec'], { cwd: dir, env: { FAIL_EVERY: undefined } });
    expect(again.code, shown(again)).toBe(0);
    expect(again.stdout).toContain(`UVM_INFO @ 0ns: smoke test, seed ${seed}`);
    expect(again.stdout).toContain('UVM_ERROR @ 1202ns: Assertion failed at tb/checker.sv:102');
  });
});

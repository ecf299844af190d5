/**
 * Issue 14.3: `--rerun-failed` reproduces what failed. A failed copy of a
 * `seed: random` array reruns with the seed (and environment) it recorded,
 * `--new-seeds` opts into fresh ones, and the rerun points back to its run.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gator, tempDir, writeSpec } from '../helpers.js';
import { attributesOf } from '../regression/support.js';

// Copy 1 of the nested array fails; every copy prints the seed it saw.
const SPEC = `!JobGroup
ident: top
jobs:
  - !JobArray
    ident: fuzz
    repeats: 3
    jobs:
      - !Job
        ident: t
        command: bash
        args: [-c, 'echo seed=$GATOR_SEED; test "$GATOR_ARRAY_INDEX" != 1']
`;

const seedOf = (tracking: string) => attributesOf(path.join(tracking, 'fuzz', 't', '1')).seed;

describe('--rerun-failed reproduces', () => {
  it('reruns a failed random-seed copy with its recorded seed, records rerun_of, and --new-seeds draws a new one', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const first = await gator(['run', spec, '--tracking', 'tracking/first', '--interval', '0.5'], { cwd: dir });
    expect(first.code, first.stderr).toBe(1);
    const recorded = seedOf(path.join(dir, 'tracking/first'));
    expect(recorded).toMatch(/^\d+$/);

    const rerun = await gator(['run', spec, '--rerun-failed', 'tracking/first', '--tracking', 'tracking/second', '--interval', '0.5'], { cwd: dir });
    expect(rerun.code, rerun.stderr).toBe(1);
    const second = path.join(dir, 'tracking/second');
    expect(seedOf(second)).toBe(recorded);
    // The job saw it too (not only the attribute).
    const repro = await gator(['repro', second, 'fuzz.t_1'], { cwd: dir });
    expect(repro.stdout).toContain(`GATOR_SEED=${recorded}`);

    // The rerun's record points back to the run it reran: attribute, show header, show --json.
    expect(attributesOf(second).rerun_of).toBe(path.join(dir, 'tracking/first'));
    const shown = await gator(['show', second], { cwd: dir });
    expect(shown.stdout.split('\n')[0]).toBe('Rerun of tracking/first');
    const json = await gator(['show', second, '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout).rerunOf).toBe(path.join(dir, 'tracking/first'));

    // A rerun of the rerun: what the rerun did not select keeps its standing in the first run.
    const again = await gator(['run', spec, '--rerun-failed', 'tracking/second', '--tracking', 'tracking/again', '--interval', '0.5'], { cwd: dir });
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout + again.stderr).toContain('Rerunning 1 failed');
    expect(seedOf(path.join(dir, 'tracking/again'))).toBe(recorded);

    const fresh = await gator(['run', spec, '--rerun-failed', 'tracking/first', '--new-seeds', '--tracking', 'tracking/third', '--interval', '0.5'], { cwd: dir });
    expect(fresh.code, fresh.stderr).toBe(1);
    // A fresh random seed (a collision is 1 in 2^31).
    expect(seedOf(path.join(dir, 'tracking/third'))).toMatch(/^\d+$/);
    expect(seedOf(path.join(dir, 'tracking/third'))).not.toBe(recorded);
  });

  it('refuses --new-seeds without --rerun-failed (exit 2)', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = await gator(['run', spec, '--new-seeds'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--new-seeds only applies to a rerun');
  });
});

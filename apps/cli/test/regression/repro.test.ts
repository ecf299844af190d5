/** Issue 10.8 (and 10.5's rerun with a seed): gator repro prints, and with --exec reruns, a failed job exactly as it ran. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gator, tempDir } from '../helpers.js';
import { attributesOf, runSpec, shown } from './support.js';

describe('gator repro', () => {
  it('reproduces a failing array copy with its command, environment, directory and random seed', async () => {
    const dir = tempDir('gator-regression-');
    fs.mkdirSync(path.join(dir, 'work'));
    const run = await runSpec(
      `
!JobGroup
ident: reg
env: {MODE: strict}
jobs:
  - !JobArray
    ident: sims
    repeats: 3                  # random seeds
    cwd: work
    jobs:
      - !Job
        ident: t
        command: bash
        args:
          - -c
          # Gator expands $GATOR_SEED; \\$ leaves the rest to bash.
          - |
            echo "seed=$GATOR_SEED mode=\\$MODE dir=\\$PWD" | tee -a out_\\$GATOR_ARRAY_INDEX.txt
            if [ "\\$MODE" = strict ] && [ \\$GATOR_ARRAY_INDEX = 1 ]; then exit 3; fi
`,
      { dir },
    );
    expect(run.code, shown(run)).toBe(1);
    const out = path.join(dir, 'work', 'out_1.txt');
    const original = fs.readFileSync(out, 'utf8');
    expect(original).toMatch(/^seed=\d+ mode=strict dir=.*\/work\n$/);
    const seed = attributesOf(path.join(run.tracking, 'sims', 't', '1')).seed!;
    expect(original).toContain(`seed=${seed} `);

    // Printed: a pasteable recipe.
    const printed = await gator(['repro', run.tracking, 'sims.t_1'], { cwd: dir });
    expect(printed.code, shown(printed)).toBe(0);
    expect(printed.stdout).toContain(`# reg.sims.t_1: FAILURE, exit 3, seed ${seed}`);
    expect(printed.stdout).toContain(`cd ${path.join(dir, 'work')}`);
    expect(printed.stdout).toMatch(new RegExp(`GATOR_ARRAY_INDEX=1 .*GATOR_SEED=${seed} .*MODE=strict`));
    expect(printed.stdout).toMatch(/bash -c 'echo "seed=\d+ mode=\$MODE dir=\$PWD"/);

    const json = await gator(['repro', run.tracking, 'reg.sims.t_1', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ seed, cwd: path.join(dir, 'work'), env: { GATOR_SEED: seed, MODE: 'strict' }, exit: 3 });

    // --exec: runs it again, here, from another directory and without MODE set: same seed, same failure.
    const again = await gator(['repro', run.tracking, 'sims.t_1', '--exec'], { cwd: tempDir(), env: { MODE: undefined } });
    expect(again.code, shown(again)).toBe(3);
    expect(again.stdout).toBe(original);
    expect(fs.readFileSync(out, 'utf8')).toBe(original + original);
  });
});

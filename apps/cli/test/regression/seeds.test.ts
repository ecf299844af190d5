/** Issue 10.5: seeds of !JobArray copies (GATOR_SEED): fixed, listed or random, recorded, reproducible. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { attributesOf, messagesOf, runSpec, shown } from './support.js';

const SPEC = `
!JobGroup
ident: reg
jobs:
  - !JobArray
    ident: based
    repeats: 3
    seed: 1000                # copy i gets 1000 + i
    jobs: [!Job {ident: t, command: bash, args: [-c, "echo seed=$GATOR_SEED index=$GATOR_ARRAY_INDEX"]}]
  - !JobArray
    ident: listed
    repeats: 2
    seed: [42, 7]
    jobs: [!Job {ident: t, command: bash, args: [-c, "echo seed=$GATOR_SEED index=$GATOR_ARRAY_INDEX"]}]
  - !JobArray
    ident: fuzz
    repeats: 3                # seed: random (the default)
    jobs: [!Job {ident: t, command: bash, args: [-c, "echo seed=$GATOR_SEED index=$GATOR_ARRAY_INDEX"]}]
`;

/** The seed each copy printed, and the one its wrapper recorded, by `array/index`. */
function seeds(tracking: string, array: string, repeats: number): { printed: string; recorded: string }[] {
  return Array.from({ length: repeats }, (_, i) => {
    const dir = path.join(tracking, array, 't', String(i));
    const line = messagesOf(dir).find((m) => m.startsWith('INFO seed='));
    return { printed: /seed=(\d+)/.exec(line ?? '')?.[1] ?? '', recorded: attributesOf(dir).seed ?? '' };
  });
}

describe('seed', () => {
  it('gives the same index the same seed in two runs when fixed or listed, and records random ones', async () => {
    const dir = tempDir('gator-regression-');
    const first = await runSpec(SPEC, { dir, tracking: 'first' });
    const second = await runSpec(SPEC, { dir, tracking: 'second' });
    expect(first.code, shown(first)).toBe(0);
    expect(second.code, shown(second)).toBe(0);

    for (const run of [first, second]) {
      expect(seeds(run.tracking, 'based', 3)).toEqual(['1000', '1001', '1002'].map((s) => ({ printed: s, recorded: s })));
      expect(seeds(run.tracking, 'listed', 2)).toEqual(['42', '7'].map((s) => ({ printed: s, recorded: s })));
    }
    // Random seeds: what the job saw is what was recorded (so `gator repro` can give it back).
    const fuzz = [...seeds(first.tracking, 'fuzz', 3), ...seeds(second.tracking, 'fuzz', 3)];
    for (const s of fuzz) {
      expect(s.printed).toMatch(/^\d+$/);
      expect(s.recorded).toBe(s.printed);
    }
    // The copy's own spec carries its seed too.
    expect(fs.readFileSync(path.join(first.tracking, 'based', 't', '2', 'spec.yaml'), 'utf8')).toMatch(/GATOR_SEED: 1002/);
  });

  it('rejects a seed list that does not match repeats', async () => {
    const run = await runSpec('!JobArray\nrepeats: 3\nseed: [1, 2]\njobs: [!Job {command: echo}]\n');
    expect(run.code, shown(run)).toBe(2);
    expect(run.stderr).toMatch(/seed: expected one seed per index \(3 for repeats: 3\), found 2 seeds/);
  });
});

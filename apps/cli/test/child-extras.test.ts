/**
 * What the child build keeps out of the layer bundle (src/child-extras.ts): the cluster
 * schedulers and re2js are each in a file beside dist/child-layer.cjs, which holds none of
 * their code; an extra runs only with the layer bundle's own protocol and zod lent to it.
 * That a nested tier on Slurm or Grid Engine and a wrapper with log_rules patterns load
 * them for real is shown by test/e2e/slurm.test.ts, sge.test.ts and
 * test/regression/log-rules.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHILD_EXTRAS } from '../src/child-extras.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const read = (file: string) => fs.readFileSync(path.join(dist, file), 'latin1');
/** A word of each module's own code (a command it runs, a class it defines), found in no other. */
const MARK: Record<keyof typeof CHILD_EXTRAS, RegExp> = {
  '@gator/scheduler-slurm': /\bsbatch\b/,
  '@gator/scheduler-sge': /\bqsub\b/,
  re2js: /\bWORD_RUNE_TABLE\b/,
};

describe('the child build keeps what a child rarely runs in files of their own', () => {
  const layer = read('child-layer.cjs');

  it.each(Object.entries(CHILD_EXTRAS))('%s: in dist/%s.cjs, not in the layer bundle', (module, { file }) => {
    const mark = MARK[module as keyof typeof CHILD_EXTRAS];
    // (Tested as booleans: a failed match would print the whole bundle.)
    expect(mark.test(read(`${file}.cjs`)), `dist/${file}.cjs holds ${module}`).toBe(true);
    expect(mark.test(layer), `dist/child-layer.cjs holds ${module}`).toBe(false);
    // …and the root's own bundle keeps it inline.
    expect(mark.test(read('root-bundle.cjs')), `dist/root-bundle.cjs holds ${module}`).toBe(true);
  });

  it('an extra holds no copy of the modules it shares with the layer bundle', () => {
    const schedulers = read(`${CHILD_EXTRAS['@gator/scheduler-slurm'].file}.cjs`);
    expect(schedulers.includes('"$ZodString"'), 'a zod of its own').toBe(false);
    expect(layer.split('"$ZodString"').length - 1, 'copies of zod in the layer bundle').toBe(1);
    expect(/\bGatorError=class\b|class GatorError\b/.test(schedulers), 'a protocol of its own').toBe(false);
    expect(/\bGatorError=class\b|class GatorError\b/.test(layer), "the layer bundle's protocol").toBe(true);
  });

  it('an extra required without the layer bundle says so, instead of running with other instances', () => {
    const file = path.join(dist, `${CHILD_EXTRAS['@gator/scheduler-slurm'].file}.cjs`);
    const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('is loaded by the child layer bundle only');
  });
});

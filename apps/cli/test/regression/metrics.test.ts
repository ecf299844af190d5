/** Issue 10.7: job metrics rolled up per subtree as count, sum, min, max and mean — live, in gator show and the export. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gator, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';
import { gatorOnPath, shown } from './support.js';

type Stats = Record<string, { count: number; sum: number; min: number; max: number; mean: number }>;
interface Report {
  live: boolean;
  stats: Stats;
  root: { children: { path: string[]; stats?: Stats }[] };
}

const SPEC = `
!JobGroup
ident: reg
jobs:
  - !JobArray
    ident: sims
    repeats: 4
    jobs:
      - !Job {ident: t, command: bash, args: [-c, "gator metric coverage $((50 + 10 * GATOR_ARRAY_INDEX)) && gator metric cycles 1000"]}
  - !JobGroup
    ident: late
    jobs:
      # Holds the run open (until the test creates ./release) after reporting its metric.
      - !Job {ident: a, command: bash, args: [-c, "gator metric coverage 20 && while [ ! -e release ]; do sleep 0.2; done"]}
      - !Job {ident: b, on_done: [a], command: bash, args: [-c, "gator metric coverage 40"]}
`;

describe('metric statistics', () => {
  it('rolls metrics up per subtree, live while the run goes on and final in gator show and the JSON export', async () => {
    const dir = tempDir('gator-regression-');
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const tracking = path.join(dir, 'run');
    const run = startGator(['run', spec, '--tracking', tracking, '--interval', '0.5'], { cwd: dir, env: gatorOnPath(dir) });

    // Live: the sims are done and `a` is holding the run open with its metric reported.
    let live: Report | undefined;
    // Whatever happens, let `a` end, so no process of the run outlives the test.
    const release = () => fs.writeFileSync(path.join(dir, 'release'), '');
    await waitFor(
      async () => {
        if (!fs.existsSync(path.join(tracking, 'db.sqlite'))) return false;
        const show = await gator(['show', tracking, '--json'], { cwd: dir });
        if (show.code !== 0 || !show.stdout) return false;
        live = JSON.parse(show.stdout) as Report;
        return live.stats.coverage?.count === 5;
      },
      60_000,
      'the live roll-up to hold 5 coverage values',
    ).finally(release);
    expect(live!.live).toBe(true);
    expect(live!.stats.coverage).toEqual({ count: 5, sum: 280, min: 20, max: 80, mean: 56 });

    const done = await run.done;
    expect(done.code, shown(done)).toBe(0);

    const show = await gator(['show', tracking], { cwd: dir });
    expect(show.stdout).toMatch(/^ {2}coverage +6 +320 +20 +80 +53\.3/m);
    expect(show.stdout).toMatch(/^ {2}cycles +4 +4,?000 +1,?000 +1,?000 +1,?000/m);

    const exported = await gator(['export', tracking, '--json', 'report.json'], { cwd: dir });
    expect(exported.code, shown(exported)).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
    expect(report.live).toBe(false);
    expect(report.stats.coverage).toMatchObject({ count: 6, sum: 320, min: 20, max: 80 });
    expect(report.stats.coverage!.mean).toBeCloseTo(320 / 6);
    expect(report.stats.cycles).toEqual({ count: 4, sum: 4000, min: 1000, max: 1000, mean: 1000 });
    const group = (name: string) => report.root.children.find((c) => c.path.join('.') === `reg.${name}`)?.stats;
    expect(group('sims')?.coverage).toEqual({ count: 4, sum: 260, min: 50, max: 80, mean: 65 });
    expect(group('late')?.coverage).toEqual({ count: 2, sum: 60, min: 20, max: 40, mean: 30 });
  });
});

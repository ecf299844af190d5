/**
 * fan-out: a tree of three tier levels (root → middle → lower !JobArrays) over
 * `true` leaves: time until all complete, against the job overhead case's
 * per-job time at the same concurrency × the number of leaves (target ≤ 1.2×).
 * The job overhead figure is taken from this run when that case ran, else
 * measured here on a small array.
 */
import type { BenchCase, BenchContext, Mode } from '../context.js';
import { judge, type Row } from '../report.js';
import { Scratch, runGator } from '../measure.js';
import { overheadKey, trueArraySpec } from './job-overhead.js';

const CONCURRENCY = 2;

/** Branching of each level, leaves = product: 10 × 10 × 10 (full), 4 × 5 × 5 (quick). */
export function treeShape(leaves: number): [number, number, number] {
  if (leaves >= 1000) return [10, 10, Math.round(leaves / 100)];
  if (leaves >= 100) return [4, 5, Math.round(leaves / 20)];
  return [1, 1, leaves];
}

export function treeSpec([top, middle, lower]: [number, number, number]): string {
  return [
    '!JobArray',
    'ident: fanout',
    `repeats: ${top}`,
    'jobs:',
    '  - !JobArray',
    '    ident: mid',
    `    repeats: ${middle}`,
    '    jobs:',
    '      - !JobArray',
    '        ident: low',
    `        repeats: ${lower}`,
    '        jobs:',
    '          - !Job',
    '            ident: t',
    '            command: "true"',
    '',
  ].join('\n');
}

async function perJobMs(ctx: BenchContext, scratch: Scratch, mode: Mode): Promise<number> {
  const known = ctx.shared.get(overheadKey(mode.name, CONCURRENCY));
  if (known !== undefined) return known;
  const jobs = ctx.size(200, 50);
  ctx.progress(`fan-out: job overhead reference (${jobs} true jobs${mode.name === 'default' ? '' : `, ${mode.name}`})`);
  const spec = scratch.file('reference.yaml', trueArraySpec('reference', jobs));
  const run = await runGator(spec, scratch.path(`reference-${mode.name}`), ['--sched-arg', `concurrency=${CONCURRENCY}`, ...mode.args]);
  return run.wallMs / jobs;
}

export const fanOut: BenchCase = {
  id: 'fanout',
  name: 'fan-out',
  async run(ctx: BenchContext): Promise<Row[]> {
    const shape = treeShape(ctx.size(1000, 100));
    const leaves = shape[0] * shape[1] * shape[2];
    const rows: Row[] = [];
    const scratch = new Scratch('fanout');
    try {
      const spec = scratch.file('tree.yaml', treeSpec(shape));
      // Quick mode (a smoke check) runs the tree once, with the quickest mode.
      for (const mode of ctx.quick ? [ctx.fastest] : ctx.modes) {
        const perJob = await perJobMs(ctx, scratch, mode);
        ctx.progress(`fan-out: gator run of a ${shape.join(' × ')} tree${mode.name === 'default' ? '' : ` (${mode.name})`}`);
        const run = await runGator(spec, scratch.path(`run-${mode.name}`), ['--sched-arg', `concurrency=${CONCURRENCY}`, ...mode.args]);
        const expectedMs = perJob * leaves;
        rows.push(
          judge({
            case: 'fan-out',
            variant: `${leaves.toLocaleString('en-US')} leaves${mode.name === 'default' ? '' : `, ${mode.name}`}`,
            figure: { value: run.wallMs / 1000, unit: 's' },
            baseline: { value: expectedMs / 1000, unit: 's' },
            ratio: run.wallMs / expectedMs,
            target: { kind: 'max', value: 1.2, of: 'ratio', text: '≤ 1.2×' },
            details: { shape, leaves, tiers: 1 + shape[0] + shape[0] * shape[1], concurrency: CONCURRENCY, mode: mode.name, perJobMs: Math.round(perJob * 10) / 10 },
          }),
        );
      }
    } finally {
      scratch.cleanup();
    }
    return rows;
  },
};

/**
 * job overhead: wall time per job of a !JobArray of `true` jobs, against
 * spawning `node -e 0` as many times at the same concurrency (target ≤ 1.5×).
 */
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { Scratch, machineLoad, runGator, runMany } from '../measure.js';

export const CONCURRENCIES = [1, 2];

export function trueArraySpec(ident: string, jobs: number): string {
  return `!JobArray\nident: ${ident}\nrepeats: ${jobs}\njobs:\n  - !Job\n    ident: t\n    command: "true"\n`;
}

/** Key under which the figure is shared with later cases (fan-out). */
export function overheadKey(mode: string, concurrency: number): string {
  return `overhead:${mode}:${concurrency}`;
}

export const jobOverhead: BenchCase = {
  id: 'overhead',
  name: 'job overhead',
  async run(ctx: BenchContext): Promise<Row[]> {
    const jobs = ctx.size(500, 30);
    const rows: Row[] = [];
    const scratch = new Scratch('overhead');
    try {
      const spec = scratch.file('overhead.yaml', trueArraySpec('overhead', jobs));
      for (const mode of ctx.modes) {
        for (const concurrency of CONCURRENCIES) {
          const label = `concurrency ${concurrency}${mode.name === 'default' ? '' : `, ${mode.name}`}`;
          // The baseline right before the figure, so both see the same machine load.
          ctx.progress(`job overhead (${label}): ${jobs} × node -e 0`);
          const baselineMs = await runMany(process.execPath, ['-e', '0'], jobs, concurrency);
          ctx.progress(`job overhead (${label}): gator run of ${jobs} true jobs`);
          const load = machineLoad();
          const run = await runGator(spec, scratch.path(`run-${mode.name}-${concurrency}`), [
            '--sched-arg',
            `concurrency=${concurrency}`,
            ...mode.args,
          ]);
          const perJob = run.wallMs / jobs;
          const basePerJob = baselineMs / jobs;
          ctx.shared.set(overheadKey(mode.name, concurrency), perJob);
          rows.push(
            judge({
              case: 'job overhead',
              variant: label,
              figure: { value: perJob, unit: 'ms/job' },
              baseline: { value: basePerJob, unit: 'ms/job' },
              ratio: perJob / basePerJob,
              target: { kind: 'max', value: 1.5, of: 'ratio', text: '≤ 1.5×' },
              details: { jobs, concurrency, mode: mode.name, wallMs: Math.round(run.wallMs), baselineWallMs: Math.round(baselineMs), load1: load.load1 },
            }),
          );
        }
      }
    } finally {
      scratch.cleanup();
    }
    return rows;
  },
};

/**
 * job overhead: wall and CPU time per job of a !JobArray of `true` jobs,
 * against spawning `node -e 0` as many times at the same concurrency, measured
 * right before. Default mode (one wrapper process per job): ≤ 2.0× in wall and
 * in CPU time. The opt-in in-process mode: ≤ 0.37× in wall time.
 */
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row, type Target } from '../report.js';
import { CARRIED_ENV } from '@gator/protocol';
import { Scratch, machineLoad, runGator, runMany, withCpu } from '../measure.js';

/**
 * The variables Node reads at its start that Gator's layer processes are started without
 * (CARRIED_ENV of @gator/protocol), where this environment sets them: the baseline keeps
 * them (it is Node's start here, as a user's `node` pays it); the details also give a
 * `node -e 0` without them (`env`, the overrides that unset them), Node's start with nothing
 * of this environment's to read. Undefined when this environment sets none.
 */
export function bareNode(env: NodeJS.ProcessEnv = process.env): { carried: string[]; env: Record<string, undefined> } | undefined {
  const carried = Object.keys(CARRIED_ENV).filter((name) => env[name] !== undefined);
  return carried.length > 0 ? { carried, env: Object.fromEntries(carried.map((name) => [name, undefined])) } : undefined;
}

export const CONCURRENCIES = [1, 2];

export function trueArraySpec(ident: string, jobs: number): string {
  return `!JobArray\nident: ${ident}\nrepeats: ${jobs}\njobs:\n  - !Job\n    ident: t\n    command: "true"\n`;
}

/** Key under which the figure is shared with later cases (fan-out). */
export function overheadKey(mode: string, concurrency: number): string {
  return `overhead:${mode}:${concurrency}`;
}

const DEFAULT_TARGET: Target = { kind: 'max', value: 2.0, of: 'ratio', text: '≤ 2.0×' };
const IN_PROCESS_TARGET: Target = { kind: 'max', value: 0.37, of: 'ratio', text: '≤ 0.37×' };

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
          const base = await withCpu(() => runMany(process.execPath, ['-e', '0'], jobs, concurrency));
          const bareEnv = mode.name === 'default' ? bareNode() : undefined;
          const bare = bareEnv ? await withCpu(() => runMany(process.execPath, ['-e', '0'], jobs, concurrency, { env: bareEnv.env })) : undefined;
          ctx.progress(`job overhead (${label}): gator run of ${jobs} true jobs`);
          const load = machineLoad();
          const run = await withCpu(() =>
            runGator(spec, scratch.path(`run-${mode.name}-${concurrency}`), ['--sched-arg', `concurrency=${concurrency}`, ...mode.args]),
          );
          const perJob = run.wallMs / jobs;
          const basePerJob = base.wallMs / jobs;
          const cpuPerJob = run.cpuMs / jobs;
          const baseCpuPerJob = base.cpuMs / jobs;
          ctx.shared.set(overheadKey(mode.name, concurrency), perJob);
          const details = {
            jobs,
            concurrency,
            mode: mode.name,
            wallMs: Math.round(run.wallMs),
            baselineWallMs: Math.round(base.wallMs),
            cpuMs: Math.round(run.cpuMs),
            baselineCpuMs: Math.round(base.cpuMs),
            cpuRatio: Math.round((cpuPerJob / baseCpuPerJob) * 100) / 100,
            ...(bare && bareEnv
              ? {
                  // Node's start without what this environment makes it read (the layers are started without it).
                  carriedEnv: bareEnv.carried,
                  bareNodeWallMs: Math.round(bare.wallMs),
                  bareNodeCpuMs: Math.round(bare.cpuMs),
                  bareWallRatio: Math.round((run.wallMs / bare.wallMs) * 100) / 100,
                  bareCpuRatio: Math.round((run.cpuMs / bare.cpuMs) * 100) / 100,
                }
              : {}),
            load1: load.load1,
          };
          const inProcess = mode.name !== 'default';
          rows.push(
            judge({
              case: 'job overhead',
              variant: label,
              figure: { value: perJob, unit: 'ms/job' },
              baseline: { value: basePerJob, unit: 'ms/job' },
              ratio: perJob / basePerJob,
              target: inProcess ? IN_PROCESS_TARGET : DEFAULT_TARGET,
              details,
            }),
          );
          // CPU per job: the whole tree's (root, tiers, wrappers, jobs) against the node processes'.
          if (!inProcess && Number.isFinite(cpuPerJob)) {
            rows.push(
              judge({
                case: 'job overhead CPU',
                variant: label,
                figure: { value: cpuPerJob, unit: 'CPU ms/job' },
                baseline: { value: baseCpuPerJob, unit: 'CPU ms/job' },
                ratio: cpuPerJob / baseCpuPerJob,
                target: DEFAULT_TARGET,
                details,
              }),
            );
          }
        }
      }
    } finally {
      scratch.cleanup();
    }
    return rows;
  },
};

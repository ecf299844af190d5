/**
 * slot use and regression tree: how well Gator keeps its slots busy.
 *
 * - slot use: a !JobArray of 200 `sleep 0.5` jobs (quick: 10 × 0.2 s) at
 *   concurrency 2, against the ideal jobs × duration / concurrency (≤ 1.1×).
 * - regression tree: shaped like a real regression, groups of arrays whose
 *   jobs print a few hundred lines and take 0.2–2 s, against its ideal (the
 *   jobs' total time over the slots, or the longest job if that is more) (≤ 1.1×).
 *
 * Beside each, when it is set up, the same spec through the original Python
 * Gator (run once): each selected mode's CPU per job against Python's (≤ 1/3).
 * Quick mode leaves it out.
 */
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { Scratch, machineLoad, runGator, withCpu } from '../measure.js';
import { findPythonGator, runPythonGator } from '../python-gator.js';

const CONCURRENCY = 2;
const LINES = 300;

function sleepArraySpec(jobs: number, seconds: number): string {
  return `!JobArray\nident: slots\nrepeats: ${jobs}\njobs:\n  - !Job\n    ident: s\n    command: sleep\n    args: ["${seconds}"]\n`;
}

/** Groups of arrays; array k's jobs print LINES lines then sleep durations[k % n]. */
export function regressionSpec(groups: number, arraysPerGroup: number, copies: number, durations: number[]): { spec: string; jobSeconds: number[] } {
  const lines = ['!JobGroup', 'ident: regression', 'jobs:'];
  const jobSeconds: number[] = [];
  let k = 0;
  for (let g = 0; g < groups; g++) {
    lines.push('  - !JobGroup', `    ident: block${g}`, '    jobs:');
    for (let a = 0; a < arraysPerGroup; a++, k++) {
      const seconds = durations[k % durations.length]!;
      for (let c = 0; c < copies; c++) jobSeconds.push(seconds);
      lines.push(
        '      - !JobArray',
        `        ident: suite${a}`,
        `        repeats: ${copies}`,
        '        jobs:',
        '          - !Job',
        '            ident: test',
        '            command: sh',
        `            args: ["-c", "seq -f 'test output line %g' ${LINES}; sleep ${seconds}"]`,
      );
    }
  }
  return { spec: `${lines.join('\n')}\n`, jobSeconds };
}

interface TreeCase {
  name: string;
  spec: string;
  jobs: number;
  idealMs: number;
  describe: string;
}

async function measureTree(ctx: BenchContext, scratch: Scratch, tree: TreeCase): Promise<Row[]> {
  const file = scratch.file(`${tree.name.replace(/\W+/g, '-')}.yaml`, tree.spec);
  const rows: Row[] = [];
  const py = ctx.quick ? undefined : findPythonGator();
  let python: Awaited<ReturnType<typeof runPythonGator>> | undefined;
  for (const mode of ctx.quick ? [ctx.modes[0]!] : ctx.modes) {
    ctx.progress(`${tree.name}: gator run (${tree.describe}${mode.name === 'default' ? '' : `, ${mode.name}`})`);
    const load = machineLoad();
    const run = await withCpu(() => runGator(file, scratch.path(`run-${mode.name}`), ['--sched-arg', `concurrency=${CONCURRENCY}`, ...mode.args]));
    const details = { jobs: tree.jobs, concurrency: CONCURRENCY, mode: mode.name, wallMs: Math.round(run.wallMs), cpuMs: Math.round(run.cpuMs), cpuMsPerJob: Math.round(run.cpuMs / tree.jobs), load1: load.load1 };
    rows.push(
      judge({
        case: tree.name,
        variant: `${tree.describe}${mode.name === 'default' ? '' : `, ${mode.name}`}`,
        figure: { value: run.wallMs / 1000, unit: 's' },
        baseline: { value: tree.idealMs / 1000, unit: 's (ideal)' },
        ratio: run.wallMs / tree.idealMs,
        target: { kind: 'max', value: 1.1, of: 'ratio', text: '≤ 1.1×' },
        details,
      }),
    );
    if (py) {
      // Python Gator runs once per tree; each mode's CPU is set against that run.
      if (python === undefined) {
        ctx.progress(`${tree.name}: the same spec through Python Gator`);
        python = await runPythonGator(py, file, scratch.path('run-python'), CONCURRENCY);
      }
      rows.push(
        judge({
          case: `${tree.name} vs Python Gator`,
          variant: `CPU per job, ${tree.describe}${mode.name === 'default' ? '' : `, ${mode.name}`}`,
          figure: { value: run.cpuMs / tree.jobs, unit: 'CPU ms/job' },
          baseline: { value: python.cpuMs / tree.jobs, unit: 'CPU ms/job' },
          ratio: run.cpuMs / python.cpuMs,
          target: { kind: 'max', value: 1 / 3, of: 'ratio', text: '≤ 0.33×' },
          details: { ...details, pythonWallMs: Math.round(python.wallMs), pythonCpuMs: Math.round(python.cpuMs), pythonWallRatio: Math.round((run.wallMs / python.wallMs) * 100) / 100 },
        }),
      );
    }
  }
  return rows;
}

export const slotUse: BenchCase = {
  id: 'slots',
  name: 'slot use',
  async run(ctx: BenchContext): Promise<Row[]> {
    const jobs = ctx.size(200, 10);
    const seconds = ctx.quick ? 0.2 : 0.5;
    const scratch = new Scratch('slots');
    try {
      return await measureTree(ctx, scratch, {
        name: 'slot use',
        spec: sleepArraySpec(jobs, seconds),
        jobs,
        idealMs: (jobs * seconds * 1000) / CONCURRENCY,
        describe: `${jobs} × sleep ${seconds}, concurrency ${CONCURRENCY}`,
      });
    } finally {
      scratch.cleanup();
    }
  },
};

export const regressionTree: BenchCase = {
  id: 'regression',
  name: 'regression tree',
  async run(ctx: BenchContext): Promise<Row[]> {
    // Full: 4 groups × 3 arrays × 4 copies = 48 jobs of 0.2–2 s (ideal 22 s at concurrency 2).
    const shape = ctx.quick ? { groups: 2, arrays: 2, copies: 2, durations: [0.2, 0.5] } : { groups: 4, arrays: 3, copies: Math.max(1, Math.round(4 * ctx.scale)), durations: [0.2, 0.5, 1, 2] };
    const { spec, jobSeconds } = regressionSpec(shape.groups, shape.arrays, shape.copies, shape.durations);
    const totalMs = jobSeconds.reduce((a, b) => a + b, 0) * 1000;
    const idealMs = Math.max(totalMs / CONCURRENCY, Math.max(...jobSeconds) * 1000);
    const scratch = new Scratch('regression');
    try {
      return await measureTree(ctx, scratch, {
        name: 'regression tree',
        spec,
        jobs: jobSeconds.length,
        idealMs,
        describe: `${shape.groups} groups × ${shape.arrays} arrays × ${shape.copies}, ${jobSeconds.length} jobs of ${shape.durations.join('/')} s, ${LINES} lines each`,
      });
    } finally {
      scratch.cleanup();
    }
  },
};

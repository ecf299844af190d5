/** `gator run --scheduler slurm` against the project's own loopback Slurm cluster (scripts/slurm/up.sh). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '@gator/vitest-config/processes';
import { REPO, gator, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';

const SLURM = ['--scheduler', 'slurm', '--sched-arg', 'host=lo', '--sched-arg', 'poll=0.2', '--interval', '1'];

function squeueNames(): string[] {
  const out = execFileSync('squeue', ['-h', '-o', '%j'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean);
}

describe('gator run --scheduler slurm', () => {
  beforeAll(() => {
    const env = { ...process.env };
    delete env[MARKER]; // the daemons outlive the tests on purpose
    execFileSync('bash', [path.join(REPO, 'scripts/slurm/up.sh')], { env, stdio: 'ignore', timeout: 600_000 });
  }, 600_000);

  it('runs a nested spec with dependencies and licenses on the cluster', async () => {
    const dir = tempDir();
    const ident = `slurm_e2e_${process.pid}`;
    const spec = writeSpec(
      dir,
      'cluster.yaml',
      `!JobGroup
ident: ${ident}
jobs:
  - !Job {ident: build, command: bash, args: [-c, 'echo built on $(hostname)']}
  - !JobGroup
    ident: tests
    on_pass: [build]
    jobs:
      - !JobArray
        ident: sims
        repeats: 3
        jobs:
          - !Job {ident: sim, command: bash, args: [-c, 'echo sim $GATOR_ARRAY_INDEX'], resources: [!License [simtool, 1], !Cores [1]]}
      - !Job {ident: lint, command: "true", resources: [!Memory [100, MB]]}
      - !Job {ident: broken, command: bash, args: [-c, 'exit 4']}
      - !Job {ident: triage, on_fail: [broken], command: "true"}
  - !Job {ident: report, on_done: [tests], command: "true"}
  - !Job {ident: publish, on_pass: [tests], command: "true"}
`,
    );
    const run = await gator(['run', spec, '--tracking', 'run', ...SLURM], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    const expected: Record<string, number> = {
      build: 1,
      'tests.sims.sim_0': 1,
      'tests.sims.sim_1': 1,
      'tests.sims.sim_2': 1,
      'tests.lint': 1,
      'tests.broken': 2,
      'tests.triage': 1,
      report: 1,
      publish: 3,
    };
    for (const [p, r] of Object.entries(expected)) expect(results.get(p)?.result, p).toBe(r);
    await waitFor(() => !squeueNames().some((n) => n.includes(ident)), 30_000, 'squeue to forget the run');
  });

  it('a stop mid-run leaves squeue empty of the run', async () => {
    const dir = tempDir();
    const ident = `slurm_stop_${process.pid}`;
    const spec = writeSpec(
      dir,
      'stop.yaml',
      `!JobGroup
ident: ${ident}
jobs:
  - !JobArray
    ident: long
    repeats: 4
    jobs:
      - !Job {ident: sleeper, command: sleep, args: [300]}
  - !Job {ident: queued, command: sleep, args: [300], resources: [!License [simtool, 2]]}
`,
    );
    const run = startGator(['run', spec, '--tracking', 'run', ...SLURM], { cwd: dir });
    await waitFor(() => squeueNames().filter((n) => n.includes(ident)).length >= 3, 60_000, 'jobs in squeue');
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(130);
    await waitFor(() => !squeueNames().some((n) => n.includes(ident)), 60_000, 'squeue to be empty of the run');
  });
});

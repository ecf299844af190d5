/**
 * End-to-end runs on the project's loopback clusters (scripts/slurm, scripts/sge): the
 * cluster brought up before a file's tests, the `gator run` arguments that reach it, and
 * the specs every cluster scheduler is run with, so that each engine is held to the same.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll } from 'vitest';
import { MARKER } from '@gator/vitest-config/processes';
import { REPO } from './helpers.js';

export type LoopbackCluster = 'slurm' | 'sge';

/** Bring the cluster up (`scripts/NAME/up.sh`, idempotent) before the file's tests. */
export function useLoopbackCluster(name: LoopbackCluster): void {
  beforeAll(() => {
    const env = { ...process.env };
    delete env[MARKER]; // the daemons outlive the tests on purpose
    execFileSync('bash', [path.join(REPO, `scripts/${name}/up.sh`)], { env, stdio: 'ignore', timeout: 600_000 });
  }, 600_000);
}

/** `gator run` arguments for the cluster: children reach the tier on `lo`, fast polls and heartbeats. */
export function clusterArgs(name: LoopbackCluster): string[] {
  return ['--scheduler', name, '--sched-arg', 'host=lo', '--sched-arg', 'poll=0.2', '--interval', '1'];
}

/** A nested tree with dependencies, failures, an array and resources. */
export function treeSpec(ident: string): string {
  return `!JobGroup
ident: ${ident}
jobs:
  - !Job {ident: build, command: bash, args: [-c, 'echo built on $(hostname)']}
  - !JobGroup
    ident: tests
    on_pass: [build]
    jobs:
      - !JobArray
        ident: sims
        repeats: 4
        jobs:
          - !Job {ident: sim, command: bash, args: [-c, 'echo sim $GATOR_ARRAY_INDEX; test $GATOR_ARRAY_INDEX != 2'], resources: [!License [simtool, 1], !Cores [1]]}
      - !Job {ident: lint, command: "true", resources: [!Memory [100, MB]]}
      - !Job {ident: broken, command: bash, args: [-c, 'exit 4']}
      - !Job {ident: triage, on_fail: [broken], command: "true"}
      - !Job {ident: unreached, on_pass: [broken], command: "true"}
  - !Job {ident: report, on_done: [tests], command: "true"}
  - !Job {ident: publish, on_pass: [tests], command: "true"}
`;
}

/** The results `treeSpec` asks for, by path (1 pass, 2 fail, 3 skipped); `gator run` exits 1. */
export const TREE_RESULTS: Record<string, number> = {
  build: 1,
  'tests.sims.sim_0': 1,
  'tests.sims.sim_1': 1,
  'tests.sims.sim_2': 2,
  'tests.sims.sim_3': 1,
  'tests.lint': 1,
  'tests.broken': 2,
  'tests.triage': 1,
  'tests.unreached': 3,
  report: 1,
  publish: 3,
};

/**
 * Something to stop mid-run: an array of sleepers that run, and `waiting` jobs that each
 * want both simtool seats (so that some of them are still queued when the stop comes).
 */
export function stopSpec(ident: string, waiting: readonly string[]): string {
  return `!JobGroup
ident: ${ident}
jobs:
  - !JobArray
    ident: long
    repeats: 4
    jobs:
      - !Job {ident: sleeper, command: sleep, args: [300]}
${waiting.map((name) => `  - !Job {ident: ${name}, command: sleep, args: [300], resources: [!License [simtool, 2]]}\n`).join('')}`;
}

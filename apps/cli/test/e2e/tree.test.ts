/** Issue: the whole tree on one machine, end to end through the built CLI. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { REPO, descendants, gator, isAlive, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults, maxOverlap } from '../run-helpers.js';

const SUCCESS = 1;
const FAILURE = 2;
const ABORTED = 3;

const THREE_LEVELS = `!JobGroup
ident: top
jobs:
  - !Job {ident: build, command: "true"}
  - !JobGroup
    ident: suite
    on_pass: [build]
    jobs:
      - !JobArray
        ident: sims
        repeats: 3
        jobs:
          - !Job {ident: sim, command: bash, args: [-c, "echo sim $GATOR_ARRAY_INDEX"]}
      - !Job {ident: lint, command: bash, args: [-c, "echo lint broke >&2"]}
      - !Job {ident: if_lint_passed, on_pass: [lint], command: "true"}
      - !Job {ident: if_lint_failed, on_fail: [lint], command: "true"}
      - !Job {ident: after_lint, on_done: [lint], command: bash, args: [-c, "echo warn; exit 0"]}
  - !Job {ident: report, on_done: [suite], command: "true"}
  - !Job {ident: bisect, on_fail: [suite], command: "true"}
  - !Job {ident: publish, on_pass: [suite], command: "true"}
`;

describe('gator run of a tree', () => {
  it('three levels with groups, arrays and pass/fail/done dependencies end exactly as the spec implies', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'tree.yaml', THREE_LEVELS);
    const run = await gator(['run', spec, '--tracking', 'run', '--sched-arg', 'concurrency=2'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    const expected: Record<string, number> = {
      build: SUCCESS,
      'suite.sims.sim_0': SUCCESS,
      'suite.sims.sim_1': SUCCESS,
      'suite.sims.sim_2': SUCCESS,
      'suite.lint': FAILURE,
      'suite.if_lint_passed': ABORTED,
      'suite.if_lint_failed': SUCCESS,
      'suite.after_lint': SUCCESS,
      report: SUCCESS,
      bisect: SUCCESS,
      publish: ABORTED,
      suite: FAILURE,
      'suite.sims': SUCCESS,
    };
    for (const [p, r] of Object.entries(expected)) expect(results.get(p)?.result, p).toBe(r);

    // The root's totals are the sum of the leaves (and tiers' own counts).
    const root = openLayerReader(path.join(dir, 'run'));
    try {
      const group = root.metrics('_GROUP_');
      let errors = 0;
      let infos = 0;
      for (const r of results.values()) {
        errors += r.counts?.msg_error ?? 0;
        infos += r.counts?.msg_info ?? 0;
      }
      expect(group.msg_error).toBe(errors);
      expect(group.msg_info).toBe(infos);
      expect(group.sub_failed).toBeGreaterThanOrEqual(2); // lint and suite
    } finally {
      root.close();
    }
    // Skipped jobs are shown with their reason.
    expect(run.stdout).toMatch(/skipped.*if_lint_passed/);
    expect(run.stdout).toMatch(/lint/);
  });

  it("runs Python Gator's reference sweep example unchanged", async () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(REPO, 'examples/reference/sweep.yaml'), path.join(dir, 'sweep.yaml'));
    const run = await gator(['sweep.yaml', '--tracking', 'run', '--sched-arg', 'licenses=fpga_tool:2'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const results = collectResults(path.join(dir, 'run'));
    for (const i of [0, 1, 2]) expect(results.get(`point_${i}`)?.result).toBe(SUCCESS);
  });

  it('a wrapper killed with SIGKILL is reported lost and the rest of the run completes', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'victim.pid');
    const spec = writeSpec(
      dir,
      'kill.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: victim, command: bash, args: [-c, 'echo \\$PPID > ${marker}; sleep 300']}
  - !Job {ident: other, command: bash, args: [-c, "sleep 1"]}
  - !Job {ident: after, on_done: [victim], command: "true"}
`,
    );
    const run = startGator(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=2'], { cwd: dir });
    await waitFor(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() !== '', 30_000, 'the victim job to start');
    const wrapperPid = Number(fs.readFileSync(marker, 'utf8').trim());
    const jobPids = descendants(wrapperPid);
    process.kill(wrapperPid, 'SIGKILL');
    for (const p of jobPids) {
      try {
        process.kill(p, 'SIGKILL'); // the job itself would otherwise sleep on as an orphan
      } catch {
        /* gone */
      }
    }
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('victim')?.result).toBe(FAILURE);
    expect(results.get('other')?.result).toBe(SUCCESS);
    expect(results.get('after')?.result).toBe(SUCCESS);
    expect(done.stdout).toMatch(/lost/);
  });

  it("a tier whose parent is killed exits with its subtree", async () => {
    const dir = tempDir();
    const spec = writeSpec(
      dir,
      'nested.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: long, command: sleep, args: [300]}
`,
    );
    const run = startGator(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
    let tree: number[] = [];
    await waitFor(() => {
      tree = descendants(run.child.pid!);
      return tree.some((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith('sleep');
        } catch {
          return false;
        }
      });
    }, 30_000, 'the leaf job to start');
    run.child.kill('SIGKILL');
    await run.done;
    await waitFor(() => tree.every((p) => !isAlive(p)), 30_000, 'the orphaned subtree to exit');
  });

  it('never runs more jobs at once than the cores, memory and licenses allow', async () => {
    const dir = tempDir();
    const script = (file: string) => `echo start $(date +%s%N) >> ${file}; sleep 0.3; echo end $(date +%s%N) >> ${file}`;
    const jobs = (prefix: string, n: number, resources: string) =>
      Array.from(
        { length: n },
        (_, i) => `      - !Job {ident: ${prefix}${i}, command: bash, args: [-c, "${script(path.join(dir, `${prefix}${i}.t`))}"], resources: [${resources}]}`,
      ).join('\n');
    const spec = writeSpec(
      dir,
      'limits.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: cores
    jobs:
${jobs('c', 6, '')}
  - !JobGroup
    ident: licensed
    jobs:
${jobs('l', 4, '!License [simtool, 1]')}
  - !JobGroup
    ident: memory
    jobs:
${jobs('m', 4, '!Memory [600, MB]')}
`,
    );
    const run = await gator(['run', spec, '--tracking', 'run', '--sched-arg', 'concurrency=2', '--sched-arg', 'licenses=simtool:1', '--sched-arg', 'memory=1000'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const files = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => path.join(dir, `${prefix}${i}.t`));
    expect(maxOverlap([...files('c', 6), ...files('l', 4), ...files('m', 4)])).toBeLessThanOrEqual(2);
    expect(maxOverlap(files('l', 4))).toBe(1);
    expect(maxOverlap(files('m', 4))).toBe(1);
  });

  it('rejects a job that asks for more than the pool could ever give, before the run starts', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'big.yaml', '!JobGroup\nident: top\njobs:\n  - !Job {ident: huge, command: "true", resources: [!Cores [64]]}\n');
    const run = await gator(['run', spec, '--tracking', 'run', '--sched-arg', 'concurrency=2'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/huge/);
    expect(run.stderr).toMatch(/core/i);
  });

  it('runs the same tree with job wrappers hosted in their tier (--sched-arg wrappers=inprocess)', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'tree.yaml', THREE_LEVELS);
    const run = await gator(['run', spec, '--tracking', 'run', '--sched-arg', 'concurrency=2', '--sched-arg', 'wrappers=inprocess'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('suite.sims.sim_1')?.result).toBe(SUCCESS);
    expect(results.get('suite.lint')?.result).toBe(FAILURE);
    expect(results.get('suite.if_lint_passed')?.result).toBe(ABORTED);
    expect(results.get('bisect')?.result).toBe(SUCCESS);
  });
});

/** `gator run --scheduler slurm` against the project's own loopback Slurm cluster (scripts/slurm/up.sh). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TREE_RESULTS, clusterArgs, stopSpec, treeSpec, useLoopbackCluster } from '../cluster-helpers.js';
import { gator, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';

const SLURM = clusterArgs('slurm');

function squeueNames(): string[] {
  const out = execFileSync('squeue', ['-h', '-o', '%j'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean);
}

describe('gator run --scheduler slurm', () => {
  useLoopbackCluster('slurm');

  it('runs a nested spec with dependencies and licenses on the cluster', async () => {
    const dir = tempDir();
    const ident = `slurm_e2e_${process.pid}`;
    const spec = writeSpec(dir, 'cluster.yaml', treeSpec(ident));
    const run = await gator(['run', spec, '--tracking', 'run', ...SLURM], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const results = collectResults(path.join(dir, 'run'));
    for (const [p, r] of Object.entries(TREE_RESULTS)) expect(results.get(p)?.result, p).toBe(r);
    await waitFor(() => !squeueNames().some((n) => n.includes(ident)), 30_000, 'squeue to forget the run');
  });

  it('a stop mid-run leaves squeue empty of the run', async () => {
    const dir = tempDir();
    const ident = `slurm_stop_${process.pid}`;
    const spec = writeSpec(dir, 'stop.yaml', stopSpec(ident, ['queued']));
    const run = startGator(['run', spec, '--tracking', 'run', ...SLURM], { cwd: dir });
    await waitFor(() => squeueNames().filter((n) => n.includes(ident)).length >= 3, 60_000, 'jobs in squeue');
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(130);
    await waitFor(() => !squeueNames().some((n) => n.includes(ident)), 60_000, 'squeue to be empty of the run');
  });
});

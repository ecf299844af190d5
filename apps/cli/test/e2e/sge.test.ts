/** `gator run --scheduler sge` against the project's own loopback Grid Engine cluster (scripts/sge/up.sh). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TREE_RESULTS, clusterArgs, stopSpec, treeSpec, useLoopbackCluster } from '../cluster-helpers.js';
import { gator, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';

const SGE = clusterArgs('sge');

/** Names of every job Grid Engine lists, whoever submitted it. */
function qstatNames(): string[] {
  const xml = execFileSync('qstat', ['-xml', '-u', '*'], { encoding: 'utf8' });
  return [...xml.matchAll(/<JB_name>([^<]*)<\/JB_name>/g)].map((m) => m[1]!);
}

describe('gator run --scheduler sge', () => {
  useLoopbackCluster('sge');

  it('runs a nested tree with dependencies, failures and an array with the same per-job results as local', async () => {
    const dir = tempDir();
    const ident = `sge_e2e_${process.pid}`;
    const spec = writeSpec(dir, 'tree.yaml', treeSpec(ident));
    const onSge = await gator(['run', spec, '--tracking', 'sge', ...SGE], { cwd: dir });
    expect(onSge.code, onSge.stdout + onSge.stderr).toBe(1);
    const local = await gator(['run', spec, '--tracking', 'local', '--sched-arg', 'licenses=simtool:2'], { cwd: dir });
    expect(local.code, local.stdout + local.stderr).toBe(1);

    const results = (run: string) =>
      Object.fromEntries([...collectResults(path.join(dir, run))].map(([p, r]) => [p || '(root)', r.result]));
    const sge = results('sge');
    expect(sge).toEqual(results('local'));
    // And they are the results the spec asks for.
    expect(sge).toMatchObject(TREE_RESULTS);
    // The array's copies ran as one array job, and nothing of the run is left in qstat.
    const accounting = execFileSync('qacct', ['-j', `gator.${ident}.tests.sims.sim`], { encoding: 'utf8' });
    expect(new Set([...accounting.matchAll(/^jobnumber\s+(\d+)/gm)].map((m) => m[1])).size).toBe(1);
    expect([...accounting.matchAll(/^taskid\s+(\d+)/gm)].map((m) => Number(m[1])).sort()).toEqual([1, 2, 3, 4]);
    await waitFor(() => !qstatNames().some((n) => n.includes(ident)), 30_000, 'qstat to forget the run');
  });

  it('Ctrl-C mid-run exits 130 and leaves nothing of the run in qstat', async () => {
    const dir = tempDir();
    const ident = `sge_stop_${process.pid}`;
    const spec = writeSpec(dir, 'stop.yaml', stopSpec(ident, ['queued', 'waiting']));
    const run = startGator(['run', spec, '--tracking', 'run', ...SGE], { cwd: dir });
    // Some running, some still pending (2 simtool seats for two jobs that want both).
    await waitFor(() => qstatNames().filter((n) => n.includes(ident)).length >= 3, 60_000, 'jobs in qstat');
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(130);
    // Bounded by the tier's stop grace (10 s): the scheduler's close() waits for qdel to take effect.
    await waitFor(() => !qstatNames().some((n) => n.includes(ident)), 10_000, 'qstat to be empty of the run');
  });
});

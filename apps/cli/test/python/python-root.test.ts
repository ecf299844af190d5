/**
 * A real Python Gator root over Gator wrappers and tiers (issue 18, Build 1).
 * Python's scheduler starts every child as `python3 -m gator …` through /bin/sh;
 * a `python3` first on PATH runs Gator's CLI for that, so every layer below the
 * Python root is Gator. The children learn at `register` that their parent
 * speaks protocol 0 and send it only what Python's `Summary(**x)` accepts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { CLI, gator, tempDir, waitFor, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { CASE_MARKER, caseProcesses, gatorAsPython3, needsPythonPeer, startPythonGator } from './peer.js';

needsPythonPeer();

const COUNTS = ['sub_total', 'sub_active', 'sub_passed', 'sub_failed', 'msg_critical', 'msg_error', 'msg_warning', 'jobs_passed', 'jobs_failed'];

function groupMetrics(tracking: string): Record<string, number> {
  const reader = openLayerReader(tracking);
  try {
    return reader.metrics('_GROUP_');
  } finally {
    reader.close();
  }
}

function results(tracking: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [p, r] of collectResults(tracking)) if (p) out[p] = r.result;
  return out;
}

function pick(metrics: Record<string, number>, names: string[]): Record<string, number | undefined> {
  return Object.fromEntries(names.map((n) => [n, metrics[n]]));
}

/** Run `spec` under a Python root (Gator below it) and under a Gator root; both outcomes. */
async function bothWays(dir: string, spec: string, args: string[]) {
  const shim = gatorAsPython3(path.join(dir, 'shim'));
  const py = await startPythonGator(['--tracking', path.join(dir, 'py'), ...args, spec], { cwd: dir, shims: [shim] }).done;
  const gt = await gator(['run', spec, '--tracking', path.join(dir, 'gt'), ...args], { cwd: dir });
  return { py, gt };
}

describe('a Python Gator root over Gator children', () => {
  it('finishes a failing tree with the same result and counts as an all-Gator run', async () => {
    const dir = tempDir('gator-pyroot-');
    const spec = writeSpec(
      dir,
      'mixed.yaml',
      `!JobGroup
ident: mixed
jobs:
  - !Job {ident: hello, command: echo, args: [hello]}
  - !Job {ident: broken, command: bash, args: [-c, 'echo oops >&2; exit 3']}
  - !Job {ident: counter, command: '${process.execPath}', args: ['${CLI}', metric, cells, '5']}
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: a, command: "true"}
      - !Job {ident: b, command: bash, args: [-c, 'sleep 1; exit 1']}
      - !Job {ident: after_b, on_pass: [b], command: "true"}
      - !Job {ident: triage, on_fail: [b], command: "true"}
  - !JobArray
    ident: sims
    repeats: 3
    jobs:
      - !Job {ident: sim, command: bash, args: [-c, 'echo sim $GATOR_ARRAY_INDEX; sleep 1']}
`,
    );
    // --limit-warning 0: before the dialect, every rejected heartbeat logged a WARNING and failed its job.
    const { py, gt } = await bothWays(dir, spec, ['--limit-warning', '0', '--sched-arg', 'concurrency=4']);
    expect(gt.code, gt.stdout + gt.stderr).toBe(1);
    expect(py.code, py.stdout + py.stderr).toBe(1);
    expect(py.stderr, 'Python rejected a request').not.toMatch(/Caught \w+ on route/);

    const pyCounts = groupMetrics(path.join(dir, 'py'));
    const gtCounts = groupMetrics(path.join(dir, 'gt'));
    // Python's root logs `Job failed because a child failed` at ERROR, one message of its own;
    // a Gator tier tells why it failed as a notice, never a message (docs/compatibility.md).
    expect(pick(pyCounts, COUNTS)).toEqual({ ...pick(gtCounts, COUNTS), msg_error: gtCounts.msg_error! + 1 });
    expect(gtCounts.msg_error).toBe(1); // broken's `oops`: the only error line any job printed
    expect(pyCounts).toMatchObject({ sub_active: 0, jobs_failed: 2, cells: 5 });
    expect(pyCounts.cells).toBe(gtCounts.cells);

    const expected = {
      hello: 1,
      broken: 2,
      counter: 1,
      inner: 2,
      'inner.a': 1,
      'inner.b': 2,
      'inner.after_b': 3,
      'inner.triage': 1,
      sims: 1,
      'sims.sim_0': 1,
      'sims.sim_1': 1,
      'sims.sim_2': 1,
    };
    expect(results(path.join(dir, 'py'))).toEqual(expected);
    expect(results(path.join(dir, 'gt'))).toEqual(expected);
    // Python's console names the failures the Gator children reported.
    expect(py.stdout).toMatch(/mixed\.broken/);
    expect(py.stdout).toMatch(/mixed\.inner\.b/);
  });

  it('passes a passing tree (exit 0) as the Gator root does', async () => {
    const dir = tempDir('gator-pyroot-');
    const spec = writeSpec(
      dir,
      'ok.yaml',
      `!JobGroup
ident: ok
jobs:
  - !Job {ident: one, command: echo, args: [one]}
  - !JobGroup
    ident: deeper
    jobs:
      - !JobArray {ident: arr, repeats: 2, jobs: [!Job {ident: x, command: "true"}]}
      - !Job {ident: two, command: bash, args: [-c, 'echo warned >&2'], on_done: []}
`,
    );
    // stderr is ERROR in both: raise the error limit so the tree passes.
    const { py, gt } = await bothWays(dir, spec, ['--limit-error', '5', '--sched-arg', 'concurrency=3']);
    expect(gt.code, gt.stdout + gt.stderr).toBe(0);
    expect(py.code, py.stdout + py.stderr).toBe(0);
    expect(pick(groupMetrics(path.join(dir, 'py')), COUNTS)).toEqual(pick(groupMetrics(path.join(dir, 'gt')), COUNTS));
    expect(results(path.join(dir, 'py'))).toEqual(results(path.join(dir, 'gt')));
  });

  it('SIGTERM to the Python root stops the Gator children, and the run ends with nothing left running', async () => {
    const dir = tempDir('gator-pyroot-');
    const marks = path.join(dir, 'marks');
    fs.mkdirSync(marks);
    const spec = writeSpec(
      dir,
      'long.yaml',
      `!JobGroup
ident: long
jobs:
  - !Job {ident: sleeper, command: bash, args: [-c, 'touch ${marks}/sleeper; exec sleep 120']}
  - !JobGroup
    ident: nested
    jobs:
      - !Job {ident: deep, command: bash, args: [-c, 'touch ${marks}/deep; exec sleep 120']}
`,
    );
    const shim = gatorAsPython3(path.join(dir, 'shim'));
    const marker = randomUUID();
    const run = startPythonGator(['--tracking', path.join(dir, 'py'), '--sched-arg', 'concurrency=3', spec], {
      cwd: dir,
      shims: [shim],
      env: { [CASE_MARKER]: marker },
    });
    await waitFor(() => fs.existsSync(path.join(marks, 'sleeper')) && fs.existsSync(path.join(marks, 'deep')), 60_000, 'both jobs to start');
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(1);
    expect(done.stderr).not.toMatch(/Caught \w+ on route/);
    const stored = results(path.join(dir, 'py'));
    // What Python recorded of its Gator children is FAILURE, as for its own stopped layers; below
    // the Gator tier the stopped job is ABORTED (stopped, not failed: docs/run-model.md).
    expect(stored).toEqual({ sleeper: 2, nested: 2, 'nested.deep': 3 });
    await waitFor(() => caseProcesses(marker).length === 0, 15_000, 'every process of the run to end');
  });
});

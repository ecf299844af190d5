/**
 * Every view of a run tells what the run model tells (docs/run-model.md):
 * `gator show`'s header and footer, `gator logs --severity ERROR`, the
 * exports and the final summary of `gator run` — on runs written here with the
 * store (the new contract and the old one) and on real runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobResult, emptySummary, type Summary } from '@gator/protocol';
import { renderSummary } from '../../src/render/reporter.js';
import { colorsFor } from '../../src/render/format.js';
import { writeSpec } from '../helpers.js';
import { CLI_JS, runCli } from '../live/cli-process.js';
import { T0, writeTree } from './fixture-run.js';
import { capture, runInspect } from './helpers.js';

const dirs: string[] = [];
function scratch(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-views-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const done = (result: number, extra: Record<string, string | number> = {}) => ({ started: T0, stopped: T0 + 9, result, ...extra });

/** The triage pattern: `triage` (on_fail: [build]) skipped because the build passed. */
function triageRun(dir: string): void {
  writeTree(dir, {
    ident: 'ci',
    attrs: done(JobResult.SUCCESS),
    messages: [[30, "Skipping job 'triage': dependency 'build' passed"]],
    children: [
      { ident: 'build', attrs: done(JobResult.SUCCESS, { exit: 0 }), messages: [[20, 'built']] },
      { ident: 'triage', entryResult: JobResult.ABORTED },
    ],
  });
}

describe('gator show: the header and the footer never contradict', () => {
  it('a run whose triage job was skipped because its build passed is passed, above and below', async () => {
    const dir = path.join(scratch(), 'run');
    triageRun(dir);
    const r = await runInspect(['show', dir], path.dirname(dir));
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^✔ ci\s+SUCCESS/);
    expect(r.out).toMatch(/\nPassed  1 passed, 0 failed, 0 lost, 1 skipped of 2 jobs/);
    expect(r.out).not.toMatch(/Failed/);
    expect(r.out).toContain("reason: dependency 'build' passed");
    // The skip notice is Gator's: not a warning of the run.
    expect(r.out).toContain('(0 warnings, 0 errors');
    const json = JSON.parse((await runInspect(['show', dir, '--json'], path.dirname(dir))).out);
    expect(json).toMatchObject({ outcome: 'passed', verdict: { exit: 0 }, totals: { total: 2, passed: 1, skipped: 1, failed: 0 } });
  });

  it('a root that recorded a failure of its own (a budget) with no failed job says Failed in both, with why', async () => {
    const dir = path.join(scratch(), 'run');
    writeTree(dir, {
      ident: 'ci',
      attrs: done(JobResult.FAILURE, { reason: 'exceeded the subtree ERROR limit (3 > 2)' }),
      children: [{ ident: 'build', attrs: done(JobResult.SUCCESS, { exit: 0 }) }],
    });
    const r = await runInspect(['show', dir], path.dirname(dir));
    expect(r.out.split('\n')[0]).toMatch(/^✖ ci\s+FAILURE/);
    expect(r.out).toMatch(/\nFailed  1 passed, 0 failed/);
    expect(r.out).toContain('exceeded the subtree ERROR limit (3 > 2)');
  });

  it('Markdown and JUnit tell the same verdict and counts', async () => {
    const dir = path.join(scratch(), 'run');
    triageRun(dir);
    const md = await runInspect(['export', dir, '--markdown=-'], path.dirname(dir));
    expect(md.out).toMatch(/^# Gator run `ci`: ✅ passed/);
    const junit = await runInspect(['export', dir, '--junit=-'], path.dirname(dir));
    expect(junit.out).toMatch(/<testsuites name="ci" tests="2" failures="0" errors="0" skipped="1"/);
  });
});

describe('a dead run is interrupted, not RUNNING forever', () => {
  it('gator show says interrupted, with when it was last heard of, and what was cut off', async () => {
    const dir = path.join(scratch(), 'run');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeTree(dir, {
      ident: 'nightly',
      attrs: { started: T0, pid: Number(gone.stdout), host: os.hostname() },
      children: [
        { ident: 'compile', attrs: done(JobResult.SUCCESS, { exit: 0 }) },
        { ident: 'sim', attrs: { started: T0 + 1 } },
        { ident: 'report' },
      ],
    });
    const r = await runInspect(['show', dir], path.dirname(dir));
    expect(r.out).not.toContain('RUNNING');
    expect(r.out.split('\n')[0]).toMatch(/^✖ nightly\s+INTERRUPTED/);
    expect(r.out).toMatch(/\nInterrupted  1 passed, 0 failed, 1 lost, 1 skipped of 3 jobs/);
    expect(r.out).toMatch(/last heard of at \d{4}-\d\d-\d\dT/);
    const json = JSON.parse((await runInspect(['show', dir, '--json'], path.dirname(dir))).out);
    expect(json).toMatchObject({ outcome: 'interrupted', interrupted: true, live: false });
  });
});

describe("gator logs: a job's own messages; Gator's notices apart", () => {
  it('--severity ERROR lists each error of a job once (new contract: the failure is a notice)', async () => {
    const dir = path.join(scratch(), 'run');
    writeTree(dir, {
      ident: 'ci',
      attrs: done(JobResult.FAILURE, { outcome: 'failed' }),
      children: [
        {
          ident: 'sim',
          attrs: done(JobResult.FAILURE, { outcome: 'failed', outcome_kind: 'exit', exit: 1 }),
          messages: [[20, 'reset'], [40, 'assertion failed: fifo overflow']],
          notices: [{ kind: 'failed', message: 'exited with code 1' }],
        },
      ],
    });
    const errors = await runInspect(['logs', dir, '--severity', 'ERROR'], path.dirname(dir));
    expect(errors.out.trim().split('\n')).toEqual([expect.stringMatching(/\[ERROR  \] sim assertion failed: fifo overflow$/)]);
    const all = await runInspect(['logs', dir], path.dirname(dir));
    expect(all.out).toMatch(/\[gator  \] sim exited with code 1/);
    const json = (await runInspect(['logs', dir, '--json'], path.dirname(dir))).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.find((l) => l.notice)).toMatchObject({ notice: 'failed', path: 'ci.sim', message: 'exited with code 1' });
  });

  it('a real run: a job that printed one error is listed once, and show counts one error', async () => {
    const dir = scratch();
    writeSpec(
      dir,
      'spec.yaml',
      `!JobGroup
ident: pair
jobs:
  - !Job {ident: ok, command: sh, args: [-c, 'echo fine']}
  - !Job {ident: bad, command: sh, args: [-c, 'echo "assertion failed: fifo overflow" >&2; exit 1']}
`,
    );
    const run = await runCli(['run', 'spec.yaml', '--tracking', 'run'], dir);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const logs = await runCli(['logs', 'run', '--severity', 'ERROR'], dir);
    const lines = logs.stdout.trim().split('\n').filter((l) => l.includes('[ERROR'));
    expect(lines, logs.stdout).toHaveLength(1);
    expect(lines[0]).toContain('fifo overflow');
    const show = await runCli(['show', 'run'], dir);
    expect(show.stdout).toMatch(/✖ bad\s+FAILURE\s+\S+\s+1 error\b/);
    expect(show.stdout).toMatch(/\nFailed  1 passed, 1 failed, 0 lost, 0 skipped of 2 jobs  \(0 warnings, 1 error/);
    // The summary `gator run` printed tells the same.
    expect(run.stdout).toMatch(/Failed  1 passed, 1 failed, 0 lost, 0 skipped of 2 jobs  \(0 warnings, 1 error,/);
  });
});

describe("the final summary's message counts, with and without the walk of the run's files", () => {
  it('a passed run whose job logged a warning counts it as show does; a clean one counts none', async () => {
    const dir = scratch();
    writeSpec(
      dir,
      'spec.yaml',
      `!JobGroup
ident: pair
jobs:
  - !Job {ident: ok, command: sh, args: [-c, 'echo fine']}
  - !Job {ident: careful, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(CLI_JS)}, log, --severity, WARNING, mind the gap]}
`,
    );
    writeSpec(dir, 'clean.yaml', `!JobArray\nident: clean\nrepeats: 2\njobs:\n  - !Job {ident: t, command: sh, args: [-c, 'echo fine']}\n`);
    const run = await runCli(['run', 'spec.yaml', '--tracking', 'run'], dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Passed  2 passed, 0 failed, 0 lost, 0 skipped of 2 jobs  \(1 warning, 0 errors,/);
    const show = await runCli(['show', 'run'], dir);
    expect(show.stdout).toMatch(/\nPassed  2 passed, 0 failed, 0 lost, 0 skipped of 2 jobs  \(1 warning, 0 errors/);
    const clean = await runCli(['run', 'clean.yaml', '--tracking', 'clean'], dir);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/Passed  2 passed, 0 failed, 0 lost, 0 skipped of 2 jobs  \(0 warnings, 0 errors,/);
    expect((await runCli(['show', 'clean'], dir)).stdout).toMatch(/\nPassed  2 passed, 0 failed, 0 lost, 0 skipped of 2 jobs  \(0 warnings, 0 errors/);
  });
});

describe('the final summary of gator run reads the root summary`s jobs tally and the verdict rule', () => {
  const end = (summary: Summary, exitCode: number) => ({ result: exitCode === 0 ? JobResult.SUCCESS : JobResult.FAILURE, summary, tracking: '/t', wallSeconds: 3, interrupted: false, exitCode });
  const c = colorsFor(capture().stream);

  it('jobs, never tiers: a skipped triage job is not a failure', () => {
    const summary: Summary = {
      ...emptySummary(),
      metrics: { sub_total: 3, sub_passed: 2, sub_failed: 0, msg_error: 0, msg_warning: 0 },
      jobs: { total: 2, passed: 1, failed: 0, lost: 0, skipped: 1, stopped: 0, running: 0, pending: 0 },
    };
    const text = renderSummary(end(summary, 0), c, { cwd: '/' });
    expect(text).toMatch(/Passed  1 passed, 0 failed, 0 lost, 1 skipped of 2 jobs/);
  });

  it('a failure of the run of its own (exit 1, no failed job) says Failed', () => {
    const summary: Summary = { ...emptySummary(), jobs: { total: 1, passed: 1, failed: 0, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 } };
    expect(renderSummary({ ...end(summary, 1), reason: 'budget' }, c, { cwd: '/' })).toMatch(/Failed  1 passed/);
  });
});

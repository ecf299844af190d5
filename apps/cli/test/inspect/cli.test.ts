/**
 * The inspect commands on a real run made by the built CLI: a JUnit consumer
 * library reads the export with the right counts, `show --json` matches the
 * run's files, `logs` and `repro` see what the jobs did.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { openLayerReader } from '@gator/db';
import { writeSpec } from '../helpers.js';
import { runCli, type Finished } from '../live/cli-process.js';

const SPEC = `!JobGroup
ident: regress
jobs:
  - !Job
    ident: build
    command: sh
    args: [-c, "echo compiling; echo 'unused variable' >&2; exit 0"]
    stderr_severity: WARNING
  - !JobArray
    ident: sims
    repeats: 3
    seed: 100
    on_pass: [build]
    jobs:
      - !Job
        ident: sim
        command: sh
        args: [-c, "echo seed=$GATOR_SEED; if [ $GATOR_ARRAY_INDEX = 1 ]; then echo 'Assertion failed at alu.c:12' >&2; exit 4; fi"]
  - !Job
    ident: publish
    on_pass: [sims]
    command: "true"
`;

let dir = '';
let run: Finished;

// One real run, shared by the tests below (they only read it); removed after them.
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-inspect-e2e-'));
  writeSpec(dir, 'regress.yaml', SPEC);
  run = await runCli(['run', 'regress.yaml', '--sched-arg', 'concurrency=2', '--tracking', 'tracking/2026-01-01T10:00:00.000'], dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
});

function gator(args: string[]): Promise<Finished> {
  return runCli(args, dir);
}

describe('inspecting a real run through the built CLI', () => {
  it('the run ended as the spec implies', () => {
    expect(run.code, run.stdout + run.stderr).toBe(1);
  });

  it('export --junit: a JUnit consumer reads the right counts, failures and skips', async () => {
    const r = await gator(['export', '--junit', 'out/junit.xml']);
    expect(r.code, r.stderr).toBe(0);
    const xml = fs.readFileSync(path.join(dir, 'out', 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testsuite' || n === 'testcase' }).parse(xml);
    const suites = doc.testsuites.testsuite as { name: string; tests: string; failures: string; skipped: string; testcase: Record<string, any>[] }[];
    expect([doc.testsuites.tests, doc.testsuites.failures, doc.testsuites.skipped]).toEqual(['5', '1', '1']);
    expect(suites.map((s) => [s.name, s.tests, s.failures, s.skipped])).toEqual([
      ['regress', '2', '0', '1'],
      ['regress.sims', '3', '1', '0'],
    ]);
    const cases = Object.fromEntries(suites.flatMap((s) => s.testcase).map((c) => [c.name, c]));
    expect(Object.keys(cases).sort()).toEqual(['regress.build', 'regress.publish', 'regress.sims.sim_0', 'regress.sims.sim_1', 'regress.sims.sim_2']);
    expect(cases['regress.sims.sim_1']!.failure.message).toMatch(/code 4/);
    expect(cases['regress.sims.sim_1']!.failure['#text']).toContain('Assertion failed at alu.c:12');
    expect(cases['regress.publish']!.skipped.message).toMatch(/sims/);
    expect(cases['regress.sims.sim_0']!.failure).toBeUndefined();
  });

  it('show --json matches the run files', async () => {
    const r = await gator(['show', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.totals).toEqual({ total: 5, passed: 3, failed: 1, lost: 0, skipped: 1, stopped: 0, running: 0, pending: 0 });
    expect(report.live).toBe(false);
    // Every layer's stored result, as the files hold it.
    const walk = (n: { dbFile: string | null; result: string | null; children?: unknown[] }): void => {
      if (n.dbFile) {
        const reader = openLayerReader(n.dbFile);
        try {
          expect(n.result).toBe(['UNKNOWN', 'SUCCESS', 'FAILURE', 'ABORTED'][Number(reader.attribute('result'))]);
        } finally {
          reader.close();
        }
      }
      for (const c of (n.children ?? []) as (typeof n)[]) walk(c);
    };
    walk(report.root);
    const sim1 = report.root.children[1].children[1];
    expect(sim1).toMatchObject({ path: ['regress', 'sims', 'sim_1'], exit: 4, outcome: 'failed' });
    expect(report.root.children[0].messages.warning).toBe(1);
  });

  it('show draws the tree; logs filters by job and severity', async () => {
    const show = await gator(['show']);
    expect(show.stdout).toMatch(/✖ sim_1\s+FAILURE/);
    expect(show.stdout).toMatch(/○ publish\s+SKIPPED/);
    const logs = await gator(['logs', 'sims.sim_1', '--severity', 'ERROR']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('sims.sim_1 Assertion failed at alu.c:12');
    expect(logs.stdout).not.toContain('sim_0');
  });

  it('repro prints the seed and environment a job ran with, and --exec reproduces its exit code', async () => {
    const r = await gator(['repro', 'sims.sim_1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/GATOR_ARRAY_INDEX=1/);
    expect(r.stdout).toMatch(/GATOR_SEED=101/);
    const exec = await gator(['repro', 'sims.sim_1', '--exec']);
    expect(exec.code).toBe(4);
    expect(exec.stdout).toContain('seed=101');
    expect(exec.stderr).toContain('Assertion failed at alu.c:12');
  });
});

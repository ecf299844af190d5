import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { findNode, jobsOf, loadRunReport } from '../../src/inspect/run-report.js';
import { makeFixtureRun, T0, type FixtureRun } from './fixture-run.js';

const runs: FixtureRun[] = [];
afterEach(() => {
  for (const r of runs.splice(0)) fs.rmSync(r.base, { recursive: true, force: true });
});

function fixture(live = false, skippedList = false): FixtureRun {
  const r = makeFixtureRun({ live, skippedList });
  runs.push(r);
  return r;
}

describe('loadRunReport', () => {
  it('reads a finished run: states, results, reasons, counts, metrics', () => {
    const run = fixture();
    const report = loadRunReport(run.tracking);
    expect(report.ident).toBe('nightly');
    expect(report.live).toBe(false);
    expect(report.result).toBe('FAILURE');
    expect(report.reason).toBe('2 jobs failed, 1 skipped');
    expect(report.duration).toBe(8);
    expect(report.totals).toEqual({ total: 5, passed: 2, failed: 2, lost: 0, skipped: 1, stopped: 0, running: 0, pending: 0 });
    // The tier's `Skipping …` line is Gator's notice, not a warning of the run.
    expect(report.messages).toEqual({ debug: 1, info: 4, warning: 1, error: 4, critical: 0 });

    const byPath = Object.fromEntries(jobsOf(report.root).map((j) => [j.path.join('.'), j]));
    expect(Object.keys(byPath)).toEqual(['nightly.compile', 'nightly.tests.seed_0', 'nightly.tests.seed_1', 'nightly.tests.seed_2', 'nightly.report']);
    expect(byPath['nightly.compile']).toMatchObject({ outcome: 'passed', result: 'SUCCESS', exit: 0, metrics: { files: 12 }, duration: 2 });
    expect(byPath['nightly.compile']!.messages).toEqual({ debug: 0, info: 1, warning: 1, error: 0, critical: 0 });
    expect(byPath['nightly.tests.seed_1']).toMatchObject({
      outcome: 'failed',
      result: 'FAILURE',
      exit: 3,
      reason: 'exited with code 3',
      errors: ['Assertion failed at /src/alu.c:12: expected 4, got 5', 'backtrace: alu_add <- main'],
    });
    expect(byPath['nightly.tests.seed_1']!.log).toMatch(/tests\/seed\/1\/messages\.log$/);
    // Never ran: no database; the reason comes from the tier's own record of the skip.
    expect(byPath['nightly.report']).toMatchObject({ outcome: 'skipped', dbFile: null, reason: "dependency 'tests' failed" });

    const tests = findNode(report.root, 'tests');
    expect(tests.kind).toBe('tier');
    expect(tests.totals).toMatchObject({ total: 3, passed: 1, failed: 2 });
    expect(tests.stats).toEqual({ coverage: { count: 3, sum: 210, min: 60, max: 80, mean: 70 } });
    expect(report.buckets).toEqual([
      { signature: 'Assertion failed at <path>:<n>: expected <n>, got <n>', count: 2, examples: [['nightly', 'tests', 'seed_1'], ['nightly', 'tests', 'seed_2']] },
    ]);
    expect(report.failures.map((f) => [f.path.join('.'), f.reason])).toEqual([
      ['nightly.tests.seed_1', 'exited with code 3'],
      ['nightly.tests.seed_2', 'exceeded the ERROR limit (1 > 0)'],
    ]);
  });

  it("takes a skip's reason from the roll-up's skipped list when there is one", () => {
    const report = loadRunReport(fixture(false, true).tracking);
    expect(findNode(report.root, 'report')).toMatchObject({ outcome: 'skipped', reason: "dependency 'tests' did not pass" });
  });

  it('reads a running run: running and pending jobs, durations up to now', () => {
    const run = fixture(true);
    const report = loadRunReport(run.tracking, { now: T0 + 10 });
    expect(report.live).toBe(true);
    expect(report.state).toBe('running');
    expect(report.totals).toEqual({ total: 5, passed: 2, failed: 1, lost: 0, skipped: 0, stopped: 0, running: 1, pending: 1 });
    const seed2 = findNode(report.root, 'nightly.tests.seed_2');
    expect(seed2.state).toBe('running');
    expect(seed2.duration).toBeCloseTo(10 - 3.4, 3);
    expect(findNode(report.root, 'report').state).toBe('pending');
  });

  it('names close matches when a job path is wrong', () => {
    const run = fixture();
    const report = loadRunReport(run.tracking);
    expect(() => findNode(report.root, 'tests.seed_9')).toThrowError(/No job 'tests.seed_9'/);
    try {
      findNode(report.root, 'seed_1');
    } catch (e) {
      expect((e as { code: string; hint: string }).code).toBe('GATOR_JOB_NOT_FOUND');
      expect((e as { hint: string }).hint).toContain('nightly.tests.seed_1');
    }
  });

  it('fails with a typed error on a directory that is not a run', () => {
    const run = fixture();
    fs.mkdirSync(`${run.base}/empty`);
    expect(() => loadRunReport(`${run.base}/empty`)).toThrowError(expect.objectContaining({ code: 'GATOR_DB_READ' }));
  });
});

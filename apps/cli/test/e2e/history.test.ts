/**
 * Issue 19, done-when: three real runs of one spec where, in the third, one job
 * is fixed, one newly fails, one passes only on a retry and one gets slower;
 * `gator diff` and `gator history` report exactly that (text and JSON).
 * Through the built CLI, real processes and SQLite files.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { gator, writeSpec } from '../helpers.js';

/** Maven Surefire's published report schema (vendored with its source URL): it defines flakyFailure and rerunFailure. */
const SUREFIRE_XSD = fs.readFileSync(new URL('../fixtures/junit/surefire-test-report-3.0.xsd', import.meta.url), 'utf8');

// RUN (1, 2, 3) says which run it is; the flaky job fails its first attempt of run 3 only.
const SPEC = `!JobGroup
ident: nightly
jobs:
  - !Job {ident: fixme, command: bash, args: [-c, 'test "$RUN" = 3 || { echo "broken in run $RUN" >&2; exit 3; }']}
  - !Job {ident: breaks, retries: 1, command: bash, args: [-c, 'test "$RUN" != 3 || { echo "assertion failed" >&2; exit 1; }']}
  - !Job {ident: flaky, retries: 2, command: bash, args: [-c, 'test "$RUN" = 3 || exit 0; test -f flaky.marker && exit 0; touch flaky.marker; exit 4']}
  - !Job {ident: slow, command: bash, args: [-c, 'test "$RUN" != 3 || sleep 4']}
  - !JobArray
    ident: sims
    repeats: 2
    seed: 1000
    jobs:
      - !Job {ident: sim, command: "true"}
`;

// Durations of jobs that do no work vary on a loaded machine: only the 4 s sleep is news.
const QUIET = ['--min-seconds', '2.5'];

describe('gator diff and gator history over three runs of a spec', () => {
  let dir = '';
  beforeAll(async () => {
    // One directory for all the tests (the helpers' tempDir is removed after each test).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-history-'));
    const spec = writeSpec(dir, 'nightly.yaml', SPEC);
    // Another spec's run in the same tracking directory is not part of the history.
    const other = writeSpec(dir, 'other.yaml', '!Job {ident: other, command: "true"}\n');
    expect((await gator(['run', other, '--tracking', 'tracking/other'], { cwd: dir })).code).toBe(0);
    for (const run of ['1', '2', '3']) {
      const done = await gator(['run', spec, '--tracking', `tracking/run${run}`], { cwd: dir, env: { RUN: run } });
      expect(done.code, done.stdout + done.stderr).toBe(1); // fixme fails in 1 and 2, breaks in 3
    }
  }, 180_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('diff, by default the newest run of the spec against the one before: text', async () => {
    const text = await gator(['diff', 'tracking/run2', 'tracking/run3', ...QUIET], { cwd: dir });
    expect(text.code, text.stderr).toBe(1); // there is a new failure
    const out = text.stdout;
    expect(out).toContain('nightly: tracking/run3 against tracking/run2 (6 jobs in both)');
    expect(out).toMatch(/New failures \(1\):\n {2}✖ breaks {2}failed \(exit\): exited with code 1.*\(was passed\)/);
    expect(out).toMatch(/Fixed \(1\):\n {2}✔ fixme {2}passed {2}\(was failed \(exit\): exited with code 3/);
    expect(out).toMatch(/Flaky \(passed only on a retry\) \(1\):\n {2}↻ flaky {2}passed on attempt 2 {2}\(was passed\)/);
    expect(out).toMatch(/Slower \(1\):\n {2}▲ slow {2}\S+ → \S+ {2}\(\+\S+\)/);
    for (const absent of ['Still failing', 'New jobs', 'Removed jobs', 'Other changes', 'Faster']) expect(out).not.toContain(absent);
    expect(out).toContain('New failures: new failures: 1, fixed: 1, flaky: 1, slower: 1');
  });

  it('diff --json says the same, and run2 against run1 has no new failures (exit 0)', async () => {
    const json = await gator(['diff', '--json', ...QUIET], { cwd: dir });
    expect(json.code, json.stderr).toBe(1);
    const diff = JSON.parse(json.stdout);
    expect(path.basename(diff.base.dir)).toBe('run2');
    expect(path.basename(diff.compared.dir)).toBe('run3');
    expect(diff.counts).toEqual({ newFailures: 1, fixed: 1, stillFailing: 0, flaky: 1, newJobs: 0, removedJobs: 0, changed: 0, slower: 1, faster: 0 });
    expect(diff.hasNewFailures).toBe(true);
    expect(diff.newFailures[0]).toMatchObject({ path: 'breaks', before: { outcome: 'passed' }, after: { outcome: 'failed', kind: 'exit' } });
    expect(diff.fixed[0]).toMatchObject({ path: 'fixme', before: { outcome: 'failed', kind: 'exit' }, after: { outcome: 'passed' } });
    expect(diff.flaky[0]).toMatchObject({ path: 'flaky', after: { outcome: 'flaky', attempt: 2 } });
    expect(diff.slower[0].path).toBe('slow');
    expect(diff.slower[0].delta).toBeGreaterThan(2.5);

    const earlier = await gator(['diff', 'run1', 'run2', '--json', ...QUIET], { cwd: dir });
    expect(earlier.code, earlier.stderr).toBe(0);
    const calm = JSON.parse(earlier.stdout);
    expect(calm.counts).toEqual({ newFailures: 0, fixed: 0, stillFailing: 1, flaky: 0, newJobs: 0, removedJobs: 0, changed: 0, slower: 0, faster: 0 });
    // Same failure, only the run number in its message differs.
    expect(calm.stillFailing[0]).toMatchObject({ path: 'fixme', reasonChanged: false });

    const markdown = await gator(['diff', '--markdown', ...QUIET], { cwd: dir });
    expect(markdown.stdout).toContain('| `breaks` | failed (exit): exited with code 1');
    expect(markdown.stdout).toContain('### ↻ Flaky (passed only on a retry) (1)');
  });

  it('history of the flaky job: its three results, newest first, and a flake rate of 1 in 3', async () => {
    const text = await gator(['history', 'flaky'], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('flaky: 3 of 3 runs; flake rate 33% (1 flaky, 2 passed, 0 failed of 3 that ran)');
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/).slice(0, 2))).toEqual([
      ['↻', 'tracking/run3'],
      ['✔', 'tracking/run2'],
      ['✔', 'tracking/run1'],
    ]);
    expect(lines[2]).toMatch(/flaky +2 +\S+ +- +passed on attempt 2$/);

    const json = JSON.parse((await gator(['history', 'nightly.flaky', '--json'], { cwd: dir })).stdout);
    expect(json).toMatchObject({ path: 'flaky', runs: 3, ran: 3, flaky: 1, passed: 2, failed: 0 });
    expect(json.flakeRate).toBeCloseTo(1 / 3);
    expect(json.rows.map((r: { trial: { outcome: string; attempt: number } }) => [r.trial.outcome, r.trial.attempt])).toEqual([
      ['flaky', 2],
      ['passed', 1],
      ['passed', 1],
    ]);
  });

  it('history of the other jobs: reasons, seeds, durations; --last; an unknown job is exit 2', async () => {
    const fixme = JSON.parse((await gator(['history', 'fixme', '--json'], { cwd: dir })).stdout);
    expect(fixme.rows.map((r: { trial: { outcome: string } }) => r.trial.outcome)).toEqual(['passed', 'failed', 'failed']);
    expect(fixme.rows[1].trial).toMatchObject({ kind: 'exit', reason: expect.stringContaining('exited with code 3') });
    const sim = JSON.parse((await gator(['history', 'sims.sim_1', '--json', '--last', '2'], { cwd: dir })).stdout);
    expect(sim.rows.map((r: { trial: { seed: string } }) => r.trial.seed)).toEqual(['1001', '1001']);
    expect(sim.runs).toBe(2);
    const slow = JSON.parse((await gator(['history', 'slow', '--json'], { cwd: dir })).stdout);
    expect(slow.rows[0].trial.duration).toBeGreaterThan(3.5);
    const text = await gator(['history', 'sims.sim_0'], { cwd: dir });
    expect(text.stdout).toMatch(/✔ tracking\/run3 .* passed +1 +\S+ +1000/);

    const missing = await gator(['history', 'nosuch'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("No job 'nosuch' in the 3 runs of 'nightly'");
    expect(fs.existsSync(path.join(dir, 'flaky.marker'))).toBe(true);
  });

  it('the JUnit export of the third run validates against Surefire\'s schema and carries flakyFailure and rerunFailure', async () => {
    const exported = await gator(['export', 'tracking/run3', '--junit=-'], { cwd: dir });
    expect(exported.code, exported.stderr).toBe(0);
    const xml = exported.stdout;
    // A Surefire report is one <testsuite> per file: each of ours is checked as one. Its schema has no
    // `timestamp` attribute (Jenkins and GitLab read it), so that one attribute is left out for the check.
    const suites = [...xml.matchAll(/<testsuite [\s\S]*?<\/testsuite>/g)].map((m) => m[0].replace(/ timestamp="[^"]*"/, ''));
    expect(suites.length).toBe(2);
    for (const [i, suite] of suites.entries()) {
      const result = await validateXML({ xml: { fileName: `suite${i}.xml`, contents: `<?xml version="1.0" encoding="UTF-8"?>\n${suite}\n` }, schema: { fileName: 'surefire-test-report-3.0.xsd', contents: SUREFIRE_XSD } });
      expect(result.errors.map((e) => e.message), suite).toEqual([]);
      expect(result.valid).toBe(true);
    }
    expect(xml).toMatch(/<testcase name="nightly\.flaky"[^>]*>\n {6}<flakyFailure message="attempt 1: exited with code 4" type="exit 4"><stackTrace>/);
    expect(xml).toMatch(/<testcase name="nightly\.breaks"[^>]*>\n {6}<failure [^\n]*\n[^]*?<rerunFailure message="attempt 1: [^"]*" type="exit 1">/);
    // Flaky passes: the suite counts it as neither a failure nor an error.
    expect(xml).toMatch(/<testsuite name="nightly" tests="4" failures="1" errors="0" skipped="0"/);
    // gator show says FLAKY for it, and counts it as passed.
    const show = await gator(['show', 'tracking/run3'], { cwd: dir });
    expect(show.stdout).toMatch(/├─ ↻ flaky +FLAKY .*passed on attempt 2/);
    expect(show.stdout).toContain('Failed  5 passed, 1 failed, 0 lost, 0 skipped of 6 jobs');
    expect(show.stdout).toContain('1 flaky job (passed only on a retry; counted as passed): flaky');
    const markdown = await gator(['export', 'tracking/run3', '--markdown=-'], { cwd: dir });
    expect(markdown.stdout).toContain('## Flaky (1): passed only on a retry\n\n- ↻ `flaky`: passed on attempt 2');
    expect(markdown.stdout).toMatch(/\| `flaky` \| \S+ FLAKY \|/);
    const calm = await gator(['export', 'tracking/run2', '--junit=-'], { cwd: dir });
    expect(calm.stdout).not.toContain('flakyFailure');
  });

  it('wrong input is exit 2 with what to do: no such run, a run with no other of its spec, a bad threshold', async () => {
    const none = await gator(['diff', 'nosuchrun'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("No run 'nosuchrun'");
    const alone = await gator(['diff', 'tracking/other'], { cwd: dir });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('No run of the same spec after');
    const threshold = await gator(['diff', '--threshold', 'lots'], { cwd: dir });
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toContain("--threshold expects a number of zero or more, got 'lots'");
    for (const r of [none, alone, threshold]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('gator show --slowest N and --timeline: where the time of a run went', async () => {
    const r = await gator(['show', 'tracking/run3', '--slowest', '2', '--timeline'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Timeline \(6 jobs over \S+\):$/);
    const bars = lines.filter((l) => /│.*│/.test(l));
    expect(bars.map((l) => l.trim().split(/\s+/)[0]).sort()).toEqual(['breaks', 'fixme', 'flaky', 'sims.sim_0', 'sims.sim_1', 'slow']);
    // Every bar is as wide as the run; the flaky job's is drawn with its own fill.
    expect(new Set(bars.map((l) => l.slice(l.indexOf('│'), l.lastIndexOf('│') + 1).length)).size).toBe(1);
    expect(bars.find((l) => l.trim().startsWith('flaky'))).toContain('▓');
    const slowest = lines.slice(lines.indexOf('Slowest 2 jobs:') + 1, lines.indexOf('Slowest 2 jobs:') + 3);
    expect(slowest[0]).toMatch(/^\s+\S+\s+\d+%\s+passed\s+slow$/);
    expect(slowest).toHaveLength(2);
    const json = await gator(['show', 'tracking/run3', '--slowest', '2', '--json'], { cwd: dir });
    expect(json.code).toBe(2);
  });
});

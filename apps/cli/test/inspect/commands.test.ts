import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { openLayerStore } from '@gator/db';
import { Severity } from '@gator/protocol';
import { loadRunReport } from '../../src/inspect/run-report.js';
import { makeFixtureRun, T0, type FixtureRun } from './fixture-run.js';
import { runInspect } from './helpers.js';

const runs: FixtureRun[] = [];
afterEach(() => {
  for (const r of runs.splice(0)) fs.rmSync(r.base, { recursive: true, force: true });
});

function fixture(live = false): FixtureRun {
  const r = makeFixtureRun({ live });
  runs.push(r);
  return r;
}

/** A JUnit consumer's view: every testsuite and testcase as arrays. */
function parseJunit(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  return parser.parse(xml).testsuites as {
    tests: string;
    failures: string;
    errors: string;
    skipped: string;
    testsuite: { name: string; tests: string; failures: string; skipped: string; testcase: Record<string, unknown>[] }[];
  };
}

describe('gator show', () => {
  it('prints the tree with states, reasons, counts, buckets and metric statistics', async () => {
    const run = fixture();
    const r = await runInspect(['show', run.tracking], run.base);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^✖ nightly\s+FAILURE\s+8\.0s/);
    expect(r.out).toMatch(/├─ ✔ compile\s+SUCCESS\s+2\.0s\s+1 warning\s+files=12/);
    expect(r.out).toMatch(/│  ├─ ✖ seed_1\s+FAILURE\s+2\.8s\s+2 errors\s+exit 3\s+coverage=60/);
    expect(r.out).toContain('reason: exited with code 3');
    expect(r.out).toContain('│ Assertion failed at /src/alu.c:12: expected 4, got 5');
    expect(r.out).toMatch(/└─ ○ report\s+SKIPPED/);
    expect(r.out).toContain("reason: dependency 'tests' failed");
    expect(r.out).toContain('Failed  2 passed, 2 failed, 0 lost, 1 skipped of 5 jobs  (1 warning, 4 errors, 8.0s)');
    expect(r.out).toContain('2 × Assertion failed at <path>:<n>: expected <n>, got <n>');
    expect(r.out).toMatch(/coverage\s+3\s+210\s+60\s+80\s+70/);
    // Not a terminal: no colours.
    expect(r.out).not.toContain('\u001b[');
  });

  it('--json gives the same tree as the run files', async () => {
    const run = fixture();
    const r = await runInspect(['show', '--json', '--tracking', run.tracking], run.base);
    const json = JSON.parse(r.out);
    const report = loadRunReport(run.tracking);
    expect(json.gatorRunReport).toBe(1);
    expect(json.totals).toEqual(report.totals);
    expect(json.root.children.map((c: { ident: string; outcome: string }) => [c.ident, c.outcome])).toEqual([
      ['compile', 'passed'],
      ['tests', 'failed'],
      ['report', 'skipped'],
    ]);
    expect(json.root.children[1].children[1]).toMatchObject({ path: ['nightly', 'tests', 'seed_1'], exit: 3, metrics: { coverage: 60 } });
    expect(json.stats.coverage).toEqual({ count: 3, sum: 210, min: 60, max: 80, mean: 70 });
  });

  it('defaults to the newest run under ./tracking', async () => {
    const run = fixture();
    const trackingRoot = path.join(run.base, 'tracking');
    fs.mkdirSync(trackingRoot);
    fs.renameSync(run.tracking, path.join(trackingRoot, '2026-01-01T10:00:00.000'));
    const r = await runInspect(['show', '--failed'], run.base);
    expect(r.code).toBe(0);
    expect(r.out).toContain('seed_1');
    // --failed leaves out the branches that passed.
    expect(r.out).not.toContain('compile');
  });

  it('says clearly when there is no run', async () => {
    const run = fixture();
    const r = await runInspect(['show'], path.join(run.base, 'run', 'compile'));
    expect(r.error).toBe('GATOR_RUN_NOT_FOUND');
  });
});

describe('gator logs', () => {
  it('merges the messages of every layer in time order', async () => {
    const run = fixture();
    const r = await runInspect(['logs', run.tracking], run.base);
    const lines = r.out.trim().split('\n');
    expect(lines.map((l) => l.replace(/^\[\d\d:\d\d:\d\d\] /, ''))).toEqual([
      '[INFO   ] nightly Starting nightly',
      '[INFO   ] compile compiling 12 files',
      '[WARNING] compile unused variable x',
      '[INFO   ] tests.seed_1 seed 1001 start',
      '[DEBUG  ] tests.seed_2 debug detail',
      '[INFO   ] tests.seed_0 seed 1000 ok',
      '[ERROR  ] tests.seed_1 Assertion failed at /src/alu.c:12: expected 4, got 5',
      '[ERROR  ] tests.seed_1 backtrace: alu_add <- main',
      '[ERROR  ] tests.seed_2 Assertion failed at /src/alu.c:40: expected 1, got 0',
      '[ERROR  ] tests 2 of 3 children failed',
      "[gator  ] nightly Skipping job 'report': dependency 'tests' failed",
    ]);
  });

  it('filters by subtree, severity and pattern; --json gives one object a line', async () => {
    const run = fixture();
    const sub = await runInspect(['logs', 'tests.seed_1', '--tracking', run.tracking, '--severity', 'error'], run.base);
    expect(sub.out.trim().split('\n')).toHaveLength(2);
    const grep = await runInspect(['logs', run.tracking, 'tests', '--grep', 'alu\\.c:\\d+'], run.base);
    expect(grep.out.trim().split('\n')).toHaveLength(2);
    const json = await runInspect(['logs', run.tracking, '--severity', 'warning', '--json'], run.base);
    const rows = json.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.severity)).toEqual(['WARNING', 'ERROR', 'ERROR', 'ERROR', 'ERROR']);
    expect(rows[1]).toMatchObject({ path: 'nightly.tests.seed_1', level: 40, timestamp: T0 + 5.5 });
  });

  it('rejects a bad severity, a bad pattern and an unknown job with clear errors', async () => {
    const run = fixture();
    expect((await runInspect(['logs', run.tracking, '--severity', 'loud'], run.base)).error).toBe('GATOR_USAGE');
    expect((await runInspect(['logs', run.tracking, '--grep', '(['], run.base)).error).toBe('GATOR_USAGE');
    expect((await runInspect(['logs', run.tracking, 'tests.nope'], run.base)).error).toBe('GATOR_JOB_NOT_FOUND');
  });

  it('--follow prints new messages of a live run and stops when the root stops', async () => {
    const run = fixture(true);
    const following = runInspect(['logs', run.tracking, '--follow'], run.base);
    // Another process would be the running layers; here the test writes as they do.
    await new Promise((r) => setTimeout(r, 400));
    const seed2 = openLayerStore({ dir: path.join(run.tracking, 'tests', 'seed', '2'), kind: 'wrapper' });
    seed2.addMessage({ severity: Severity.ERROR, message: 'late failure in seed_2', timestamp: T0 + 9 });
    seed2.close();
    // A layer that appears while following (a new child dir with its own database).
    const late = openLayerStore({ dir: path.join(run.tracking, 'late'), kind: 'wrapper' });
    late.setAttribute('ident', 'late');
    late.addMessage({ severity: Severity.INFO, message: 'late layer says hello', timestamp: T0 + 9.5 });
    late.close();
    await new Promise((r) => setTimeout(r, 1500));
    const root = openLayerStore({ dir: run.tracking, kind: 'tier' });
    root.addMessage({ severity: Severity.INFO, message: 'Recorded the end', timestamp: T0 + 10 });
    root.setAttribute('stopped', String(T0 + 10));
    root.close();
    const r = await following;
    expect(r.code).toBe(0);
    expect(r.out).toContain('tests.seed_2 late failure in seed_2');
    expect(r.out).toContain('late late layer says hello');
    expect(r.out.trim().split('\n').pop()).toContain('Recorded the end');
  });
});

describe('gator export', () => {
  it('--junit: a testcase per job, a testsuite per tier, failures with reasons, skipped with the reason', async () => {
    const run = fixture();
    const file = path.join(run.base, 'out', 'results.xml');
    const r = await runInspect(['export', run.tracking, '--junit', file], run.base);
    expect(r.code).toBe(0);
    expect(r.err).toContain('Wrote out/results.xml');
    const doc = parseJunit(fs.readFileSync(file, 'utf8'));
    expect([doc.tests, doc.failures, doc.errors, doc.skipped]).toEqual(['5', '2', '0', '1']);
    expect(doc.testsuite.map((s) => [s.name, s.tests, s.failures, s.skipped])).toEqual([
      ['nightly', '2', '0', '1'],
      ['nightly.tests', '3', '2', '0'],
    ]);
    const cases = doc.testsuite.flatMap((s) => s.testcase);
    expect(cases.map((c) => c.name)).toEqual(['nightly.compile', 'nightly.report', 'nightly.tests.seed_0', 'nightly.tests.seed_1', 'nightly.tests.seed_2']);
    const seed1 = cases.find((c) => c.name === 'nightly.tests.seed_1') as { failure: { message: string; '#text': string }; time: string };
    expect(seed1.failure.message).toBe('exited with code 3');
    expect(seed1.failure['#text']).toContain('Assertion failed at /src/alu.c:12: expected 4, got 5');
    expect(seed1.failure['#text']).toContain('backtrace: alu_add <- main');
    expect(seed1.time).toBe('2.800');
    const report = cases.find((c) => c.name === 'nightly.report') as { skipped: { message: string } };
    expect(report.skipped.message).toBe("dependency 'tests' failed");
  });

  it('--json and --markdown; the Markdown leads with the failures', async () => {
    const run = fixture();
    const r = await runInspect(['export', run.tracking, '--json', 'run.json', '--markdown', 'run.md'], run.base);
    expect(r.code).toBe(0);
    const json = JSON.parse(fs.readFileSync(path.join(run.base, 'run.json'), 'utf8'));
    expect(json.totals).toEqual(loadRunReport(run.tracking).totals);
    const md = fs.readFileSync(path.join(run.base, 'run.md'), 'utf8');
    expect(md.split('\n')[0]).toBe('# Gator run `nightly`: ❌ failed');
    expect(md).toContain('**2 passed · 2 failed · 0 lost · 1 skipped** of 5 jobs');
    expect(md.indexOf('## Failures (2)')).toBeLessThan(md.indexOf('## Jobs'));
    expect(md).toContain('| 2 | `Assertion failed at <path>:<n>: expected <n>, got <n>` |');
    expect(md).toContain("- ⏭️ `report`: dependency 'tests' failed");
  });

  it('fits --max-bytes: failures kept, long output cut with a pointer to the run', async () => {
    const run = fixture();
    // A failing job with very long error lines and many of them.
    const seed1 = openLayerStore({ dir: path.join(run.tracking, 'tests', 'seed', '1'), kind: 'wrapper' });
    for (let i = 0; i < 50; i++) seed1.addMessage({ severity: Severity.ERROR, message: `mismatch ${i}: ${'x'.repeat(3000)}`, timestamp: T0 + 6 });
    seed1.close();
    for (const [flag, file] of [['--junit', 'small.xml'], ['--markdown', 'small.md']] as const) {
      const r = await runInspect(['export', run.tracking, flag, file, '--max-bytes', '3000'], run.base);
      expect(r.code).toBe(0);
      const text = fs.readFileSync(path.join(run.base, file), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(3000);
      expect(text).toContain('nightly.tests.seed_1'.slice(flag === '--markdown' ? 8 : 0));
      expect(text).toContain(`gator `);
      if (flag === '--junit') {
        const doc = parseJunit(text);
        expect(doc.failures).toBe('2');
      }
    }
    const tiny = await runInspect(['export', run.tracking, '--junit', 'tiny.xml', '--max-bytes', '100'], run.base);
    expect(tiny.error).toBe('GATOR_USAGE');
    expect(fs.existsSync(path.join(run.base, 'tiny.xml'))).toBe(false);
  });

  it('needs a format and writes to standard output with -', async () => {
    const run = fixture();
    expect((await runInspect(['export', run.tracking], run.base)).error).toBe('GATOR_USAGE');
    const r = await runInspect(['export', run.tracking, '--junit=-'], run.base);
    expect(parseJunit(r.out).tests).toBe('5');
  });
});

describe('gator repro', () => {
  it('prints the command, environment, directory and seed of a job', async () => {
    const run = fixture();
    const r = await runInspect(['repro', run.tracking, 'tests.seed_1'], run.base);
    expect(r.code).toBe(0);
    const cwd = path.join(run.tracking, 'tests', 'seed', '1');
    expect(r.out).toContain('# nightly.tests.seed_1: FAILURE, exit 3, seed 1001');
    expect(r.out).toContain(`cd ${cwd} && \\`);
    expect(r.out).toContain('env GATOR_ARRAY_INDEX=1 GATOR_SEED=1001 MODE=fast \\\n  sh -c');
    const json = JSON.parse((await runInspect(['repro', run.tracking, 'compile', '--json'], run.base)).out);
    expect(json).toMatchObject({ argv: ['make', '-j2', 'all'], env: { CC: 'gcc' }, seed: null });
  });

  it('--exec runs it with its environment over this one and exits with its code', async () => {
    const run = fixture();
    // seed_0 exits with GATOR_SEED % 7 = 1000 % 7 = 6: only true when the seed reached it.
    const r = await runInspect(['repro', run.tracking, 'tests.seed_0', '--exec'], run.base);
    expect(r.code).toBe(6);
  });

  it('refuses a tier and a job that never ran, with the reason', async () => {
    const run = fixture();
    expect((await runInspect(['repro', run.tracking, 'tests'], run.base)).error).toBe('GATOR_USAGE');
    const skipped = await runInspect(['repro', run.tracking, 'report'], run.base);
    expect(skipped.error).toBe('GATOR_JOB_NOT_FOUND');
    expect((await runInspect(['repro'], run.base)).error).toBe('GATOR_USAGE');
  });
});

describe('a damaged layer database', () => {
  it('is reported, and the rest of the run is still shown and logged', async () => {
    const run = fixture();
    fs.writeFileSync(path.join(run.tracking, 'tests', 'seed', '0', 'db.sqlite'), 'not a database at all, just text');
    const show = await runInspect(['show', run.tracking], run.base);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/✖ seed_0\s+LOST/);
    expect(show.out).toContain('its database could not be read');
    expect(show.out).toMatch(/✖ seed_1\s+FAILURE/);
    const logs = await runInspect(['logs', run.tracking], run.base);
    expect(logs.code).toBe(1);
    expect(logs.out).toContain('Assertion failed at /src/alu.c:12');
    expect(logs.err).toMatch(/the messages of nightly\.tests\.seed_0 could not be read/);
  });
});

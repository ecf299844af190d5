/**
 * Issue 17, least privilege on the wire: a job that tries to complete, update
 * or stop anything but itself is refused, and the run's result is what its
 * jobs really did. The forger (`forger.ts`) uses every secret a job holds or
 * can read from its wrapper's environment against its parent tier; a flood of
 * refused connections is counted, not stored one by one, and never counts as
 * a warning against the job.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { tempDir, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { countFault, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, startRun } from './fault-kit.js';
import { readForgeReport, writeForger, type ForgeMode } from './forger.js';
import { within } from './timing.js';

afterAll(() => flushCounts(import.meta.url));

const SUCCESS = 1;
const FAILURE = 2;

function messagesOf(dir: string): string[] {
  const reader = openLayerReader(dir);
  try {
    return reader.messages({ limit: 100_000 }).map((m) => m.message);
  } finally {
    reader.close();
  }
}

/** A run of `victim` (running `victimScript`) beside a forger job in `mode`. */
async function forge(mode: ForgeMode, victimScript: string) {
  const dir = tempDir('gator-fault-');
  const forger = writeForger(dir);
  const out = path.join(dir, 'forged.json');
  const spec = writeSpec(
    dir,
    'forgery.yaml',
    `!JobGroup
ident: top
jobs:
  - !Job {ident: victim, command: bash, args: [-c, '${victimScript}']}
  - !Job {ident: forger, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(forger)}, ${mode}, victim, ${JSON.stringify(out)}]}
`,
  );
  const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
  const done = await within(run.done, 90_000, 'the run to end');
  countFault();
  const report = readForgeReport(out);
  const results = collectResults(path.join(dir, 'run'));
  expectNoCrash(done);
  await expectNoneLeft(run);
  expectSecretKept(run, path.join(dir, 'run'));
  return { dir, done, report, results };
}

describe('a job cannot act as anything but itself', () => {
  it('complete for a failing sibling is refused: the sibling fails, the run fails', async () => {
    const { done, report, results } = await forge('complete-sibling', 'sleep 4; exit 3');
    expect(report.attempts.length).toBeGreaterThan(0);
    for (const a of report.attempts) expect(a, JSON.stringify(report)).toMatchObject({ outcome: 'refused' });
    expect(results.get('victim')?.result).toBe(FAILURE);
    expect(results.get('forger')?.result).toBe(SUCCESS);
    expect(done.code, done.stdout + done.stderr).toBe(1);
    expect(done.stdout).toMatch(/1 passed, 1 failed, 0 lost, 0 skipped of 2 jobs/);
  });

  it('complete for itself with inflated counts is refused: the run counts what really ran', async () => {
    const { done, report, results } = await forge('complete-self-inflated', 'true');
    for (const a of report.attempts) expect(a, JSON.stringify(report)).toMatchObject({ outcome: 'refused' });
    expect(results.get('forger')?.result).toBe(FAILURE);
    expect(done.code, done.stdout + done.stderr).toBe(1);
    expect(done.stdout).toMatch(/1 passed, 1 failed, 0 lost, 0 skipped of 2 jobs/);
    expect(done.stdout).not.toMatch(/1000000/);
  });

  it('update as a sibling is refused', async () => {
    const { done, report, results } = await forge('update-sibling', 'sleep 4');
    for (const a of report.attempts) expect(a, JSON.stringify(report)).toMatchObject({ outcome: 'refused' });
    expect(results.get('victim')?.result).toBe(SUCCESS);
    expect(done.code, done.stdout + done.stderr).toBe(0);
  });

  it('stopping a sibling (a completion with active jobs makes the tier give it up) is refused', async () => {
    const { done, report, results } = await forge('stop-sibling', 'sleep 4');
    for (const a of report.attempts) expect(a, JSON.stringify(report)).toMatchObject({ outcome: 'refused' });
    expect(results.get('victim')?.result).toBe(SUCCESS);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/2 passed, 0 failed, 0 lost, 0 skipped of 2 jobs/);
  });
});

describe('refused connections are counted, not stored one by one', () => {
  it('2,000 refused connections to its own wrapper: a few lines, no warning, the job passes with --limit-warning 0', async () => {
    const dir = tempDir('gator-fault-');
    const forger = writeForger(dir);
    const out = path.join(dir, 'flood.json');
    const spec = writeSpec(
      dir,
      'flood.yaml',
      `!Job {ident: flood, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(forger)}, flood, '2000', ${JSON.stringify(out)}]}\n`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--limit-warning', '0'], { cwd: dir });
    const done = await within(run.done, 120_000, 'the run to end');
    countFault(2000);
    expect(readForgeReport(out).flood).toEqual({ made: 2000, refused: 2000 });
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const refusals = messagesOf(path.join(dir, 'run')).filter((m) => /^Refused /.test(m));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.length).toBeLessThanOrEqual(20);
    expect(refusals.at(-1)).toMatch(/\(2000 in all\)$/);
    const reader = openLayerReader(path.join(dir, 'run'));
    try {
      expect(reader.messages({ limit: 100_000, minSeverity: 30 }).filter((m) => /Refused/.test(m.message))).toEqual([]);
    } finally {
      reader.close();
    }
    expectNoCrash(done);
    await expectNoneLeft(run);
  });
});

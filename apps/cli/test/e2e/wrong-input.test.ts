/**
 * Issue 14.5: wrong input is refused with a clear message and exit 2, before
 * any job runs, whatever the spec's size; every option works in any position.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gator, tempDir, writeSpec } from '../helpers.js';

const ONE_JOB = (marker: string) => `!Job\nident: one\ncommand: touch\nargs: ['${marker}']\n`;
const GROUP = (marker: string) => `!JobGroup\nident: g\njobs:\n  - !Job {ident: a, command: touch, args: ['${marker}']}\n  - !Job {ident: b, command: 'true'}\n`;

function setup(kind: 'job' | 'group') {
  const dir = tempDir();
  const marker = path.join(dir, 'ran');
  const spec = writeSpec(dir, 'spec.yaml', kind === 'job' ? ONE_JOB(marker) : GROUP(marker));
  return { dir, marker, spec };
}

describe('wrong input is refused up front (exit 2, nothing runs)', () => {
  for (const kind of ['job', 'group'] as const) {
    it(`--sched-arg with an unknown key suggests the closest one (${kind})`, async () => {
      const { dir, marker, spec } = setup(kind);
      const run = await gator(['run', spec, '--sched-arg', 'concurency=4'], { cwd: dir });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('Unknown option `concurency`');
      expect(run.stderr).toContain('Did you mean concurrency?');
      expect(fs.existsSync(marker)).toBe(false);
      expect(fs.existsSync(path.join(dir, 'tracking'))).toBe(false);
    });

    it(`--sched-arg with a bad value names it and what was expected (${kind})`, async () => {
      const { dir, marker, spec } = setup(kind);
      const run = await gator(['run', spec, '--sched-arg', 'concurrency=abc'], { cwd: dir });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('concurrency=abc');
      expect(run.stderr).toContain('expected a positive whole number');
      expect(fs.existsSync(marker)).toBe(false);
    });

    it(`an unknown --scheduler suggests the closest one (${kind})`, async () => {
      const { dir, marker, spec } = setup(kind);
      const run = await gator(['run', spec, '--scheduler', 'slrum'], { cwd: dir });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain("No scheduler named 'slrum'");
      expect(run.stderr).toContain('Did you mean slurm?');
      expect(fs.existsSync(marker)).toBe(false);
    });
  }

  it('an unknown run name is refused by show, logs, export and repro, naming where it looked', async () => {
    const { dir, spec } = setup('job');
    expect((await gator(['run', spec], { cwd: dir })).code).toBe(0);
    for (const args of [['show', 'nosuchrun'], ['export', 'nosuchrun', '--json=-'], ['logs', 'nosuchrun', 'one'], ['repro', 'nosuchrun', 'one'], ['show', '--tracking', 'nosuchrun']]) {
      const run = await gator(args, { cwd: dir });
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(2);
      expect(run.stderr).toContain("No run 'nosuchrun'");
      expect(run.stderr).toContain(path.join(dir, 'tracking', 'nosuchrun'));
      expect(run.stdout).toBe('');
    }
    // A run's name under ./tracking is a run.
    const name = fs.readdirSync(path.join(dir, 'tracking'))[0]!;
    const shown = await gator(['show', name], { cwd: dir });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('one');
  });
});

describe('options work in any position', () => {
  it('gator --all-msg SPEC, gator run SPEC --sched-arg k=v, gator --sched-arg k=v run SPEC', async () => {
    for (const args of [
      ['--all-msg', 'SPEC'],
      ['run', 'SPEC', '--sched-arg', 'concurrency=1'],
      ['--sched-arg', 'concurrency=1', 'run', 'SPEC'],
      ['--all-msg', '--sched-arg', 'concurrency=1', 'SPEC'],
      ['run', '--all-msg', 'SPEC'],
    ]) {
      const { dir, marker, spec } = setup('group');
      const run = await gator(args.map((a) => (a === 'SPEC' ? spec : a)), { cwd: dir });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      expect(fs.existsSync(marker), args.join(' ')).toBe(true);
    }
  });

  it('gator run --rerun-failed SPEC takes SPEC as the spec (the latest run is rerun)', async () => {
    const { dir, spec } = setup('group');
    expect((await gator(['run', spec], { cwd: dir })).code).toBe(0);
    const rerun = await gator(['run', '--rerun-failed', spec], { cwd: dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout + rerun.stderr).toContain('Nothing to rerun');
  });
});

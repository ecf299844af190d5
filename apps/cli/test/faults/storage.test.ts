/**
 * Issue 9, faults: a tracking directory that cannot be created, and one that
 * fills up mid-run. Each ends in a clear error and a failed run, never a crash
 * or a hang, and no process is left.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDir, writeSpec } from '../helpers.js';
import { countFault, expectNoCrash, expectNoneLeft, flushCounts, startRun } from './fault-kit.js';
import { within } from './timing.js';

afterAll(() => flushCounts(import.meta.url));

const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    }
  }
});

/** A tiny tmpfs (a full disk on demand); undefined where this machine cannot mount one. */
function smallDisk(parent: string, size: string): string | undefined {
  const dir = path.join(parent, 'disk');
  fs.mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return undefined;
  }
  mounts.push(dir);
  return dir;
}

const TREE = `!JobGroup
ident: top
jobs:
  - !Job {ident: noisy, command: bash, args: [-c, 'for i in \\$(seq 40000); do echo "line \\$i: a job that fills the disk with its output, line after line"; done']}
  - !Job {ident: quiet, command: sleep, args: [1]}
`;

describe('tracking directory faults', () => {
  it('a tracking directory under a regular file: a clear error, exit 1, no crash', async () => {
    const dir = tempDir('gator-fault-');
    fs.writeFileSync(path.join(dir, 'not-a-dir'), 'x');
    const spec = writeSpec(dir, 'tree.yaml', TREE);
    const run = startRun(['run', spec, '--tracking', 'not-a-dir/run'], { cwd: dir });
    countFault();
    const done = await within(run.done, 30_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(1);
    expect(done.stderr).toMatch(/Cannot create the tracking directory .*not-a-dir\/run/);
    expect(done.stderr).toMatch(/--tracking/);
    expectNoCrash(done);
    await expectNoneLeft(run);
  });

  it.each([
    ['full before the run starts', '256k'],
    ['filling up mid-run', '1m'],
  ])('a tracking directory on a disk %s: the run is failed with the reason, no crash', async (_name, size) => {
    const dir = tempDir('gator-fault-');
    const disk = smallDisk(dir, size);
    if (!disk) {
      // Not root, or no tmpfs: nothing to prove here.
      return;
    }
    const spec = writeSpec(dir, 'tree.yaml', TREE);
    const run = startRun(['run', spec, '--tracking', path.join(disk, 'run'), '--interval', '1'], { cwd: dir });
    countFault();
    const done = await within(run.done, 90_000, 'the run to end');
    const text = done.stdout + done.stderr;
    expect(done.code, text).toBe(1);
    expect(text).toMatch(/disk \(or quota\) is full|ENOSPC|SQLITE_FULL/);
    expect(done.stdout).toMatch(/^Failed /m);
    expectNoCrash(done);
    await expectNoneLeft(run);
  });
});

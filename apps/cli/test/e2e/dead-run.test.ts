/**
 * A real run whose root is killed (SIGKILL: it records nothing) is seen as
 * dead: `gator show` says interrupted, with when it was last heard of, instead
 * of RUNNING forever (issue 14).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { descendants, gator, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';

const SPEC = `!JobGroup
ident: doomed
jobs:
  - !Job {ident: quick, command: "true"}
  - !Job {ident: slow, command: sh, args: [-c, 'sleep 10']}
`;

function attribute(dbFile: string, name: string): string | undefined {
  try {
    const reader = openLayerReader(dbFile);
    try {
      return reader.attribute(name);
    } finally {
      reader.close();
    }
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a dead run', () => {
  it('gator show says RUNNING while the root lives, interrupted once it is killed', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = startGator(['run', spec, '--tracking', 'run'], { cwd: dir });
    const rootDb = path.join(dir, 'run', 'db.sqlite');
    const slowDb = path.join(dir, 'run', 'slow', 'db.sqlite');
    await waitFor(() => fs.existsSync(slowDb) && attribute(slowDb, 'started') !== undefined && attribute(rootDb, 'pid') !== undefined, 30_000, 'the slow job to start');
    expect(Number(attribute(rootDb, 'pid'))).toBe(run.child.pid);
    // Alive, it is running.
    expect((await gator(['show', 'run'], { cwd: dir })).stdout).toMatch(/^▶ doomed\s+RUNNING/);
    const below = descendants(run.child.pid!);
    run.child.kill('SIGKILL');
    await run.done;

    const show = await gator(['show', 'run'], { cwd: dir });
    expect(show.stdout).not.toContain('RUNNING');
    expect(show.stdout).toMatch(/^✖ doomed\s+INTERRUPTED/);
    // The slow job is cut off: lost, or failed when its wrapper saw its parent go first (the wrapper's verdict).
    expect(show.stdout).toMatch(/\nInterrupted  1 passed, (1 failed, 0 lost|0 failed, 1 lost), 0 skipped of 2 jobs/);
    expect(show.stdout).toMatch(/reason: interrupted: the root is gone without recording its end; last heard of at/);
    expect(show.stdout).toMatch(/last heard of at \d{4}-\d\d-\d\dT/);
    const json = JSON.parse((await gator(['show', 'run', '--json'], { cwd: dir })).stdout);
    expect(json).toMatchObject({ outcome: 'interrupted', interrupted: true, live: false });

    // The orphaned wrapper ends with its short job; end whatever is left of it by pid.
    await waitFor(() => below.every((pid) => !alive(pid)), 20_000, 'the orphaned wrapper to end').catch(() => {
      for (const pid of below) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
  }, 60_000);
});

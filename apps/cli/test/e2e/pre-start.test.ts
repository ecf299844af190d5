/**
 * Pre-started wrappers (the local scheduler's go channel) in a real run: a stop
 * that arrives while a wrapper waits for its slot reports that job exactly as a
 * job stopped in the queue, leaves nothing of the waiting wrapper in its
 * tracking directory, and leaves no process behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { tempDir, waitFor, writeSpec } from '../helpers.js';
import { expectNoCrash, expectNoneLeft, startRun, waitForProcess } from '../faults/fault-kit.js';

const SPEC = `!JobArray
ident: arr
repeats: 4
jobs:
  - !Job {ident: s, command: sleep, args: ["30"]}
`;

/** Entries of a job's tracking directory, without the scheduler's own log (where a process ran at all). */
function ownFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name !== 'scheduler.log').sort() : [];
}

describe('pre-started wrappers', () => {
  it('a stop while a wrapper waits for its go reports that job as one stopped in the queue', async () => {
    const dir = tempDir('gator-prestart-');
    const spec = writeSpec(dir, 'arr.yaml', SPEC);
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=1'], { cwd: dir });
    try {
      await waitForProcess(run, /^sleep 30$/, 'the first job', 60_000);
      // Job s_N's directory is run/s/N.
      const jobDir = (ident: string) => path.join(dir, 'run', 's', ident.slice(2));
      const opened = () => ['s_0', 's_1', 's_2', 's_3'].filter((ident) => fs.existsSync(path.join(jobDir(ident), 'db.sqlite')));
      // The next job's wrapper has started up (its store is open) and waits for a slot.
      await waitFor(() => opened().length >= 2, 60_000, 'a waiting wrapper');
      const waiting = opened().find((ident) => ident !== 's_0')!;
      run.child.kill('SIGINT');
      const done = await run.done;
      expect(done.code, done.stdout + done.stderr).toBe(130);
      expectNoCrash(done);
      await expectNoneLeft(run);

      const root = openLayerReader(path.join(dir, 'run'));
      const rows = new Map(root.children().map((row) => [row.ident, row]));
      root.close();
      const ran = rows.get('s_0')!;
      expect(ran.started).toBeTruthy();
      // Waiting or only queued: the same row, never started, and the same files (none of the wrapper's).
      const queued = [...rows.keys()].filter((id) => id !== 's_0' && id !== waiting);
      expect(queued.length).toBeGreaterThan(0);
      for (const id of queued) {
        const a = rows.get(waiting)!;
        const b = rows.get(id)!;
        // (`stopped` is when the tier gave up on each: the same moment or a few ms apart.)
        expect({ started: a.started, result: a.result, stopped: a.stopped !== null }).toEqual({ started: b.started, result: b.result, stopped: b.stopped !== null });
        expect(ownFiles(jobDir(waiting))).toEqual(ownFiles(jobDir(id)));
      }
      // The run's own words: one job stopped, the waiting one skipped with the queued ones.
      expect(done.stdout).toMatch(/0 passed, 0 failed, 0 lost, 3 skipped, 1 stopped of 4 jobs/);
    } finally {
      if (run.code === null && run.signal === null) run.child.kill('SIGKILL');
    }
  }, 120_000);
});

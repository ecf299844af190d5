/**
 * Issue 9, faults: stop (SIGTERM) and Ctrl-C (SIGINT) at many moments of a
 * run: before launch, during launch, mid-run, during completion, and a
 * repeated Ctrl-C. Every run ends cleanly, an interrupted run is never
 * recorded as passed, and no process of it is left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { tempDir, waitFor, writeSpec } from '../helpers.js';
import { countFault, expectNoCrash, expectNoneLeft, expectSecretKept, flushCounts, startRun, waitForProcess, type FaultRun } from './fault-kit.js';
import { within } from './timing.js';

const SUCCESS = 1;

afterAll(() => flushCounts(import.meta.url));

const SPEC = `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: a, command: sleep, args: ["0.6"]}
      - !Job {ident: b, command: bash, args: [-c, 'echo b; sleep 2']}
  - !Job {ident: c, command: sleep, args: ["0.8"]}
  - !Job {ident: d, on_pass: [c], command: bash, args: [-c, 'echo d; sleep 0.3']}
`;

type Moment = { name: string; at: (run: FaultRun) => Promise<void>; mustInterrupt: boolean };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const MOMENTS: Moment[] = [
  { name: 'at once (before the spec is read)', at: async () => {}, mustInterrupt: false },
  { name: 'after 150 ms (starting up)', at: () => sleep(150), mustInterrupt: false },
  {
    name: 'during launch (first child process exists)',
    at: async (run) => void (await waitForProcess(run, /(?:cli\.js|child\.cjs) .*--parent /, 'a child layer', 30_000)),
    mustInterrupt: true,
  },
  {
    name: 'mid-run (jobs running)',
    at: async (run) => void (await waitForProcess(run, /^sleep 2$/, 'job b', 30_000)),
    mustInterrupt: true,
  },
  {
    name: 'as the first job passes',
    at: (run) => waitFor(() => /passed/.test(run.stdout) || run.code !== null, 30_000, 'a job to pass'),
    mustInterrupt: false,
  },
  {
    name: 'during completion (root rolling up)',
    at: (run) => waitFor(() => /Complete -/.test(run.stdout) || run.code !== null, 30_000, 'the root to complete'),
    mustInterrupt: false,
  },
];

/** The root's recorded result, when it got as far as writing one. */
function rootResult(dir: string): number | undefined {
  if (!fs.existsSync(path.join(dir, 'db.sqlite'))) return undefined;
  const reader = openLayerReader(dir);
  try {
    const value = reader.attribute('result');
    return value === undefined ? undefined : Number(value);
  } finally {
    reader.close();
  }
}

async function stopAt(moment: Moment, signal: NodeJS.Signals, times = 1): Promise<void> {
  const dir = tempDir('gator-fault-');
  const spec = writeSpec(dir, 'stop.yaml', SPEC);
  const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=4'], { cwd: dir });
  await moment.at(run);
  // A loaded machine may see the moment late: a run already rolling up cannot be interrupted mid-run.
  const mustInterrupt = moment.mustInterrupt && !/Complete -/.test(run.stdout);
  for (let i = 0; i < times; i++) {
    if (run.code === null && run.signal === null) run.child.kill(signal);
    if (times > 1) await sleep(50);
  }
  countFault();
  const done = await within(run.done, 60_000, `the run stopped ${moment.name} to end`);
  const text = done.stdout + done.stderr;
  if (done.signal !== null && times > 1) {
    // A repeated Ctrl-C that lands after the run ended (while its output flushes) ends the
    // process by the signal itself: the same status 130 for a shell.
    expect(done.signal).toBe('SIGINT');
  } else if (done.signal !== null) {
    // Killed before its handlers were installed: nothing was started yet.
    expect(mustInterrupt, text).toBe(false);
    expect(done.signal).toBe(signal);
  } else if (mustInterrupt) {
    expect(done.code, text).toBe(130);
  } else {
    expect([0, 1, 130], text).toContain(done.code);
  }
  if (done.code === 130) {
    // A third Ctrl-C ends the root at once, before its closing summary.
    if (times === 1) expect(done.stdout).toMatch(/Stopped/);
    expect(rootResult(path.join(dir, 'run')), 'an interrupted run recorded as passed').not.toBe(SUCCESS);
  }
  expectNoCrash(done);
  await expectNoneLeft(run);
  expectSecretKept(run, path.join(dir, 'run'));
}

describe('stop and Ctrl-C at many moments', () => {
  for (const [i, moment] of MOMENTS.entries()) {
    // Alternate the signals so both meet every phase across the cases.
    const first: NodeJS.Signals = i % 2 === 0 ? 'SIGINT' : 'SIGTERM';
    const second: NodeJS.Signals = first === 'SIGINT' ? 'SIGTERM' : 'SIGINT';
    it(`${first} ${moment.name}`, () => stopAt(moment, first));
    it(`${second} ${moment.name}`, () => stopAt(moment, second));
  }

  it('Ctrl-C three times mid-run ends the root at once; its children follow', () => stopAt(MOMENTS[3]!, 'SIGINT', 3));
});

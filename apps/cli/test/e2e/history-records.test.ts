/**
 * Issue 19, scale: `gator diff` (and the hub's history) read a finished run's
 * trials from its tiers' records, not from every job's database; what they
 * say must be exactly what the run model says. Real runs with failures (exit,
 * stderr, timeout), a lost job, a flaky one, jobs skipped by a failed
 * dependency (one inside a group that did start, one a whole group that never
 * did: the records cannot list that one's jobs, so the run model is read).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffRuns, eachNode, loadRunModel, readRunEntry, readRunTrials, trialOfNode, trialPath, type JobTrial, type RunTrials } from '@gator/db';
import { gator, writeSpec } from '../helpers.js';

// RUN (1, 2) says which run it is: some jobs change between them.
const spec = (neverStarted: boolean) => `!JobGroup
ident: records
jobs:
  - !Job {ident: ok, command: bash, args: [-c, 'echo fine']}
  - !Job {ident: bad, command: bash, args: [-c, 'echo about to fail; exit 3']}
  - !Job {ident: err, command: bash, args: [-c, 'test "$RUN" = 2 || echo oops >&2']}
  - !Job {ident: slowpoke, command: bash, args: [-c, 'sleep 30'], timeout: 1}
  - !Job {ident: flaky, retries: 1, command: bash, args: [-c, 'test "$RUN" = 2 || exit 0; if [ -e "$GATOR_TRACKING/tried" ]; then exit 0; fi; touch "$GATOR_TRACKING/tried"; exit 1']}
  - !Job {ident: gone, command: bash, args: [-c, 'kill -9 \\$PPID; sleep 5']}
  - !Job {ident: after, command: "true", on_pass: [bad]}
  - !JobGroup
    ident: inner
${neverStarted ? '    on_pass: [bad]\n' : ''}    jobs:
      - !Job {ident: x, command: "true"}
      - !Job {ident: y, command: bash, args: [-c, 'test "$RUN" = 2 && exit 2; exit 0']}
      - !Job {ident: z, command: "true", on_pass: [y]}
  - !JobArray
    ident: arr
    repeats: 3
    jobs:
      - !Job {ident: sim, command: bash, args: [-c, 'if [ $(( \${GATOR_ARRAY_INDEX:-0} % 2 )) -eq 1 ]; then exit 5; fi']}
`;

/** The trials as the run model has them (what readRunTrials read before it read the tiers' records). */
function modelTrials(dir: string): RunTrials {
  const model = loadRunModel(dir);
  const jobs = new Map<string, JobTrial>();
  for (const node of eachNode(model.root)) if (node.kind === 'job') jobs.set(trialPath(node.path), trialOfNode(node));
  return { run: readRunEntry(dir)!, jobs, model };
}

/** A trial without the figures of the tier's clock. */
function outcomeOnly(t: JobTrial | undefined): Omit<JobTrial, 'started' | 'duration'> | undefined {
  if (!t) return undefined;
  const { started: _s, duration: _d, ...rest } = t;
  return rest;
}

describe('trials from the tiers\' records say what the run model says', () => {
  let dir = '';
  const runs: Record<string, string> = {};
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-records-'));
    const started = writeSpec(dir, 'started.yaml', spec(false));
    const pruned = writeSpec(dir, 'pruned.yaml', spec(true));
    for (const [name, file, run] of [
      ['a1', started, '1'],
      ['a2', started, '2'],
      ['b1', pruned, '1'],
      ['b2', pruned, '2'],
    ] as const) {
      const done = await gator(['run', file, '--tracking', `tracking/${name}`], { cwd: dir, env: { RUN: run } });
      expect(done.code, done.stdout + done.stderr).toBe(1);
      runs[name] = path.join(dir, 'tracking', name);
    }
  }, 240_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every job: the same outcome, kind, reason and attempt; with its own clock, the same trial', () => {
    const outcomes = new Set<string>();
    for (const name of ['a1', 'a2']) {
      const fast = readRunTrials(runs[name]!);
      const slow = modelTrials(runs[name]!);
      // The records said it all: no job database was needed.
      expect(fast.exact, name).toBeDefined();
      expect([...fast.jobs.keys()]).toEqual([...slow.jobs.keys()]);
      expect(fast.run).toEqual(slow.run);
      for (const [p, want] of slow.jobs) {
        expect(outcomeOnly(fast.jobs.get(p)), `${name} ${p}`).toEqual(outcomeOnly(want));
        expect(fast.exact!(p), `${name} ${p}`).toEqual(want);
      }
      for (const t of slow.jobs.values()) outcomes.add(t.outcome);
      expect(fast.model.totals).toEqual(slow.model.totals);
    }
    expect([...outcomes].sort()).toEqual(['failed', 'flaky', 'lost', 'passed', 'skipped']);
    // A group that never started: the records cannot list its jobs; the run model is read.
    const pruned = readRunTrials(runs.b1!);
    expect(pruned.exact).toBeUndefined();
    expect(pruned.jobs).toEqual(modelTrials(runs.b1!).jobs);
  });

  it('diffRuns over them is the same diff, at the default threshold and at none', () => {
    for (const [a, b] of [
      ['a1', 'a2'],
      ['a2', 'a1'],
      ['b1', 'b2'],
      ['a1', 'b2'],
    ] as const) {
      for (const options of [{}, { thresholdPercent: 0, minSeconds: 0 }]) {
        const fast = diffRuns(readRunTrials(runs[a]!), readRunTrials(runs[b]!), options);
        const slow = diffRuns(modelTrials(runs[a]!), modelTrials(runs[b]!), options);
        expect(JSON.stringify(fast), `${a} → ${b} ${JSON.stringify(options)}`).toBe(JSON.stringify(slow));
      }
    }
    const d = diffRuns(readRunTrials(runs.a1!), readRunTrials(runs.a2!));
    expect(d.sections.newFailures.map((e) => e.path)).toEqual(['inner.y']);
    expect(d.sections.fixed.map((e) => e.path)).toEqual(['err']);
    expect(d.sections.flaky.map((e) => e.path)).toEqual(['flaky']);
  });
});

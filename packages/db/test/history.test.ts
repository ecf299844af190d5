/**
 * Runs of a spec as a history (run-history), a job's trial in a run
 * (job-trials), what changed between two runs (run-diff) and one job across
 * runs (job-history), over databases written here with the store.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobResult } from '@gator/protocol';
import { diffRuns, jobHistory, listRuns, openLayerStore, previousRun, readJobTrial, readRunTrials, runHistory, type JobTrial, type RunTrials } from '../src/index.js';
import { tempDir } from './helpers.js';

interface JobSpec {
  ident: string;
  /** Absent: an older run without the `outcome` attribute (the run model reads its result). */
  outcome?: 'passed' | 'failed';
  result: number;
  attempts?: number;
  seconds?: number;
  reason?: string;
  seed?: string;
}

/** A finished run: a root tier `ident` started at `started` with the given jobs. */
function writeRun(dir: string, ident: string, started: number, jobs: JobSpec[]): string {
  const root = openLayerStore({ dir, kind: 'tier' });
  root.setAttribute('ident', ident);
  root.setAttribute('started', started);
  root.setAttribute('stopped', started + 10);
  const bad = jobs.some((j) => j.result !== JobResult.SUCCESS);
  root.setAttribute('result', bad ? JobResult.FAILURE : JobResult.SUCCESS);
  root.setAttribute('outcome', bad ? 'failed' : 'passed');
  for (const job of jobs) {
    const jobDir = path.join(dir, job.ident);
    const uidx = root.addChild({ ident: job.ident, dbFile: path.join(jobDir, 'db.sqlite'), expectedChildren: 0 });
    const store = openLayerStore({ dir: jobDir, kind: 'wrapper' });
    store.setAttribute('ident', job.ident);
    store.setAttribute('started', started + 1);
    store.setAttribute('stopped', started + 1 + (job.seconds ?? 1));
    store.setAttribute('result', job.result);
    if (job.outcome) store.setAttribute('outcome', job.outcome);
    if (job.outcome === 'failed') store.setAttribute('outcome_kind', 'exit');
    if (job.reason) store.setAttribute('reason', job.reason);
    if (job.seed) store.setAttribute('seed', job.seed);
    for (let a = 1; a <= (job.attempts ?? 1); a += 1) {
      const uid = store.addAttempt({ attempt: a, started: started + a });
      store.updateAttempt(uid, { stopped: started + a + 0.5, exit: a === job.attempts ? 0 : 1, result: a === (job.attempts ?? 1) ? job.result : JobResult.FAILURE });
    }
    store.close();
    root.updateChild(uidx, { started: started + 1, stopped: started + 2, result: job.result });
  }
  root.close();
  return dir;
}

const ok = (ident: string, extra: Partial<JobSpec> = {}): JobSpec => ({ ident, outcome: 'passed', result: JobResult.SUCCESS, ...extra });
const bad = (ident: string, reason: string, extra: Partial<JobSpec> = {}): JobSpec => ({ ident, outcome: 'failed', result: JobResult.FAILURE, reason, ...extra });

function trials(jobs: Partial<JobTrial & { path: string }>[]): RunTrials {
  const map = new Map<string, JobTrial>();
  for (const j of jobs) map.set(j.path!, { outcome: 'passed', kind: null, reason: null, duration: 1, attempt: 1, seed: null, started: 0, ...j } as JobTrial);
  return { run: { dir: '/x', ident: 'r', started: 0, stopped: 1, outcome: 'passed', rerunOf: null }, jobs: map, model: undefined as never };
}

describe('diffRuns', () => {
  it('puts each job in one list; reasons compared without their numbers; durations past both thresholds', () => {
    const a = trials([
      { path: 'same_fail', outcome: 'failed', kind: 'exit', reason: 'exited with code 3 after 12.5 s' },
      { path: 'new_reason', outcome: 'failed', kind: 'exit', reason: 'exited with code 3' },
      { path: 'gone', outcome: 'passed' },
      { path: 'lost_now' },
      { path: 'skipped_now' },
      { path: 'noisy', duration: 0.2 },
      { path: 'slower', duration: 10 },
      { path: 'faster', duration: 10 },
      { path: 'was_flaky', outcome: 'flaky', attempt: 2 },
    ]);
    const b = trials([
      { path: 'same_fail', outcome: 'failed', kind: 'exit', reason: 'exited with code 3 after 99 s' },
      { path: 'new_reason', outcome: 'failed', kind: 'timeout', reason: 'exceeded its time limit' },
      { path: 'lost_now', outcome: 'lost' },
      { path: 'skipped_now', outcome: 'skipped', kind: 'dependency' },
      { path: 'noisy', duration: 0.9 },
      { path: 'slower', duration: 13 },
      { path: 'faster', duration: 7.5 },
      { path: 'was_flaky' },
      { path: 'brand_new_fail', outcome: 'failed' },
      { path: 'brand_new' },
    ]);
    const diff = diffRuns(a, b, { thresholdPercent: 20, minSeconds: 1 });
    const paths = Object.fromEntries(Object.entries(diff.sections).map(([k, v]) => [k, v.map((e) => e.path)]));
    expect(paths).toEqual({
      newFailures: ['lost_now', 'brand_new_fail'],
      fixed: [],
      stillFailing: ['same_fail', 'new_reason'],
      flaky: [],
      newJobs: ['brand_new'],
      removedJobs: ['gone'],
      changed: ['skipped_now'],
      slower: ['slower'],
      faster: ['faster'],
    });
    expect(diff.sections.stillFailing.map((e) => e.reasonChanged)).toEqual([false, true]);
    expect(diff.sections.slower[0]!.delta).toBe(3);
    expect(diff.common).toBe(8);
  });
});

describe('runHistory and the trials of a job', () => {
  it('the runs of one spec are its siblings with the same root ident, oldest first by start', () => {
    const top = tempDir();
    // Names out of order on purpose: the root's `started` decides.
    writeRun(path.join(top, 'b'), 'nightly', 100, [bad('t', 'exited with code 1', { seed: '7' })]);
    writeRun(path.join(top, 'a'), 'nightly', 200, [ok('t', { attempts: 2, seed: '8', seconds: 4 })]);
    writeRun(path.join(top, 'c'), 'other', 300, [ok('t')]);
    writeRun(path.join(top, 'd'), 'nightly', 400, [{ ident: 't', result: JobResult.SUCCESS }]);
    expect(listRuns(top).map((r) => path.basename(r.dir))).toEqual(['b', 'a', 'c', 'd']);
    expect(runHistory(path.join(top, 'a')).map((r) => path.basename(r.dir))).toEqual(['b', 'a', 'd']);
    expect(runHistory(path.join(top, 'a'), { upTo: true }).map((r) => path.basename(r.dir))).toEqual(['b', 'a']);
    expect(path.basename(previousRun(path.join(top, 'd'))!.dir)).toBe('a');
    expect(previousRun(path.join(top, 'b'))).toBeUndefined();
    // The hub's list of tracking directories instead of the siblings.
    expect(runHistory(path.join(top, 'd'), { candidates: [path.join(top, 'b'), path.join(top, 'c')] }).map((r) => path.basename(r.dir))).toEqual(['b', 'd']);

    expect(readJobTrial(path.join(top, 'a'), 't')).toMatchObject({ outcome: 'flaky', attempt: 2, seed: '8', duration: 4 });
    expect(readJobTrial(path.join(top, 'b'), 't')).toMatchObject({ outcome: 'failed', kind: 'exit', reason: 'exited with code 1', seed: '7' });
    // No `outcome` attribute (an older run): the run model's reading.
    expect(readJobTrial(path.join(top, 'd'), 't')).toMatchObject({ outcome: 'passed', attempt: 1 });
    expect(readJobTrial(path.join(top, 'd'), 'nosuch')).toBeUndefined();
    // The run model says the same as the one-file reading.
    expect(readRunTrials(path.join(top, 'a')).jobs.get('t')).toMatchObject({ outcome: 'flaky', attempt: 2, duration: 4 });

    const history = jobHistory(runHistory(path.join(top, 'd')), 't');
    expect(history.rows.map((r) => r.trial.outcome)).toEqual(['passed', 'flaky', 'failed']);
    expect(history).toMatchObject({ runs: 3, ran: 3, flaky: 1, passed: 1, failed: 1 });
    expect(history.flakeRate).toBeCloseTo(1 / 3);
    expect(jobHistory(runHistory(path.join(top, 'd')), 't', { limit: 1 }).rows).toHaveLength(1);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { JobResult, array, emptyTally, group, job } from '@gator/protocol';
import type { TierEvent } from '../src/index.js';
import { childStates, removeTempDirs, runRoot } from './helpers/harness.js';

afterEach(removeTempDirs);

function order(events: TierEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'child' ? [`${e.id}:${e.state}`] : []));
}

describe('dependencies between siblings', () => {
  it('runs on_fail/on_done dependants, skips on_pass ones and their dependants only', async () => {
    const spec = group({
      ident: 'deps',
      jobs: [
        job({ ident: 'build', command: 'fail' }),
        job({ ident: 'test', command: 'pass', on_pass: ['build'] }),
        job({ ident: 'after_test', command: 'pass', on_done: ['test'] }),
        job({ ident: 'bisect', command: 'pass', on_fail: ['build'] }),
        job({ ident: 'cleanup', command: 'pass', on_done: ['build'] }),
        job({ ident: 'lint', command: 'pass' }),
      ],
    });
    const { outcome, events } = await runRoot(spec);
    const states = childStates(events);
    expect(states.test).toEqual(['skipped']);
    expect(states.after_test).toEqual(['skipped']);
    expect(states.bisect).toEqual(['launched', 'started', 'passed']);
    expect(states.cleanup).toEqual(['launched', 'started', 'passed']);
    expect(states.lint).toEqual(['launched', 'started', 'passed']);
    const skip = events.find((e) => e.type === 'child' && e.id === 'test' && e.state === 'skipped');
    expect(skip).toMatchObject({ reason: "dependency 'build' failed", kind: 'job', path: ['deps', 'test'] });
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', kind: 'skipped', message: "Skipping job 'test': dependency 'build' failed" }));
    expect(events.some((e) => e.type === 'message' && e.message.startsWith('Skipping'))).toBe(false);
    // Dependants launch only after what they wait for has completed.
    const seq = order(events);
    expect(seq.indexOf('bisect:launched')).toBeGreaterThan(seq.indexOf('build:failed'));
    // Skipped jobs are visible to the root, and do not count as failures.
    expect(outcome.summary.sub_skipped).toBe(2);
    expect(outcome.summary.metrics).toMatchObject({ sub_total: 7, sub_passed: 3, sub_failed: 2 });
    expect(outcome.result).toBe(JobResult.FAILURE);
    expect(outcome.reason).toMatch(/'build'/);
  });

  it('a skipped child alone does not fail the tier', async () => {
    const spec = group({
      ident: 'only_skip',
      jobs: [job({ ident: 'good', command: 'pass' }), job({ ident: 'rescue', command: 'pass', on_fail: ['good'] })],
    });
    const { outcome, events } = await runRoot(spec);
    expect(childStates(events).rescue).toEqual(['skipped']);
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(outcome.summary.sub_skipped).toBe(1);
    expect(outcome.summary.metrics).toMatchObject({ sub_total: 3, sub_passed: 2, sub_failed: 0 });
  });

  it('an on_fail triage job skipped because its build passed: SUCCESS and outcome passed, even with a warning limit of 0', async () => {
    const spec = group({
      ident: 'triage',
      jobs: [job({ ident: 'build', command: 'pass' }), job({ ident: 'triage', command: 'pass', on_fail: ['build'] })],
    });
    const { outcome, events, tracking } = await runRoot(spec, { limits: { warning: 0 } });
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(outcome.summary.jobs).toEqual({ ...emptyTally(), total: 2, passed: 1, skipped: 1 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', kind: 'skipped', path: ['triage', 'triage'] }));
    const reader = openLayerReader(tracking);
    try {
      expect(reader.attributes()).toMatchObject({ result: String(JobResult.SUCCESS), outcome: 'passed' });
      expect(reader.notices()).toEqual([expect.objectContaining({ kind: 'skipped', path: 'triage', message: "Skipping job 'triage': dependency 'build' passed" })]);
      expect(reader.metrics('_OWN_').msg_warning).toBe(0);
      expect(JSON.parse(reader.attribute('summary')!).jobs).toEqual(outcome.summary.jobs);
    } finally {
      reader.close();
    }
  });

  it('inside an array, a dependant waits for every copy and needs all of them to pass', async () => {
    const spec = array({
      ident: 'arr',
      repeats: 2,
      jobs: [
        // Copy 0 fails, copy 1 (the last) passes: Python would launch `use`.
        job({ ident: 'gen', command: 'failif', args: ['0'] }),
        job({ ident: 'use', command: 'pass', on_pass: ['gen'] }),
        job({ ident: 'all', command: 'pass', on_done: ['gen'] }),
      ],
    });
    const { outcome, events } = await runRoot(spec);
    const states = childStates(events);
    expect(states.use_0).toEqual(['skipped']);
    expect(states.use_1).toEqual(['skipped']);
    expect(states.all_0).toEqual(['launched', 'started', 'passed']);
    const seq = order(events);
    const lastGen = Math.max(seq.indexOf('gen_0:failed'), seq.indexOf('gen_1:passed'));
    expect(seq.indexOf('all_0:launched')).toBeGreaterThan(lastGen);
    expect(seq.indexOf('all_1:launched')).toBeGreaterThan(lastGen);
    // One notice for the entry, not one per copy.
    const warnings = events.filter((e) => e.type === 'notice' && /Skipping job 'use'/.test(e.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ message: "Skipping job 'use' (2 copies): dependency 'gen' failed" });
    expect(outcome.summary.sub_skipped).toBe(2);
  });

  it('a skipped nested tier counts all its jobs as skipped', async () => {
    const spec = group({
      ident: 'outer',
      jobs: [
        job({ ident: 'gate', command: 'fail' }),
        group({ ident: 'inner', on_pass: ['gate'], jobs: [job({ ident: 'a', command: 'pass' }), job({ ident: 'b', command: 'pass' })] }),
      ],
    });
    const { outcome, events } = await runRoot(spec);
    expect(childStates(events).inner).toEqual(['skipped']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'child', id: 'inner', kind: 'tier', state: 'skipped' }));
    // inner (1 tier + 2 jobs) never ran.
    expect(outcome.summary.sub_skipped).toBe(3);
    expect(outcome.summary.metrics.sub_total).toBe(5);
    // Jobs, not tiers: gate failed, inner's two jobs skipped.
    expect(outcome.summary.jobs).toMatchObject({ total: 3, failed: 1, skipped: 2 });
    expect(outcome.summary.skipped).toEqual([{ path: ['outer', 'inner'], reason: "dependency 'gate' failed", kind: 'dependency' }]);
  });

  it('only(): children not selected are recorded as skipped and release their dependants', async () => {
    const spec = group({
      ident: 'rerun',
      jobs: [
        job({ ident: 'passed_before', command: 'pass' }),
        job({ ident: 'failed_before', command: 'pass', on_pass: ['passed_before'] }),
      ],
    });
    const { outcome, events } = await runRoot(spec, { only: (p) => p[p.length - 1] === 'failed_before' });
    const states = childStates(events);
    expect(states.passed_before).toEqual(['skipped']);
    expect(events).toContainEqual(expect.objectContaining({ id: 'passed_before', reason: 'not selected for rerun' }));
    expect(states.failed_before).toEqual(['launched', 'started', 'passed']);
    expect(outcome.result).toBe(JobResult.SUCCESS);
    // Jobs a rerun did not select are left out of its tally.
    expect(outcome.summary.jobs).toMatchObject({ total: 1, passed: 1, skipped: 0 });
    expect(outcome.summary.skipped).toContainEqual(expect.objectContaining({ path: ['rerun', 'passed_before'], kind: 'not_selected' }));
  });
});

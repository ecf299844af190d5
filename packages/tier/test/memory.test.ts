import { afterEach, describe, expect, it } from 'vitest';
import { JobResult, array, job } from '@gator/protocol';
import { createTier, type TierInternals } from '../src/index.js';
import { FIXTURE, removeTempDirs, startRoot, tempDir } from './helpers/harness.js';
import { inProcessScheduler } from './helpers/inproc-scheduler.js';

afterEach(removeTempDirs);

describe('memory: a finished child leaves only its small record behind', () => {
  it('with real processes: nothing live remains, and finished children were dropped during the run', async () => {
    const snapshots: TierInternals[] = [];
    const holder: { tier?: { internals(): TierInternals } } = {};
    const spec = array({ ident: 'many', repeats: 24, jobs: [job({ ident: 'j', command: 'pass' })] });
    const run = await startRoot(spec, {
      onEvent: (e) => {
        if (e.type === 'child' && e.state === 'passed' && holder.tier) snapshots.push(holder.tier.internals());
      },
    });
    holder.tier = run.tier;
    const outcome = await run.finished();
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(snapshots.length).toBeGreaterThan(0);
    for (const snap of snapshots) {
      expect(snap.live + snap.folded).toBe(24);
      expect(snap.summaries).toBeLessThanOrEqual(snap.live);
      expect(snap.connections).toBeLessThanOrEqual(snap.live);
    }
    expect(run.tier.internals()).toMatchObject({ children: 24, live: 0, specs: 0, summaries: 0, connections: 0, handles: 0, folded: 24, exitWaits: 0 });
  });

  it('10,000 children: per-child state is folded and released as they finish', async () => {
    const token = 'scale-token';
    const n = 10_000;
    const failing = (id: string) => Number(id.split('_').pop()) % 50 === 0;
    const scheduler = inProcessScheduler(token, (id) => (failing(id) ? 2 : 1), 48);
    const spec = array({ ident: 'big', repeats: n, jobs: [job({ ident: 't', command: 'pass' })] });
    let mid: TierInternals | undefined;
    let finished = 0;
    const tier = createTier({
      spec,
      ident: 'big',
      tracking: tempDir(),
      scheduler,
      schedulerName: 'inproc',
      childCommand: [process.execPath, FIXTURE],
      token,
      interval: 1,
      onEvent: (e) => {
        if (e.type === 'child' && (e.state === 'passed' || e.state === 'failed') && ++finished === n / 2) mid = tier.internals();
      },
    });
    const outcome = await tier.run();
    const m = outcome.summary.metrics;
    expect([m.sub_total, m.sub_passed, m.sub_failed, m.sub_active]).toEqual([n + 1, n - n / 50, n / 50 + 1, 0]);
    expect(m.cycles).toBe(10 * n);
    expect(outcome.summary.stats?.cycles).toEqual({ count: n, sum: 10 * n, min: 10, max: 10 });
    expect(outcome.summary.failed_ids).toHaveLength(n / 50);
    // Failure records are capped, counts stay exact; buckets merge by signature.
    expect(outcome.summary.failures).toHaveLength(100);
    expect(outcome.summary.failures_dropped).toBe(n / 50 - 100);
    expect(outcome.summary.buckets?.reduce((sum, b) => sum + b.count, 0)).toBe(n / 50);
    expect(outcome.summary.buckets?.every((b) => b.examples.length <= 3)).toBe(true);

    // Half-way, the finished half holds no spec, summary, connection or handle.
    expect(mid).toBeDefined();
    expect(mid!.folded).toBe(n / 2);
    expect(mid!.live).toBe(n / 2);
    expect(mid!.specs).toBeLessThanOrEqual(n / 2);
    expect(mid!.summaries).toBeLessThanOrEqual(48);
    expect(tier.internals()).toMatchObject({ children: n, live: 0, specs: 0, summaries: 0, connections: 0, handles: 0, folded: n, failures: 100 });
  }, 120_000);
});

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { JobResult, PROTOCOL_VERSION, array, group, job, loadSpec } from '@gator/protocol';
import type { TierEvent } from '../src/index.js';
import { childStates, readFixture, removeTempDirs, runRoot, startRoot } from './helpers/harness.js';

afterEach(removeTempDirs);

describe('a group of jobs', () => {
  it('fails when one child fails, with exact totals and the failed id', async () => {
    const spec = group({
      ident: 'top',
      jobs: [job({ ident: 'a', command: 'pass' }), job({ ident: 'b', command: 'fail' }), job({ ident: 'c', command: 'pass' })],
    });
    const { outcome, events } = await runRoot(spec);
    expect(outcome.result).toBe(JobResult.FAILURE);
    const m = outcome.summary.metrics;
    expect([m.sub_total, m.sub_passed, m.sub_failed, m.sub_active]).toEqual([4, 2, 2, 0]);
    expect(m.msg_error).toBeGreaterThanOrEqual(1);
    expect(outcome.summary.failed_ids).toContainEqual(['top', 'b']);
    expect(outcome.summary.running_ids).toEqual([]);
    expect(outcome.reason).toMatch(/1 job failed \('b'\)/);
    expect(outcome.summary.jobs).toMatchObject({ total: 3, passed: 2, failed: 1 });
    expect(childStates(events).b).toEqual(['launched', 'started', 'failed']);
    expect(events.at(-1)).toMatchObject({ type: 'complete', result: JobResult.FAILURE });
  });

  it('passes when every child passes: the tier counts itself (sub_total = jobs + 1)', async () => {
    const spec = group({ ident: 'ok', jobs: [job({ ident: 'a', command: 'pass' }), job({ command: 'pass' })] });
    const { outcome, tracking } = await runRoot(spec);
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(outcome.reason).toBeUndefined();
    expect(outcome.summary.metrics).toMatchObject({ sub_total: 3, sub_passed: 3, sub_failed: 0, sub_active: 0 });
    expect(outcome.summary.failed_ids).toEqual([]);
    // An entry without ident is T<position>.
    expect(fs.existsSync(path.join(tracking, 'T1', 'fixture.json'))).toBe(true);
  });

  it("records a child's own start and stop (register's `started`, complete's `stopped`), never later than it heard them", async () => {
    const spec = group({
      ident: 'own',
      jobs: [
        // Started 5 s before it registered, stopped 100 s "from now": the stop is when complete came.
        job({ ident: 'past', command: 'times', args: ['-5', '100'] }),
        // A start in the future is when register came; a stop before the start is the start.
        job({ ident: 'future', command: 'times', args: ['100', '-100'] }),
        job({ ident: 'plain', command: 'pass' }),
      ],
    });
    const before = Date.now() / 1000;
    const { outcome, tracking } = await runRoot(spec);
    const after = Date.now() / 1000;
    expect(outcome.result).toBe(JobResult.SUCCESS);
    const claimed = (ident: string) => readFixture(tracking, ident).claimed as { started: number; stopped: number };
    const reader = openLayerReader(tracking);
    try {
      const rows = new Map(reader.children().map((r) => [r.ident, r]));
      const past = rows.get('past')!;
      expect(past.started).toBe(claimed('past').started);
      expect(past.stopped!).toBeLessThan(claimed('past').stopped);
      expect(past.stopped!).toBeGreaterThanOrEqual(before);
      expect(past.stopped!).toBeLessThanOrEqual(after);
      const future = rows.get('future')!;
      expect(future.started!).toBeLessThan(claimed('future').started);
      expect(future.started!).toBeGreaterThanOrEqual(before);
      expect(future.stopped).toBe(future.started);
      const plain = rows.get('plain')!;
      expect(plain.started!).toBeGreaterThanOrEqual(before);
      expect(plain.stopped!).toBeGreaterThanOrEqual(plain.started!);
    } finally {
      reader.close();
    }
  });

  it('records its files: spec.yaml, attributes, ChildEntry rows in spec order, 0700 child dirs', async () => {
    const spec = group({ ident: 'rec', jobs: [job({ ident: 'x', command: 'pass' }), job({ ident: 'y', command: 'fail' })] });
    const { outcome, tracking, token } = await runRoot(spec, { limits: { warning: 7, error: 2, critical: 1 } });
    expect(outcome.dbFile).toBe(path.join(tracking, 'db.sqlite'));
    expect(loadSpec(fs.readFileSync(path.join(tracking, 'spec.yaml'), 'utf8'))).toEqual(spec);
    const reader = openLayerReader(tracking);
    try {
      const attrs = reader.attributes();
      expect(attrs).toMatchObject({ ident: 'rec', uidx: '0', root: '0', path: '', result: String(JobResult.FAILURE) });
      expect(Number(attrs.started)).toBeGreaterThan(0);
      expect(Number(attrs.stopped)).toBeGreaterThanOrEqual(Number(attrs.started));
      expect(JSON.parse(attrs.summary).metrics.sub_total).toBe(3);
      expect(attrs.reason).toMatch(/'y'/);
      const rows = reader.children();
      expect(rows.map((r) => [r.uidx, r.ident, r.result, r.expectedChildren])).toEqual([
        [1, 'x', JobResult.SUCCESS, 0],
        [2, 'y', JobResult.FAILURE, 0],
      ]);
      expect(rows[0].dbFile).toBe(path.join(tracking, 'x', 'db.sqlite'));
      expect(rows[0].serverUrl).toBe('127.0.0.1:9');
      expect(rows[0].stopped).not.toBeNull();
      expect(reader.metrics('x')).toMatchObject({ sub_passed: 1 });
      expect(reader.metrics('_GROUP_')).toMatchObject({ sub_total: 3, sub_failed: 2 });
      expect(reader.metrics('_OWN_')).toMatchObject({ sub_total: 1, sub_failed: 1 });
      expect(reader.messages().map((m) => m.message)).toContainEqual(expect.stringMatching(/^Recorded \d+ critical/));
    } finally {
      reader.close();
    }
    expect(fs.statSync(path.join(tracking, 'x')).mode & 0o777).toBe(0o700);

    // What the child saw: Python's command line (secret not in it), its spec, its place in the tree.
    const seen = readFixture(tracking, 'x');
    expect(seen.hasToken).toBe(true);
    expect(seen.tokenInArgv).toBe(false);
    expect(seen.argv.join(' ')).not.toContain(token);
    expect(seen.argv).toEqual([
      '--limit-warning=7',
      '--limit-error=2',
      '--limit-critical=1',
      '--parent',
      expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      '--interval',
      '1',
      '--scheduler',
      'local',
      '--quiet',
      '--id',
      'x',
      '--tracking',
      path.join(tracking, 'x'),
      '--sched-arg',
      'concurrency=8',
      '--sched-arg',
      'grace=1',
    ]);
    expect(seen.tag).toBe('!Job');
    expect(seen.register).toEqual({ path: ['rec'], root: 0, uidx: 1, protocol: PROTOCOL_VERSION });
  });
});

describe('a job array', () => {
  it('expands ids, tracking dirs and GATOR_ARRAY_INDEX', async () => {
    const spec = array({ ident: 'arr', repeats: 3, jobs: [job({ ident: 'sim', command: 'pass', env: { KEEP: 'me' } })] });
    const { outcome, tracking, events } = await runRoot(spec);
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(Object.keys(childStates(events))).toEqual(['sim_0', 'sim_1', 'sim_2']);
    expect(outcome.summary.metrics).toMatchObject({ sub_total: 4, sub_passed: 4 });
    for (const i of [0, 1, 2]) {
      const seen = readFixture(tracking, `sim/${i}`);
      expect(seen.env).toMatchObject({ GATOR_ARRAY_INDEX: i, KEEP: 'me' });
      expect(seen.argv).toContain(`sim_${i}`);
    }
    const reader = openLayerReader(tracking);
    try {
      expect(reader.children().map((r) => r.ident)).toEqual(['sim_0', 'sim_1', 'sim_2']);
    } finally {
      reader.close();
    }
  });
});

describe('a nested tree (real nested tier processes)', () => {
  it('rolls up totals, ids, buckets and stats from every level', async () => {
    const spec = group({
      ident: 'root',
      jobs: [
        job({ ident: 'a', command: 'metric', args: ['score=5'] }),
        array({
          ident: 'arr',
          repeats: 2,
          jobs: [job({ ident: 'x', command: 'metric', args: ['score=2'] }), job({ ident: 'y', command: 'fail', args: ['sig-y'] })],
        }),
        group({ ident: 'g', jobs: [job({ ident: 'p', command: 'pass' })] }),
      ],
    });
    const { outcome, tracking, events } = await runRoot(spec);
    const s = outcome.summary;
    // 6 jobs + 3 tiers; passed: a, x_0, x_1, p, g; failed: y_0, y_1, arr, root.
    expect(s.metrics).toMatchObject({ sub_total: 9, sub_passed: 5, sub_failed: 4, sub_active: 0, score: 9 });
    expect(s.failed_ids).toEqual(expect.arrayContaining([['root', 'arr', 'y_0'], ['root', 'arr', 'y_1']]));
    expect(s.stats?.score).toEqual({ count: 3, sum: 9, min: 2, max: 5 });
    expect(s.buckets).toHaveLength(1);
    expect(s.buckets![0]).toMatchObject({ signature: 'sig-y', count: 2 });
    expect([...s.buckets![0].examples].sort()).toEqual([['root', 'arr', 'y_0'], ['root', 'arr', 'y_1']]);
    expect(s.failures?.map((f) => f.path)).toEqual(expect.arrayContaining([['root', 'arr', 'y_0']]));
    expect(s.sub_skipped).toBe(0);
    expect(s.sub_lost).toBe(0);
    expect(childStates(events)).toMatchObject({ arr: ['launched', 'started', 'failed'], g: ['launched', 'started', 'passed'] });
    // The nested tier wrote its own records, and its children registered under the full path.
    expect(readFixture(tracking, 'arr/y/1').register).toEqual({ path: ['root', 'arr'], root: 0, uidx: 4, protocol: PROTOCOL_VERSION });
    const nested = openLayerReader(path.join(tracking, 'arr'));
    try {
      expect(nested.attributes()).toMatchObject({ ident: 'arr', path: 'root', uidx: '2' });
      expect(nested.children().map((r) => r.ident)).toEqual(['x_0', 'x_1', 'y_0', 'y_1']);
    } finally {
      nested.close();
    }
    // The root's sum equals the sum of what the leaves reported.
    const summaries = events.filter((e) => e.type === 'summary');
    expect(summaries.length).toBeGreaterThan(0);
  });
});

describe('bad start-up', () => {
  it('an unusable tracking directory rejects run() with a typed DatabaseError', async () => {
    const { tempDir, startRoot } = await import('./helpers/harness.js');
    const file = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(file, '');
    const run = await startRoot(group({ ident: 'x', jobs: [job({ command: 'pass' })] }), { tracking: file });
    await expect(run.finished()).rejects.toMatchObject({ code: 'GATOR_DB_WRITE' });
  });

  it('hands the scheduler at most `launchWindow` children at once, refilling at half', async () => {
    const spec = array({ ident: 'wide', repeats: 12, jobs: [job({ ident: 'p', command: 'pass' })] });
    const { outcome, events } = await runRoot(spec, { launchWindow: 4, concurrency: 8 });
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(outcome.summary.metrics.sub_passed).toBe(13);
    let open = 0;
    let most = 0;
    for (const e of events) {
      if (e.type !== 'child') continue;
      if (e.state === 'launched') most = Math.max(most, ++open);
      else if (e.state === 'passed' || e.state === 'failed' || e.state === 'lost') open--;
    }
    expect(most).toBe(4);
  });
});

describe('child tiers on a local scheduler', () => {
  const tiers = (n: number) =>
    group({ ident: 'root', jobs: Array.from({ length: n }, (_, i) => group({ ident: `g${i}`, jobs: [job({ ident: 'p', command: 'pass' })] })) });
  const tierSteps = (events: TierEvent[]) =>
    events.flatMap((e) => (e.type === 'child' && e.kind === 'tier' && (e.state === 'launched' || e.state === 'started') ? [`${e.id} ${e.state}`] : []));

  it('the first starts ahead: the others are launched once it has a job under way', async () => {
    const { outcome, events } = await runRoot(tiers(3), { tierStartWaitMs: 120_000 });
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(tierSteps(events).slice(0, 4)).toEqual(['g0 launched', 'g0 started', 'g1 launched', 'g2 launched']);
  });

  it('registering is not enough: a stop as the first registers finds the others still held', async () => {
    let stop = () => {};
    const run = await startRoot(tiers(3), {
      tierStartWaitMs: 120_000,
      // Right after the root has recorded g0's registration, before any of its jobs can have run.
      onEvent: (e) => {
        if (e.type === 'child' && e.id === 'g0' && e.state === 'started') queueMicrotask(() => stop());
      },
    });
    stop = () => run.tier.stop('test says stop');
    await run.finished();
    expect(tierSteps(run.events)).not.toContain('g1 launched');
    const states = childStates(run.events);
    expect(states.g1).toEqual(['skipped']);
    expect(states.g2).toEqual(['skipped']);
  });

  it('the held ones still go through the launch window', async () => {
    const { outcome, events } = await runRoot(tiers(9), { tierStartWaitMs: 120_000, launchWindow: 3 });
    expect(outcome.result).toBe(JobResult.SUCCESS);
    let open = 0;
    let most = 0;
    for (const e of events) {
      if (e.type !== 'child' || e.kind !== 'tier') continue;
      if (e.state === 'launched') most = Math.max(most, ++open);
      else if (e.state === 'passed' || e.state === 'failed' || e.state === 'lost') open--;
    }
    expect(most).toBe(3);
    expect(tierSteps(events).filter((step) => step.endsWith('launched'))).toHaveLength(9);
  });

  it('tierHeadStart: false launches them all at once', async () => {
    const { outcome, events } = await runRoot(tiers(3), { tierHeadStart: false });
    expect(outcome.result).toBe(JobResult.SUCCESS);
    expect(tierSteps(events).slice(0, 3)).toEqual(['g0 launched', 'g1 launched', 'g2 launched']);
  });

  it('a stop skips the child tiers still waiting for their turn', async () => {
    let stop = () => {};
    const run = await startRoot(tiers(3), {
      tierStartWaitMs: 120_000,
      // As the first child tier is launched, before it can register.
      onEvent: (e) => {
        if (e.type === 'child' && e.id === 'g0' && e.state === 'launched') queueMicrotask(() => stop());
      },
    });
    stop = () => run.tier.stop('test says stop');
    const outcome = await run.finished();
    const states = childStates(run.events);
    expect(states.g1).toEqual(['skipped']);
    expect(states.g2).toEqual(['skipped']);
    expect(outcome.summary.sub_skipped).toBeGreaterThanOrEqual(2);
    expect(outcome.summary.metrics.sub_active).toBe(0);
  });
});

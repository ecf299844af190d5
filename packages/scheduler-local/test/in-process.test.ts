// The opt-in `wrappers=inprocess` mode: jobs handed to the host's in-process
// runner, still queued by the pool; tiers, declined jobs and hosts without a
// runner get processes as usual.
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchRequest } from '@gator/protocol';
import { LocalScheduler, createLocalScheduler, type InProcessRun, type InProcessRunner } from '../src/index.js';
import { fixtureJob, tempDir } from './helpers/util.js';

let root: string;
const open: LocalScheduler[] = [];
const events: { level: string; message: string }[] = [];

async function scheduler(options: Record<string, string>, inProcess?: InProcessRunner): Promise<LocalScheduler> {
  const s = await createLocalScheduler({ options: { grace: '1', ...options }, onEvent: (e) => events.push(e) }, { env: {}, ...(inProcess ? { inProcess } : {}) });
  open.push(s);
  return s;
}

/**
 * A runner whose runs end when the test says so. A run handed over while its job is queued
 * (with a slot promise) ends by itself, with 1, when the slot never comes (as a wrapper does).
 */
function controlledRunner() {
  const runs: {
    request: LaunchRequest;
    slot: Promise<boolean> | undefined;
    stops: number;
    end: (code: number | null, reason?: string) => void;
    jobEnded: () => void;
  }[] = [];
  const runner: InProcessRunner = (request, slot) => {
    let end!: (exit: { code: number | null; reason?: string }) => void;
    const exited = new Promise<{ code: number | null; reason?: string }>((resolve) => (end = resolve));
    let jobEnded!: () => void;
    const ended = new Promise<void>((resolve) => (jobEnded = resolve));
    const entry = { request, slot, stops: 0, end: (code: number | null, reason?: string) => end({ code, ...(reason ? { reason } : {}) }), jobEnded };
    void slot?.then((granted) => granted || entry.end(1));
    runs.push(entry);
    const run: InProcessRun = {
      exited,
      ended,
      stop: () => {
        entry.stops++;
        entry.end(255);
      },
    };
    return run;
  };
  return { runs, runner };
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

beforeAll(() => {
  root = tempDir();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  events.length = 0;
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('wrappers=inprocess', () => {
  it('hands jobs to the runner, one pool slot each, and reports their exit codes', async () => {
    const { runs, runner } = controlledRunner();
    const s = await scheduler({ concurrency: '1', prestart: '0', wrappers: 'inprocess' }, runner);
    const a = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    const b = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    await a.started;
    expect(runs.map((r) => r.request.id)).toEqual([a.id]);
    expect(a.handle).toBeUndefined();
    runs[0]!.end(1);
    expect(await a.exited).toEqual({ code: 1, signal: null });
    await b.started;
    expect(runs.map((r) => r.request.id)).toEqual([a.id, b.id]);
    runs[1]!.end(0, 'all good');
    expect(await b.exited).toEqual({ code: 0, signal: null, reason: 'all good' });
  });

  it('hands a queued job over to start up while it waits (prestart), and tells it when its slot comes', async () => {
    const { runs, runner } = controlledRunner();
    const s = await scheduler({ concurrency: '1', prestart: '1', wrappers: 'inprocess' }, runner);
    const a = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    const b = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    await a.started;
    await waitUntil(() => runs.length === 2);
    expect(runs.map((r) => r.request.id)).toEqual([a.id, b.id]);
    // a holds the only slot: b's cannot have come.
    const bSlot = runs[1]!.slot!;
    expect(await Promise.race([bSlot.then(() => 'granted'), new Promise((r) => setTimeout(() => r('waiting'), 50))])).toBe('waiting');
    runs[0]!.end(0);
    expect(await bSlot).toBe(true);
    await b.started;
    runs[1]!.end(0);
    expect(await b.exited).toEqual({ code: 0, signal: null });
  });

  it('a queued job stopped while its in-process wrapper waits: the slot never comes, the wrapper ends, nothing ran', async () => {
    const { runs, runner } = controlledRunner();
    const s = await scheduler({ concurrency: '1', prestart: '1', wrappers: 'inprocess' }, runner);
    const a = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    const b = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    await a.started;
    await waitUntil(() => runs.length === 2);
    await s.stop(b.id);
    expect(await runs[1]!.slot).toBe(false);
    expect(await b.exited).toMatchObject({ neverStarted: true, reason: 'stopped before it started' });
    runs[0]!.end(0);
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(events.filter((e) => e.message.includes('released')).length).toBe(1);
  });

  it("gives the slot to the next job when the run's job has ended, before its wrapper has finished", async () => {
    const { runs, runner } = controlledRunner();
    const s = await scheduler({ concurrency: '1', prestart: '0', wrappers: 'inprocess' }, runner);
    const a = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    const b = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    await a.started;
    runs[0]!.jobEnded();
    // b runs while a's wrapper still writes and reports.
    await b.started;
    expect(runs.map((r) => r.request.id)).toEqual([a.id, b.id]);
    runs[0]!.end(0);
    runs[1]!.end(0);
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await b.exited).toEqual({ code: 0, signal: null });
    expect(events.filter((e) => e.message.includes('released')).map((e) => e.message.replace(/^Task '[^']*'/, 'T'))).toEqual([
      expect.stringMatching(/^T released .* \(in-process, its job ended\)$/),
      expect.stringMatching(/^T released .* \(in-process, exit code 0\)$/),
    ]);
  });

  it('stop(id) and close() ask the running wrapper to stop', async () => {
    const { runs, runner } = controlledRunner();
    const s = await scheduler({ concurrency: '2', wrappers: 'inprocess' }, runner);
    const a = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    const b = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    await Promise.all([a.started, b.started]);
    await s.stop(a.id);
    expect(await a.exited).toEqual({ code: 255, signal: null, reason: 'stopped' });
    await s.close();
    expect(await b.exited).toMatchObject({ code: 255 });
    expect(runs.map((r) => r.stops)).toEqual([1, 1]);
  });

  it('a runner that throws or rejects ends the job with a reason instead of hanging', async () => {
    const s = await scheduler({ wrappers: 'inprocess' }, () => ({ exited: Promise.reject(new Error('boom')), stop: () => {} }));
    const a = await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request);
    expect(await a.exited).toEqual({ code: 1, signal: null, reason: 'in-process wrapper failed: boom' });
  });

  it('tiers, jobs the runner declines, and a runner that throws get processes', async () => {
    const seen: string[] = [];
    const s = await scheduler({ wrappers: 'inprocess' }, (request) => {
      seen.push(request.id);
      if (request.id.endsWith('throws')) throw new Error('cannot host it');
      return undefined;
    });
    const tier = await s.launch(fixtureJob(root, 'exits-with', () => ['4'], { kind: 'tier' }).request);
    const declined = await s.launch(fixtureJob(root, 'exits-with', () => ['5']).request);
    const thrown = await s.launch(fixtureJob(root, 'exits-with', () => ['6'], { id: 'throws' }).request);
    expect((await tier.exited).code).toBe(4);
    expect((await declined.exited).code).toBe(5);
    expect((await thrown.exited).code).toBe(6);
    expect(seen).toEqual([declined.id, 'throws']);
    expect(events.some((e) => e.level === 'warning' && e.message.includes('cannot host it'))).toBe(true);
  });

  it('without a runner the option falls back to processes, with a warning', async () => {
    const s = await scheduler({ wrappers: 'inprocess' });
    expect(events).toContainEqual({ level: 'warning', message: expect.stringContaining('wrappers=inprocess is not available here') });
    const job = await s.launch(fixtureJob(root, 'exits-with', () => ['3']).request);
    expect((await job.exited).code).toBe(3);
    expect(job.handle).toMatch(/^\d+$/);
  });

  it('the default (and wrappers=process) never call the runner', async () => {
    let called = 0;
    for (const options of [{}, { wrappers: 'process' }] as Record<string, string>[]) {
      const s = await scheduler(options, () => {
        called++;
        return undefined;
      });
      expect((await (await s.launch(fixtureJob(root, 'exits-with', () => ['0']).request)).exited).code).toBe(0);
    }
    expect(called).toBe(0);
  });

  it('rejects a bad value of the option', async () => {
    await expect(createLocalScheduler({ options: { wrappers: 'threads' } })).rejects.toMatchObject({
      code: 'GATOR_SCHEDULER_OPTION',
      message: expect.stringContaining('wrappers=threads'),
    });
  });
});

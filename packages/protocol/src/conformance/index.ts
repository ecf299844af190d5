/**
 * `@gator/protocol/conformance`: the scheduler conformance suite. A scheduler
 * package calls `testScheduler({ name, create })` from one of its vitest files;
 * the suite launches real fixture jobs (plain Node scripts shipped in
 * `@gator/protocol/fixtures`) and checks the rules of the scheduler contract
 * (`scheduler.ts`) that a type checker cannot: launch returns at once, exits
 * are reported, stop reaches the whole process group and escalates to SIGKILL,
 * queued children can be cancelled, resource limits hold (read from the jobs'
 * own timestamps, never from timing), and close() leaves nothing behind.
 *
 * Usage, in a scheduler package's `test/conformance.test.ts`:
 *
 *     import { testScheduler } from '@gator/protocol/conformance';
 *     import { createMyScheduler } from '../src/index.js';
 *     testScheduler({ name: 'mine', create: () => createMyScheduler({ options: { slots: '2' } }), slots: 2 });
 *
 * Children run `process.execPath` on a fixture path: for a remote scheduler the
 * same Node and the fixtures must be visible on the execution hosts, and
 * `cwd` must be a shared directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InternalError } from '../errors.js';
import type { ChildExit, LaunchRequest, LaunchedChild, Scheduler } from '../scheduler.js';
import { fixturePath, type FixtureName } from './fixtures.js';

export interface SchedulerTestOptions {
  /** Shown in the suite's title. */
  name: string;
  /** A fresh scheduler; the suite creates one per test and closes it. */
  create: () => Scheduler | Promise<Scheduler>;
  /** How many jobs asking for no cores the created scheduler runs at once (enables the limit tests). */
  slots?: number;
  /** License pools the created scheduler declares (enables the license tests). */
  licenses?: Record<string, number>;
  /** Bound on each wait (ms, default 30 000): long enough for a SIGKILL escalation. */
  timeoutMs?: number;
  /** Directory the suite may write to; must be visible to the children (default: the OS temp dir). */
  cwd?: string;
}

export { FIXTURES, fixturePath, type FixtureName } from './fixtures.js';
export { fixtureRequests, waitUntil, type FixtureRequest, type FixtureRequests } from './fixture-requests.js';

export interface Interval {
  tag: string;
  start: number;
  end: number;
}

/** Read `start <t> <tag>` / `end <t> <tag>` lines; an interval without its end is an error. */
export function parseIntervals(text: string): Interval[] {
  const starts = new Map<string, number>();
  const out: Interval[] = [];
  for (const line of text.split('\n')) {
    const match = /^(start|end) (\d+) (\S+)$/.exec(line.trim());
    if (!match) continue;
    const [, kind, time, tag] = match as unknown as [string, string, string, string];
    if (kind === 'start') starts.set(tag, Number(time));
    else {
      const start = starts.get(tag);
      if (start === undefined) throw new InternalError(`Interval '${tag}' ends without a start.`);
      starts.delete(tag);
      out.push({ tag, start, end: Number(time) });
    }
  }
  if (starts.size > 0) throw new InternalError(`Interval(s) without an end: ${[...starts.keys()].join(', ')}.`);
  return out;
}

/** Most intervals open at one instant (an interval ending at t does not overlap one starting at t). */
export function maxOverlap(intervals: readonly Interval[]): number {
  const events = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const e of events) {
    open += e.d;
    max = Math.max(max, open);
  }
  return max;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Alive and not a zombie (orphaned zombies linger where init does not reap them). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return !fs.existsSync('/proc/self/stat');
  }
}

/** Settle within `ms`, or fail with a message saying what did not happen. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Register the conformance tests of one scheduler with vitest. */
export function testScheduler(options: SchedulerTestOptions): void {
  const waitMs = options.timeoutMs ?? 30_000;
  const testMs = waitMs * 2 + 10_000;
  const slots = options.slots;
  const licenses = Object.entries(options.licenses ?? {});
  let root = '';
  let counter = 0;

  interface Job {
    request: LaunchRequest;
    /** A file inside the job's own directory, for fixtures that report back. */
    file: (name: string) => string;
  }

  function job(fixture: FixtureName, args: (file: (name: string) => string) => string[], extra: Partial<LaunchRequest> = {}): Job {
    const id = `c${++counter}`;
    const dir = path.join(root, id);
    const tracking = path.join(dir, 'tracking');
    fs.mkdirSync(tracking, { recursive: true });
    const file = (name: string) => path.join(dir, name);
    return {
      file,
      request: {
        id,
        path: ['conformance', id],
        kind: 'job',
        command: [process.execPath, fixturePath(fixture), ...args(file)],
        env: {},
        cwd: dir,
        parent: '127.0.0.1:9',
        tracking,
        resources: { cores: 0, memoryMb: 0, licenses: {} },
        ...extra,
      },
    };
  }

  async function withScheduler(body: (scheduler: Scheduler) => Promise<void>): Promise<void> {
    const scheduler = await options.create();
    try {
      await body(scheduler);
    } finally {
      await within(scheduler.close(), waitMs, 'close()');
    }
  }

  const exitOf = (child: LaunchedChild, what = `the exit of ${child.id}`): Promise<ChildExit> => within(child.exited, waitMs, what);
  const ready = (file: string) => until(() => fs.existsSync(file), waitMs, `${path.basename(file)} to be written`);

  /** Launch `count` interval-recording jobs into one shared file and return their intervals. */
  async function recordIntervals(scheduler: Scheduler, jobs: Partial<LaunchRequest>[], ms = 150): Promise<Interval[]> {
    const log = path.join(root, `intervals-${++counter}.log`);
    const launched = await Promise.all(
      jobs.map((extra, index) => scheduler.launch(job('records-interval', () => [log, String(ms), `j${index}`], extra).request)),
    );
    const exits = await Promise.all(launched.map((child) => exitOf(child)));
    for (const exit of exits) expect(exit).toMatchObject({ code: 0 });
    const intervals = parseIntervals(fs.readFileSync(log, 'utf8'));
    expect(intervals).toHaveLength(jobs.length);
    return intervals;
  }

  describe(`scheduler conformance: ${options.name}`, () => {
    beforeAll(() => {
      const base = options.cwd ?? os.tmpdir();
      fs.mkdirSync(base, { recursive: true });
      root = fs.mkdtempSync(path.join(base, 'gator-conformance-'));
    });
    afterAll(() => {
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it('has a name and valid capabilities', async () => {
      await withScheduler(async (scheduler) => {
        expect(typeof scheduler.name).toBe('string');
        expect(scheduler.name.length).toBeGreaterThan(0);
        for (const key of ['cores', 'memory', 'licenses'] as const) {
          expect(['unsupported', 'experimental', 'stable']).toContain(scheduler.capabilities[key]);
        }
        expect(typeof scheduler.capabilities.remote).toBe('boolean');
      });
    }, testMs);

    it('launch returns a handle while the child still runs; started resolves', async () => {
      await withScheduler(async (scheduler) => {
        const j = job('sleeps', (f) => ['60000', f('ready')]);
        const child = await within(scheduler.launch(j.request), waitMs, 'launch() to return');
        expect(child.id).toBe(j.request.id);
        await within(child.started, waitMs, 'started');
        await ready(j.file('ready'));
        await within(scheduler.stop(child.id), waitMs, 'stop()');
        expect((await exitOf(child)).neverStarted).toBeFalsy();
      });
    }, testMs);

    it('reports exit code 0, exit code 3 and a crash', async () => {
      await withScheduler(async (scheduler) => {
        const zero = await scheduler.launch(job('exits-with', () => ['0']).request);
        const three = await scheduler.launch(job('exits-with', () => ['3']).request);
        const crash = await scheduler.launch(job('crashes', () => []).request);
        expect(await exitOf(zero)).toMatchObject({ code: 0 });
        expect(await exitOf(three)).toMatchObject({ code: 3 });
        const crashed = await exitOf(crash);
        expect(crashed.neverStarted).toBeFalsy();
        expect(crashed.code).not.toBe(0);
        // Killed by a signal (local) or reported with the cluster's words (remote).
        expect(crashed.code !== null || crashed.signal !== null || crashed.reason !== undefined).toBe(true);
      });
    }, testMs);

    it('a child that writes to stderr still exits normally', async () => {
      await withScheduler(async (scheduler) => {
        const child = await scheduler.launch(job('writes-stderr', () => ['conformance stderr line']).request);
        expect(await exitOf(child)).toMatchObject({ code: 0 });
      });
    }, testMs);

    it('runs the child in request.cwd with request.env added', async () => {
      await withScheduler(async (scheduler) => {
        const j = job('records-env', (f) => [f('env.json'), 'GATOR_CONFORMANCE_VALUE', 'PATH'], {
          env: { GATOR_CONFORMANCE_VALUE: 'forty two' },
        });
        const child = await scheduler.launch(j.request);
        expect(await exitOf(child)).toMatchObject({ code: 0 });
        const seen = JSON.parse(fs.readFileSync(j.file('env.json'), 'utf8')) as { cwd: string; env: Record<string, string | null> };
        expect(fs.realpathSync(seen.cwd)).toBe(fs.realpathSync(j.request.cwd));
        expect(seen.env.GATOR_CONFORMANCE_VALUE).toBe('forty two');
        // The scheduler's own environment is kept underneath.
        expect(seen.env.PATH).toBeTruthy();
      });
    }, testMs);

    it('stop ends a running child and its whole process group', async () => {
      await withScheduler(async (scheduler) => {
        const j = job('spawns-group', (f) => [f('ready')]);
        const child = await scheduler.launch(j.request);
        await ready(j.file('ready'));
        const pids = JSON.parse(fs.readFileSync(j.file('ready'), 'utf8')) as { pid: number; grandchild: number };
        await within(scheduler.stop(child.id), waitMs, 'stop()');
        const exit = await exitOf(child);
        expect(exit.neverStarted).toBeFalsy();
        expect(exit.code === 0).toBe(false);
        if (!scheduler.capabilities.remote) {
          await until(() => !pidAlive(pids.pid) && !pidAlive(pids.grandchild), waitMs, 'the child and its grandchild to end');
        }
      });
    }, testMs);

    it('stop escalates to SIGKILL for a child that ignores SIGTERM', async () => {
      await withScheduler(async (scheduler) => {
        const j = job('ignores-sigterm', (f) => [f('ready')]);
        const child = await scheduler.launch(j.request);
        await ready(j.file('ready'));
        const pid = Number(fs.readFileSync(j.file('ready'), 'utf8'));
        await within(scheduler.stop(child.id), waitMs, 'stop() of a child ignoring SIGTERM');
        const exit = await exitOf(child);
        expect(exit.code === 0).toBe(false);
        if (!scheduler.capabilities.remote) expect(pidAlive(pid)).toBe(false);
      });
    }, testMs);

    it('stop is safe twice, after the exit and for an unknown id', async () => {
      await withScheduler(async (scheduler) => {
        const sleeper = await scheduler.launch(job('sleeps', () => ['60000']).request);
        await within(sleeper.started, waitMs, 'started');
        await within(Promise.all([scheduler.stop(sleeper.id), scheduler.stop(sleeper.id)]), waitMs, 'two stop() calls');
        await within(scheduler.stop(sleeper.id), waitMs, 'stop() after the exit');
        const done = await scheduler.launch(job('exits-with', () => ['0']).request);
        await exitOf(done);
        await within(scheduler.stop(done.id), waitMs, 'stop() of a finished child');
        await within(scheduler.stop('gator-conformance-no-such-child'), waitMs, 'stop() of an unknown id');
      });
    }, testMs);

    it('aborting the launch signal stops the child', async () => {
      await withScheduler(async (scheduler) => {
        const controller = new AbortController();
        const child = await scheduler.launch(job('sleeps', () => ['60000']).request, { signal: controller.signal });
        await within(child.started, waitMs, 'started');
        controller.abort();
        const exit = await exitOf(child);
        expect(exit.code === 0).toBe(false);
      });
    }, testMs);

    it.skipIf(!slots)('stop of a queued child resolves neverStarted and never runs it', async () => {
      await withScheduler(async (scheduler) => {
        const running: LaunchedChild[] = [];
        const readies: string[] = [];
        for (let i = 0; i < slots!; i++) {
          const j = job('sleeps', (f) => ['60000', f('ready')]);
          running.push(await scheduler.launch(j.request));
          readies.push(j.file('ready'));
        }
        for (const file of readies) await ready(file);
        const queuedJob = job('sleeps', (f) => ['60000', f('ready')]);
        const queued = await scheduler.launch(queuedJob.request);
        await within(scheduler.stop(queued.id), waitMs, 'stop() of a queued child');
        const exit = await exitOf(queued);
        expect(exit).toMatchObject({ code: null, neverStarted: true });
        for (const child of running) await within(scheduler.stop(child.id), waitMs, 'stop()');
        expect(fs.existsSync(queuedJob.file('ready'))).toBe(false);
      });
    }, testMs);

    it.skipIf(!slots)('never runs more jobs at once than it has slots', async () => {
      await withScheduler(async (scheduler) => {
        const intervals = await recordIntervals(scheduler, Array.from({ length: 3 * slots! }, () => ({})));
        expect(maxOverlap(intervals)).toBeLessThanOrEqual(slots!);
      });
    }, testMs);

    it.skipIf(!slots)('a job asking for every core runs alone', async (context) => {
      await withScheduler(async (scheduler) => {
        if (scheduler.capabilities.cores === 'unsupported') return context.skip('cores are unsupported');
        const all = { cores: slots!, memoryMb: 0, licenses: {} };
        const none = { cores: 0, memoryMb: 0, licenses: {} };
        const requests = [all, none, all, none, none, all].map((resources) => ({ resources }));
        const intervals = await recordIntervals(scheduler, requests);
        const big = new Set(requests.flatMap((r, i) => (r.resources.cores > 0 ? [`j${i}`] : [])));
        for (const a of intervals.filter((i) => big.has(i.tag))) {
          const overlapping = intervals.filter((b) => b !== a && b.start < a.end && a.start < b.end);
          expect(overlapping, `job ${a.tag} asked for every core but shared the pool`).toEqual([]);
        }
      });
    }, testMs);

    it.skipIf(licenses.length === 0)('never over-subscribes a license', async (context) => {
      await withScheduler(async (scheduler) => {
        if (scheduler.capabilities.licenses === 'unsupported') return context.skip('licenses are unsupported');
        for (const [name, seats] of licenses) {
          const requests = Array.from({ length: 2 * seats + 1 }, () => ({ resources: { cores: 0, memoryMb: 0, licenses: { [name]: 1 } } }));
          const intervals = await recordIntervals(scheduler, requests);
          expect(maxOverlap(intervals), `license ${name} has ${seats} seat(s)`).toBeLessThanOrEqual(seats);
        }
      });
    }, testMs);

    it('check rejects an impossible request and accepts a possible one', async (context) => {
      await withScheduler(async (scheduler) => {
        if (!scheduler.check) return context.skip('check() is not implemented');
        const base = { id: 'probe', path: ['conformance', 'probe'], kind: 'job' as const };
        const none = { cores: 0, memoryMb: 0, licenses: {} };
        expect(scheduler.check({ ...base, resources: none })).toBeUndefined();
        expect(scheduler.check({ ...base, kind: 'tier', resources: none })).toBeUndefined();
        const impossible: (typeof none)[] = [];
        if (slots && scheduler.capabilities.cores !== 'unsupported') impossible.push({ ...none, cores: slots + 1 });
        // Only a scheduler that declares its license pools knows an unknown name is impossible.
        if (scheduler.capabilities.licenses !== 'unsupported' && licenses.length > 0) {
          impossible.push({ ...none, licenses: { 'gator-conformance-no-such-license': 1 } as Record<string, number> });
          for (const [name, seats] of licenses) impossible.push({ ...none, licenses: { [name]: seats + 1 } });
        }
        if (impossible.length === 0) return context.skip('no request is known to be impossible');
        for (const resources of impossible) {
          const message = scheduler.check({ ...base, resources });
          expect(message, `check(${JSON.stringify(resources)})`).toMatch(/\S/);
          // launch must not run it either: it rejects, or the handle ends without running.
          const j = job('exits-with', () => ['0'], { resources });
          const outcome = await scheduler.launch(j.request).then(
            async (child) => exitOf(child),
            (error: unknown) => error,
          );
          if (!(outcome instanceof Error)) expect((outcome as ChildExit).code === 0 && !(outcome as ChildExit).neverStarted).toBe(false);
        }
      });
    }, testMs);

    it('close() ends every child, running or queued, and is idempotent', async () => {
      const scheduler = await options.create();
      try {
        const children: LaunchedChild[] = [];
        // Fill the slots one at a time: a remote engine may dispatch children launched together in
        // any order, and a child still queued when the others end would make them pass.
        for (let i = 0; i < (slots ?? 1); i++) {
          const running = job('sleeps', (f) => ['60000', f('ready')]);
          children.push(await scheduler.launch(running.request));
          await ready(running.file('ready'));
        }
        // Then one more than fits (queued when the slot count is known).
        children.push(await scheduler.launch(job('sleeps', () => ['60000']).request));
        await within(scheduler.close(), waitMs, 'close()');
        const exits = await Promise.all(children.map((child) => exitOf(child, `the exit of ${child.id} after close()`)));
        for (const exit of exits) expect(exit.code === 0).toBe(false);
        if (!scheduler.capabilities.remote) {
          for (const child of children) {
            const pid = Number(child.handle);
            if (child.handle !== undefined && Number.isInteger(pid) && pid > 0) expect(pidAlive(pid), `pid ${pid}`).toBe(false);
          }
        }
      } finally {
        // Also the idempotence check: a second close() after the first.
        await within(scheduler.close(), waitMs, 'a second close()');
      }
    }, testMs);
  });
}

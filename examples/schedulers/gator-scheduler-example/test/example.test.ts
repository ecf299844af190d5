import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { isGatorError, isScheduler, isSchedulerFactory, type LaunchRequest } from '@gator/protocol';
import { fixturePath, parseIntervals } from '@gator/protocol/conformance';
import createExampleScheduler, { parseFifoOptions } from '../src/index.js';

it('exports exactly these names', async () => {
  const api = await import('../src/index.ts');
  expect(Object.keys(api).sort()).toEqual(['FifoScheduler', 'SCHEDULER_NAME', 'default', 'parseFifoOptions', 'slotsOf']);
  expect(isSchedulerFactory(api.default)).toBe(true);
  expect(isScheduler(await api.default({ options: {} }))).toBe(true);
});

it('reads slots and grace, and names a bad option', () => {
  expect(parseFifoOptions({})).toEqual({ slots: 1, graceMs: 5000 });
  expect(parseFifoOptions({ slots: '3', grace: '0', other: 'x' })).toEqual({ slots: 3, graceMs: 0 });
  const bad: Record<string, string>[] = [{ slots: '0' }, { slots: 'two' }, { grace: '-1' }];
  for (const options of bad) {
    const [key, value] = Object.entries(options)[0]!;
    try {
      parseFifoOptions(options);
      expect.unreachable();
    } catch (error) {
      expect(isGatorError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'GATOR_SCHEDULER_OPTION', scheduler: 'example' });
      expect((error as Error).message).toContain(`\`${key}=${value}\``);
    }
  }
});

it('starts children strictly in arrival order: a small job does not overtake a big one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-example-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const scheduler = await createExampleScheduler({ options: { slots: '2' } });
  onTestFinished(() => scheduler.close());
  const log = path.join(dir, 'intervals.log');
  const request = (id: string, cores: number): LaunchRequest => ({
    id,
    path: ['fifo', id],
    kind: 'job',
    command: [process.execPath, fixturePath('records-interval'), log, '200', id],
    env: {},
    cwd: dir,
    parent: '127.0.0.1:9',
    tracking: dir,
    resources: { cores, memoryMb: 0, licenses: {} },
  });
  // a (1 slot) runs; b needs both slots and waits for a; c (1 slot) would fit beside a but must wait for b.
  const children = [];
  for (const [id, cores] of [['a', 1], ['b', 2], ['c', 1]] as const) children.push(await scheduler.launch(request(id, cores)));
  for (const child of children) expect(await child.exited).toMatchObject({ code: 0 });
  const at = Object.fromEntries(parseIntervals(fs.readFileSync(log, 'utf8')).map((i) => [i.tag, i]));
  expect(at.b!.start).toBeGreaterThanOrEqual(at.a!.end);
  expect(at.c!.start).toBeGreaterThanOrEqual(at.b!.end);
});

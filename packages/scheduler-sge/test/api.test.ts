import { expect, it } from 'vitest';
import { isSchedulerFactory } from '@gator/protocol';

it('exports exactly these names', async () => {
  const api = await import('../src/index.ts');
  expect(Object.keys(api).sort()).toEqual([
    'SGE_SCHEDULER_NAME',
    'SgeScheduler',
    'createSgeScheduler',
    'default',
    'parseSgeOptions',
    'resolveAdvertiseHost',
    'sgeOptionSchemas',
  ]);
  expect(isSchedulerFactory(api.default)).toBe(true);
});

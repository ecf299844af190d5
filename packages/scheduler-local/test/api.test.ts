import { expect, it } from 'vitest';
import { isSchedulerFactory } from '@gator/protocol';

it('exports exactly the public API', async () => {
  const api = await import('../src/index.js');
  expect(Object.keys(api).sort()).toEqual([
    'LocalScheduler',
    'POOL_ENV',
    'ResourcePool',
    'createLocalScheduler',
    'default',
    'demandOf',
    'impossibleReasons',
    'localSchedulerOptions',
    'parseLocalOptions',
  ]);
  expect(isSchedulerFactory(api.default)).toBe(true);
  expect(api.POOL_ENV).toBe('GATOR_LOCAL_POOL');
});

import { expect, it } from 'vitest';
import { isSchedulerFactory } from '@gator/protocol';

it('exports exactly these names', async () => {
  const api = await import('../src/index.ts');
  expect(Object.keys(api).sort()).toEqual([
    'SLURM_SCHEDULER_NAME',
    'SlurmScheduler',
    'createSlurmScheduler',
    'default',
    'parseSlurmOptions',
    'resolveAdvertiseHost',
    'slurmOptionSchemas',
  ]);
  expect(isSchedulerFactory(api.default)).toBe(true);
});

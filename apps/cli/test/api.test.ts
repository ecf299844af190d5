import { expect, it } from 'vitest';

it('pins the public API of @gator/cli', async () => {
  const names = Object.keys(await import('../src/index.ts')).sort();
  expect(names).toEqual([
    'BUILTIN_SCHEDULERS',
    'VERSION',
    'buildCli',
    'candidatePackages',
    'createScheduler',
    'exitCodeOfError',
    'loadSchedulerFactory',
    'locateScheduler',
    'main',
  ]);
});

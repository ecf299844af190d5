import { expect, it } from 'vitest';

it('pins the public API', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toEqual([
    'DEPENDENCY_KINDS',
    'DependencyGraph',
    'Rollup',
    'buildChildCommand',
    'checkResources',
    'createTier',
    'orderMetrics',
    'runTier',
  ]);
});

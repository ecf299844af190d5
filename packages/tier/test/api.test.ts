import { expect, it } from 'vitest';

it('pins the public API', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toEqual([
    'DEPENDENCY_KINDS',
    'DependencyGraph',
    'Rollup',
    'checkResources',
    'createTier',
    'orderMetrics',
    'runTier',
  ]);
});

it('rejects unusable options with a typed usage error', async () => {
  const { createTier } = await import('../src/index.js');
  const { group, job, isGatorError } = await import('@gator/protocol');
  const base = {
    spec: group({ jobs: [job({ command: 'x' })] }),
    ident: 'g',
    tracking: '/tmp/unused',
    scheduler: { name: 's', capabilities: { cores: 'stable', memory: 'stable', licenses: 'stable', remote: false }, launch: async () => { throw new Error('no'); }, stop: async () => {}, close: async () => {} },
    schedulerName: 's',
    childCommand: ['node', 'cli.js'],
  } as const;
  const attempts = [
    { ...base, spec: job({ command: 'x' }) },
    { ...base, ident: '' },
    { ...base, childCommand: [] },
    { ...base, interval: 0 },
    { ...base, scheduler: undefined },
  ];
  for (const options of attempts) {
    let caught: unknown;
    try {
      createTier(options as never);
    } catch (error) {
      caught = error;
    }
    expect(isGatorError(caught) && (caught as { code: string }).code).toBe('GATOR_USAGE');
  }
});

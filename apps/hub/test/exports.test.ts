import { expect, it } from 'vitest';

it('exports exactly the public API', async () => {
  expect(Object.keys(await import('../src/index.ts')).sort()).toEqual([
    'CompleteBodySchema',
    'HeartbeatBodySchema',
    'HubError',
    'HubOptionsSchema',
    'MessageQuerySchema',
    'RegisterBodySchema',
    'ResolveQuerySchema',
    'RunQuerySchema',
    'createHubClient',
    'defaultDatabasePath',
    'isLoopback',
    'openRepository',
    'parseHubAddress',
    'startHub',
  ]);
});

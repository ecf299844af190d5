import { expect, test } from 'vitest';

test('public API names are pinned', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toEqual([
    'DB_FILE_NAME',
    'DatabaseError',
    'GATOR_DDL',
    'MESSAGES_LOG_NAME',
    'PYTHON_DDL',
    'SPEC_FILE_NAME',
    'closeRun',
    'floatText',
    'openLayerReader',
    'openLayerStore',
    'walkRun',
  ]);
});

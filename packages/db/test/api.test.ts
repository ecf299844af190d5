import { expect, test } from 'vitest';

test('public API names are pinned', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toEqual([
    'DB_FILE_NAME',
    'DatabaseError',
    'GATOR_DDL',
    'MAX_MESSAGE_PAGE',
    'MESSAGES_LOG_NAME',
    'MessagePages',
    'PYTHON_DDL',
    'SPEC_FILE_NAME',
    'closeRun',
    'eachNode',
    'emptyCounts',
    'failureOf',
    'floatText',
    'isOldNoticeLine',
    'jobsOf',
    'loadRunModel',
    'openLayerReader',
    'openLayerStore',
    'rootIsGone',
    'walkRun',
    'withMean',
  ]);
});

import { expect, it } from 'vitest';

// The names main.ts and render/create.ts wire up: changing them is deliberate.
it('pins the exported names of the inspect commands and the live view', async () => {
  expect(Object.keys(await import('../../src/inspect/index.ts')).sort()).toEqual(['parseGrep', 'parseSeverity', 'registerInspectCommands']);
  expect(Object.keys(await import('../../src/render/live.ts')).sort()).toEqual(['LiveReporter', 'progressCounts', 'renderBar', 'splitBar']);
  expect(Object.keys(await import('../../src/render/export-junit.ts')).sort()).toEqual(['renderJunit', 'xmlAttr', 'xmlText']);
  expect(Object.keys(await import('../../src/render/export-markdown.ts')).sort()).toEqual(['renderMarkdown']);
  expect(Object.keys(await import('../../src/render/export-json.ts')).sort()).toEqual(['RUN_JSON_VERSION', 'renderJson']);
});

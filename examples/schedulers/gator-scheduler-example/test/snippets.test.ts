import fs from 'node:fs';
import { expect, it } from 'vitest';
import { fillSnippets, guidePath, region, snippets } from './snippets.js';

// To refresh the guide after editing a region: `node -e` is not enough (TypeScript), so run
// UPDATE_SNIPPETS=1 npx vitest run test/snippets.test.ts
it('the snippets of docs/writing-a-scheduler.md are the current regions of this package', () => {
  let guide = fs.readFileSync(guidePath, 'utf8');
  if (process.env.UPDATE_SNIPPETS === '1') {
    guide = fillSnippets(guide);
    fs.writeFileSync(guidePath, guide);
  }
  const found = snippets(guide);
  expect(found.map((s) => `${s.file}#${s.name}`)).toEqual([
    'examples/schedulers/gator-scheduler-example/src/index.ts#factory',
    'examples/schedulers/gator-scheduler-example/src/options.ts#options',
    'examples/schedulers/gator-scheduler-example/src/fifo-scheduler.ts#launch',
    'examples/schedulers/gator-scheduler-example/src/fifo-scheduler.ts#stop',
    'examples/schedulers/gator-scheduler-example/src/fifo-scheduler.ts#start',
    'examples/schedulers/gator-scheduler-example/src/fifo-scheduler.ts#capabilities',
    'examples/schedulers/gator-scheduler-example/test/conformance.test.ts#conformance',
  ]);
  for (const s of found) expect(s.text, `${s.file}#${s.name} (UPDATE_SNIPPETS=1 refreshes it)`).toBe(region(s.file, s.name));
});

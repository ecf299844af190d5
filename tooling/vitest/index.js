// Shared vitest configuration. Workspace packages resolve to their sources, so a
// package's tests never race another package's build; end-to-end tests in apps/cli
// spawn the built CLI instead.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const sources = {
  '@gator/protocol/conformance': 'packages/protocol/src/conformance/index.ts',
  '@gator/protocol': 'packages/protocol/src/index.ts',
  '@gator/db': 'packages/db/src/index.ts',
  '@gator/wrapper/client': 'packages/wrapper/src/client/index.ts',
  '@gator/wrapper': 'packages/wrapper/src/index.ts',
  '@gator/tier': 'packages/tier/src/index.ts',
  '@gator/scheduler-local': 'packages/scheduler-local/src/index.ts',
  '@gator/scheduler-slurm': 'packages/scheduler-slurm/src/index.ts',
  '@gator/scheduler-sge': 'packages/scheduler-sge/src/index.ts',
};

export const alias = Object.entries(sources).map(([name, file]) => ({
  find: new RegExp(`^${name.replace('/', '\\/')}$`),
  replacement: path.join(root, file),
}));

/** @param {import('vitest/config').UserConfig} overrides */
export function defineGatorVitestConfig(overrides = {}) {
  return mergeConfig(
    defineConfig({
      resolve: { alias },
      test: {
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 60_000,
        // Real processes and sockets: keep files from fighting over 2 cores.
        fileParallelism: false,
        globalSetup: [path.join(root, 'tooling/vitest/leak-check.js')],
        // A JSON report per package, added up by scripts/test-summary.mjs for CI's closing line.
        reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
      },
    }),
    overrides,
  );
}

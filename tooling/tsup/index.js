// One build shape for every package: ESM only, Node 20, types and source maps.
// ESM-only avoids two copies of a package (ESM + CJS), which would break
// `instanceof` on errors and mix zod schema instances.
import { defineConfig } from 'tsup';

/** @param {import('tsup').Options} overrides */
export function defineGatorConfig(overrides = {}) {
  return defineConfig((options) => ({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    ...overrides,
    ...options,
  }));
}

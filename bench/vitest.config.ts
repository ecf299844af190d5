import { defineGatorVitestConfig } from '@gator/vitest-config';

// The smoke test runs the built bench (dist/run.js) end to end, as `pnpm bench --quick` does.
export default defineGatorVitestConfig({ test: { testTimeout: 180_000 } });

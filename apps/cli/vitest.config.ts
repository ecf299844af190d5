import { defineGatorVitestConfig } from '@gator/vitest-config';

// End-to-end tests spawn the BUILT CLI (turbo builds it before `test`).
export default defineGatorVitestConfig({ test: { testTimeout: 120_000 } });

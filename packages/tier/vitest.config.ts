import { defineGatorVitestConfig } from '@gator/vitest-config';

// global-setup bundles the nested-tier entry that fixture child processes run.
export default defineGatorVitestConfig({ test: { globalSetup: ['test/global-setup.ts'] } });

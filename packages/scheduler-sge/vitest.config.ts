import { defineGatorVitestConfig } from '@gator/vitest-config';

export default defineGatorVitestConfig({
  // Brings the loopback Grid Engine cluster up (scripts/sge/up.sh) before any test.
  test: { globalSetup: ['test/cluster-setup.ts'] },
});

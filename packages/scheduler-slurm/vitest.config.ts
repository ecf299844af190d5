import { defineGatorVitestConfig } from '@gator/vitest-config';

export default defineGatorVitestConfig({
  // Brings the loopback Slurm cluster up (scripts/slurm/up.sh) before any test.
  test: { globalSetup: ['test/cluster-setup.ts'] },
});

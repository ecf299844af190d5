import { defineGatorVitestConfig } from '@gator/vitest-config';

export default defineGatorVitestConfig();

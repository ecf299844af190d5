import { defineGatorConfig } from '@gator/tsup-config';

export default defineGatorConfig({ entry: ['src/index.ts', 'src/conformance/index.ts'] });

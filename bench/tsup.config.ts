import { defineGatorConfig } from '@gator/tsup-config';

export default defineGatorConfig({ entry: ['src/index.ts', 'src/run.ts', 'src/local-inprocess.ts'], dts: { entry: 'src/index.ts' } });

import { defineGatorConfig } from '@gator/tsup-config';

// Code splitting keeps a child process's start-up cheap: a wrapper loads only
// what `run` needs, not the inspect commands or the hub.
export default defineGatorConfig({ entry: ['src/index.ts', 'src/cli.ts'], splitting: true });

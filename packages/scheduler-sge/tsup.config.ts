import { defineGatorConfig } from '@gator/tsup-config';

export default defineGatorConfig();

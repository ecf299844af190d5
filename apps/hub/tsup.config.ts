import { defineGatorConfig } from '@gator/tsup-config';
import { buildUi } from './ui-build.mjs';

export default defineGatorConfig({
  // The web UI is bundled for the browser next to the server code: dist/ui.
  onSuccess: async () => {
    await buildUi('dist/ui');
  },
});

import { createRequire } from 'node:module';

/** The CLI's package version (read once from its package.json). */
export const VERSION: string = (() => {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** The fixture jobs of the conformance suite: plain Node scripts shipped in the package's `fixtures/`. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';

export const FIXTURES = [
  'exits-with',
  'writes-stderr',
  'crashes',
  'sleeps',
  'ignores-sigterm',
  'spawns-group',
  'records-interval',
  'records-env',
] as const;
export type FixtureName = (typeof FIXTURES)[number];

let fixturesDirCache: string | undefined;

/**
 * Absolute path of a fixture job. The fixtures sit next to `src/` and `dist/`
 * in the package, so both `src/conformance/` (tests) and `dist/conformance/`
 * (published) find them two levels up; other layouts are tried too.
 */
export function fixturePath(name: FixtureName): string {
  if (fixturesDirCache === undefined) {
    const candidates = ['../../fixtures/', '../fixtures/', '../../../fixtures/'].map((relative) =>
      fileURLToPath(new URL(relative, import.meta.url)),
    );
    fixturesDirCache = candidates.find((dir) => fs.existsSync(path.join(dir, 'exits-with.mjs')));
    if (fixturesDirCache === undefined) {
      throw new InternalError(`The conformance fixtures were not found (looked in ${candidates.join(', ')}).`);
    }
  }
  return path.join(fixturesDirCache, `${name}.mjs`);
}

/**
 * Launch requests for a scheduler's own tests, beyond the conformance suite:
 * each runs a fixture in a fresh directory of one temporary root (made before
 * the file's tests, removed after them), with a tracking directory and a
 * `file(name)` inside it for the fixture to write to.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { LaunchRequest } from '../scheduler.js';
import { fixturePath, type FixtureName } from './fixtures.js';

export interface FixtureRequest {
  req: LaunchRequest;
  /** A path in the child's own directory (its cwd), for the fixture's arguments. */
  file(name: string): string;
  tracking: string;
}

export interface FixtureRequests {
  /** The temporary root (valid inside tests). */
  readonly root: string;
  /** A job running `fixture` with `args(file)`, id `t1`, `t2`…, path `nightly.tests.ID`; `extra` overrides fields. */
  request(fixture: FixtureName, args: (file: (name: string) => string) => string[], extra?: Partial<LaunchRequest>): FixtureRequest;
}

/** Call at the top of a test file: `prefix` names the temporary root (`gator-slurm-test-`). */
export function fixtureRequests(prefix: string, base = os.tmpdir()): FixtureRequests {
  let root = '';
  let counter = 0;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(base, prefix));
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  return {
    get root() {
      return root;
    },
    request(fixture, args, extra = {}) {
      const id = `t${++counter}`;
      const dir = path.join(root, id);
      const tracking = path.join(dir, 'tracking');
      fs.mkdirSync(tracking, { recursive: true, mode: 0o700 });
      const file = (name: string) => path.join(dir, name);
      const req: LaunchRequest = {
        id,
        path: ['nightly', 'tests', id],
        kind: 'job',
        command: [process.execPath, fixturePath(fixture), ...args(file)],
        env: {},
        cwd: dir,
        parent: '127.0.0.1:9',
        tracking,
        resources: { cores: 0, memoryMb: 0, licenses: {} },
        ...extra,
      };
      return { req, file, tracking };
    },
  };
}

/** Wait until `condition()` holds, checking every 50 ms; throws `timed out waiting for WHAT` after `ms`. */
export async function waitUntil(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

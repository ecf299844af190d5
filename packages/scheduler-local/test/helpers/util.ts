// Small helpers shared by the integration tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LaunchRequest } from '@gator/protocol';
import { fixturePath, type FixtureName } from '@gator/protocol/conformance';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gator-sched-local-'));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `condition` until true; fails after `ms` (a bound on a hang, not a timing assertion). */
export async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Alive and not a zombie (orphaned zombies are not reaped in some containers). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

let counter = 0;

/** A launch request for a fixture job, with its own directory under `root`. */
export function fixtureJob(
  root: string,
  fixture: FixtureName,
  args: (file: (name: string) => string) => string[],
  extra: Partial<LaunchRequest> = {},
): { request: LaunchRequest; file: (name: string) => string } {
  const id = extra.id ?? `t${++counter}`;
  const dir = path.join(root, id);
  fs.mkdirSync(path.join(dir, 'tracking'), { recursive: true });
  const file = (name: string) => path.join(dir, name);
  return {
    file,
    request: {
      id,
      path: ['test', id],
      kind: 'job',
      command: [process.execPath, fixturePath(fixture), ...args(file)],
      env: {},
      cwd: dir,
      parent: '127.0.0.1:9',
      tracking: path.join(dir, 'tracking'),
      resources: { cores: 0, memoryMb: 0, licenses: {} },
      ...extra,
    },
  };
}

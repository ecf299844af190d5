/**
 * Finding and ending a job's processes by a variable of their environment,
 * for what a process-group sweep cannot reach. The process-group helpers
 * themselves are @gator/protocol's (`spawnInGroup`, `sweepGroup`, …).
 */
import fs from 'node:fs';

// The pool server (wire.ts) sweeps the groups of nested instances' children with these.
export { groupAlive, sweepGroup } from '@gator/protocol';

const HAS_PROC = fs.existsSync('/proc/self/stat');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Pids of live (non-zombie) processes whose environment holds `entry` (`NAME=value`); none without /proc. */
export function processesWithEnv(entry: string): number[] {
  if (!HAS_PROC) return [];
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  const needle = Buffer.from(`\0${entry}\0`);
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let environ: Buffer;
    try {
      environ = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${name}/environ`), Buffer.from([0])]);
    } catch {
      continue;
    }
    if (environ.indexOf(needle) < 0) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}

/**
 * End every process whose environment holds `entry`: SIGTERM, SIGKILL after
 * `graceMs`. For what a killed wrapper could not reap (its job leads its own
 * process group, which the wrapper's group sweep does not reach).
 */
export async function sweepMarked(entry: string, graceMs: number): Promise<void> {
  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  let left = processesWithEnv(entry);
  if (left.length === 0) return;
  signal(left, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = processesWithEnv(entry);
  }
  if (left.length === 0) return;
  signal(left, 'SIGKILL');
  const killDeadline = Date.now() + 2000;
  while (left.length > 0 && Date.now() < killDeadline) {
    await sleep(50);
    left = processesWithEnv(entry);
  }
}

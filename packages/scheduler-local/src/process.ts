/**
 * Process-group signalling. Each child leads its own group (`detached: true`),
 * so `kill(-pgid)` reaches everything it started that did not leave the group.
 */
import fs from 'node:fs';

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Send `signal` to the whole group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

const HAS_PROC = fs.existsSync('/proc/self/stat');

/**
 * Whether a non-zombie process of group `pgid` still runs. `kill(-pgid, 0)`
 * alone is not enough: orphaned zombies keep a group "alive" for ever where
 * the init process does not reap them (containers), so on Linux the members
 * are looked up in /proc.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return false;
  }
  if (!HAS_PROC) return true;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // `pid (comm) state ppid pgrp …`; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}

/**
 * End group `pgid`: SIGTERM (unless `termSentAt` says it was already sent),
 * SIGKILL once `graceMs` have passed since, then wait briefly for it to go.
 */
export async function sweepGroup(pgid: number, graceMs: number, termSentAt?: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  const since = termSentAt ?? Date.now();
  if (termSentAt === undefined && !signalGroup(pgid, 'SIGTERM')) return;
  if (await waitGone(pgid, Math.max(0, since + graceMs - Date.now()))) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, 2000);
}

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

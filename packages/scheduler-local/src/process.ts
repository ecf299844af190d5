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

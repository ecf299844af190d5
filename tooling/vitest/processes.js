// Finding the processes a test run started, by the marker variable the leak check
// puts in the environment (inherited by every child, grandchild, job...).
import fs from 'node:fs';

export const MARKER = 'GATOR_TEST_RUN_ID';

/** Pids (other than `exclude`) whose environment carries MARKER=value. */
export function processesWithMarker(value, exclude = [process.pid]) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (exclude.includes(pid)) continue;
    let environ;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!environ.split('\0').includes(`${MARKER}=${value}`)) continue;
    let stat = '';
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue;
    }
    // Zombies are already dead; they only wait for their parent to reap them.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') continue;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
    } catch {}
    found.push({ pid, cmdline });
  }
  return found;
}

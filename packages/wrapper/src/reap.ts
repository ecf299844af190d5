/**
 * Ending the job's processes: a stop while it runs (`terminate`), and what it
 * left behind once its main process exited (`reapLeftovers`): its process
 * group, the processes the sampler saw in its tree, and any process carrying
 * this wrapper's `GATOR_PARENT` in its environment (a daemon that left the
 * group with setsid()). SIGTERM first, SIGKILL after the grace; a process is
 * only signalled while it is the same one (pid and start time).
 */
import { ENV } from '@gator/protocol';
import { type ProcEntry, hasProcFs, jobProcesses, processesWithEnv, readProcTable, signalGroup, signalIfSame } from './processes.js';

/** The job's processes as the wrapper knows them. */
export interface JobProcesses {
  /** The main process, leader of the job's process group. */
  pid: number;
  /** Processes the sampler saw in the tree (read when signalling, so it is current). */
  seen: () => Iterable<ProcEntry>;
}

/**
 * SIGTERM to the job's process group (and escaped processes seen), SIGKILL
 * after `graceMs`. Returns the SIGKILL timer (`killTimer` when one is already set).
 */
export function terminate(job: JobProcesses, graceMs: number, killTimer?: NodeJS.Timeout): NodeJS.Timeout {
  signalGroup(job.pid, 'SIGTERM');
  for (const p of job.seen()) if (p.pgid !== job.pid) signalIfSame(p, 'SIGTERM');
  return killTimer ?? setTimeout(() => {
    signalGroup(job.pid, 'SIGKILL');
    for (const p of job.seen()) signalIfSame(p, 'SIGKILL');
  }, graceMs);
}

/**
 * After the main process exited: end what is left of the job, SIGTERM first,
 * SIGKILL after `graceMs`. `parentAddress` is the `GATOR_PARENT` value the
 * job was given; `startTicks` the clock ticks since boot just before launch.
 */
export async function reapLeftovers(job: JobProcesses & { startTicks: number; parentAddress: string }, graceMs: number): Promise<void> {
  const { pid } = job;
  // The environment scan is the costly part: once, and only of processes younger than
  // the job (less a second for clock rounding); then only those pids are rechecked.
  let first = hasProcFs ? readProcTable() : undefined;
  const since = Math.max(0, job.startTicks - 100);
  const marked = first && job.parentAddress ? processesWithEnv(`${ENV.PARENT}=${job.parentAddress}`, first, since) : [];
  const leftovers = (): ProcEntry[] => {
    if (!hasProcFs) return signalGroup(pid, 0) ? [{ pid: -pid } as ProcEntry] : [];
    const table = first ?? readProcTable();
    first = undefined;
    const found = new Map<number, ProcEntry>();
    for (const p of jobProcesses(table, pid, pid)) found.set(p.pid, p);
    for (const p of [...job.seen(), ...marked]) {
      const now = table.get(p.pid);
      if (now && now.start === p.start) found.set(p.pid, now);
    }
    return [...found.values()];
  };
  const signal = (procs: ProcEntry[], sig: NodeJS.Signals) => {
    signalGroup(pid, sig);
    for (const p of procs) if (p.pid > 0) signalIfSame(p, sig);
  };
  let left = leftovers();
  if (left.length === 0) return;
  signal(left, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = leftovers();
  }
  if (left.length === 0) return;
  signal(left, 'SIGKILL');
  const killDeadline = Date.now() + 2000;
  while (left.length > 0 && Date.now() < killDeadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = leftovers();
  }
}

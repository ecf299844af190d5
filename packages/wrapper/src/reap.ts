/**
 * Ending the job's processes: a stop while it runs (`terminate`), and what it
 * left behind once its main process exited (`reapLeftovers`): its process
 * group, the processes the sampler saw in its tree, and any process carrying
 * this wrapper's `GATOR_PARENT` in its environment (a daemon that left the
 * group with setsid()). SIGTERM first, SIGKILL after the grace; a process is
 * only signalled while it is the same one (pid and start time).
 */
import { ENV } from '@gator/protocol';
import type { JobCgroup } from './containment.js';
import { type PidMark, type ProcEntry, hasProcFs, jobProcesses, processesWithEnv, readProcFile, readProcTable, signalGroup, signalIfSame } from './processes.js';

/** A process the job left running, that was ended. */
export interface Leftover {
  pid: number;
  command: string;
  /** It had left the job's process group (setsid): found by the cgroup, the tree or its environment. */
  escaped: boolean;
}

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
 * job was given; `startTicks` the clock ticks since boot just before launch, and `pidMark`
 * the pid counter then.
 */
export async function reapLeftovers(
  job: JobProcesses & { startTicks: number; pidMark?: PidMark | undefined; parentAddress: string; cgroup?: JobCgroup },
  graceMs: number,
): Promise<Leftover[]> {
  const { pid, cgroup } = job;
  // Every process of the job (its group, its tree, what escaped them, its cgroup's) was
  // started after its main process: only those pids are read (readProcTable). The
  // environment scan is the costly part: once, and only of processes younger than the job
  // (less a second for clock rounding); then only those pids are rechecked.
  const since = { pid, mark: job.pidMark };
  let first = hasProcFs ? readProcTable(since) : undefined;
  const startedSince = Math.max(0, job.startTicks - 100);
  const marked = first && job.parentAddress ? processesWithEnv(`${ENV.PARENT}=${job.parentAddress}`, first, startedSince) : [];
  const leftovers = (): ProcEntry[] => {
    if (!hasProcFs) return signalGroup(pid, 0) ? [{ pid: -pid } as ProcEntry] : [];
    const table = first ?? readProcTable(since);
    first = undefined;
    const found = new Map<number, ProcEntry>();
    for (const p of jobProcesses(table, pid, pid)) found.set(p.pid, p);
    for (const p of [...job.seen(), ...marked]) {
      const now = table.get(p.pid);
      if (now && now.start === p.start) found.set(p.pid, now);
    }
    // The cgroup holds every process of the job, those that left its group and cleared their environment too.
    for (const member of cgroup?.pids() ?? []) {
      const now = table.get(member);
      if (now && now.pid !== process.pid) found.set(member, now);
    }
    return [...found.values()];
  };
  const ended = new Map<number, Leftover>();
  const note = (procs: ProcEntry[]) => {
    for (const p of procs) {
      if (p.pid <= 0 || ended.has(p.pid)) continue;
      const command = readProcFile(`/proc/${p.pid}/cmdline`)?.split('\0').filter(Boolean).join(' ') ?? '';
      ended.set(p.pid, { pid: p.pid, command, escaped: p.pgid !== pid });
    }
  };
  const signal = (procs: ProcEntry[], sig: NodeJS.Signals) => {
    signalGroup(pid, sig);
    for (const p of procs) if (p.pid > 0) signalIfSame(p, sig);
  };
  let left = leftovers();
  note(left);
  if (left.length === 0) return [];
  signal(left, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = leftovers();
    note(left);
  }
  if (left.length === 0) return [...ended.values()];
  signal(left, 'SIGKILL');
  cgroup?.kill();
  const killDeadline = Date.now() + 2000;
  while (left.length > 0 && Date.now() < killDeadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = leftovers();
  }
  return [...ended.values()];
}

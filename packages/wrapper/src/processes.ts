/**
 * The job's process tree, read from /proc (Linux): which processes belong to
 * the job, how much CPU and memory they use, and ending the ones left behind.
 *
 * A process belongs to the job when it descends from the job's main process,
 * is in the job's process group, or (checked when cleaning up) carries the
 * wrapper's unique `GATOR_PARENT` value in its environment, which finds
 * daemons that left the group with setsid(). Every process is identified by
 * pid AND start time, so a recycled pid is never signalled.
 *
 * Elsewhere (macOS) only the main process is sampled, through `pidusage`.
 */
import fs from 'node:fs';
import pidusage from 'pidusage';

/** Linux reports CPU times in USER_HZ, fixed at 100 on every mainstream ABI. */
const CLOCK_TICKS = 100;

export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot (identifies the process together with pid). */
  start: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  rss: number;
  vmem: number;
  state: string;
}

export interface ResourceSample {
  nproc: number;
  /** Percent of one core, summed over the tree. */
  cpu: number;
  /** Bytes. */
  mem: number;
  vmem: number;
}

export const hasProcFs = (() => {
  try {
    return fs.statSync('/proc/self/stat').isFile();
  } catch {
    return false;
  }
})();

let pageSizeCache: number | undefined;
function pageSize(): number {
  if (pageSizeCache !== undefined) return pageSizeCache;
  pageSizeCache = 4096;
  try {
    // VmRSS (kB) over statm's resident pages gives the page size; round to a power of two.
    const status = fs.readFileSync('/proc/self/status', 'latin1');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const pages = Number(fs.readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    if (rssKb > 0 && pages > 0) pageSizeCache = 2 ** Math.round(Math.log2((rssKb * 1024) / pages));
  } catch {
    /* keep 4096 */
  }
  return pageSizeCache;
}

/** Clock ticks since boot (the unit of `ProcEntry.start`); 0 when unknown. */
export function uptimeTicks(): number {
  const text = readProcFile('/proc/uptime');
  return text === undefined ? 0 : Number(text.split(' ')[0]) * CLOCK_TICKS || 0;
}

export function parseStat(pid: number, text: string): ProcEntry | undefined {
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state) of proc(5).
  return {
    pid,
    state: f[0],
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    start: Number(f[19]),
    vmem: Number(f[20]),
    rss: Number(f[21]) * pageSize(),
  };
}

/**
 * One reused buffer for /proc files: `readFileSync` sizes its buffer from the
 * file size, which /proc reports as 0, so it allocates 64 KiB for every read —
 * thousands of reads per job end (a table scan reads every process).
 */
let procBuffer = Buffer.allocUnsafe(16 * 1024);

/** A /proc file's text (latin1), or undefined when it cannot be read (the process is gone). */
export function readProcFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === procBuffer.length) {
        const bigger = Buffer.allocUnsafe(procBuffer.length * 2);
        procBuffer.copy(bigger, 0, 0, length);
        procBuffer = bigger;
      }
      const n = fs.readSync(fd, procBuffer, length, procBuffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return procBuffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

export function readProc(pid: number): ProcEntry | undefined {
  const text = readProcFile(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(pid, text);
}

/** How far the kernel's pid counter has gone: taken just before a job starts (`pidMark`). */
export interface PidMark {
  /** Processes and threads started since boot (`processes` of /proc/stat): each took a pid. */
  forks: number;
  pidMax: number;
}

let pidMaxCache: number | undefined;

/** The pid counter now, or undefined when the kernel does not say. */
export function pidMark(): PidMark | undefined {
  pidMaxCache ??= Number(readProcFile('/proc/sys/kernel/pid_max'));
  const forks = Number(/^processes (\d+)$/m.exec(readProcFile('/proc/stat') ?? '')?.[1]);
  return Number.isInteger(forks) && Number.isInteger(pidMaxCache) && pidMaxCache > 0 ? { forks, pidMax: pidMaxCache } : undefined;
}

/** Pids below this are not handed out again once the counter wraps (the kernel's RESERVED_PIDS). */
const RESERVED_PIDS = 300;

/**
 * Which pids were handed out since process `pid` was (it included): `since` is the pid
 * counter just before it started. The kernel gives pids in increasing order from its last
 * one (`/proc/sys/kernel/ns_last_pid`), wrapping at pid_max, so they are the range from
 * `pid` to the last one, wrapped with it. Undefined (every pid may be) when the kernel
 * does not say, or when so many processes were started since that the counter may have
 * come round to `pid` again (pid_max is 32768 on many machines).
 */
export function allocatedSince(
  pid: number,
  since: PidMark | undefined,
  now: { last: number; forks: number } = { last: Number(readProcFile('/proc/sys/kernel/ns_last_pid')), forks: pidMark()?.forks ?? Number.NaN },
): ((p: number) => boolean) | undefined {
  if (!since || !Number.isInteger(now.last) || now.last <= 0 || !(now.forks - since.forks < since.pidMax - RESERVED_PIDS)) return undefined;
  const last = now.last;
  return last >= pid ? (p) => p >= pid && p <= last : (p) => p >= pid || p <= last;
}

/**
 * Every live process on the machine (zombies excluded); with `since` (a job's main process
 * and the pid counter before it started), only those started after it (`allocatedSince`),
 * as the job's processes all are: a busy machine has hundreds of others, and each costs
 * three system calls to read.
 */
export function readProcTable(since?: { pid: number; mark: PidMark | undefined }): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return table;
  }
  const young = since === undefined ? undefined : allocatedSince(since.pid, since.mark);
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    if (young && !young(pid)) continue;
    const entry = readProc(pid);
    if (entry && entry.state !== 'Z' && entry.state !== 'X') table.set(pid, entry);
  }
  return table;
}

/** The job's processes: descendants of `rootPid` plus members of process group `pgid`. */
export function jobProcesses(table: Map<number, ProcEntry>, rootPid: number, pgid: number): ProcEntry[] {
  const children = new Map<number, number[]>();
  for (const e of table.values()) {
    const list = children.get(e.ppid);
    if (list) list.push(e.pid);
    else children.set(e.ppid, [e.pid]);
  }
  const found = new Map<number, ProcEntry>();
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const entry = table.get(pid);
    if (!entry || found.has(pid)) continue;
    found.set(pid, entry);
    for (const child of children.get(pid) ?? []) stack.push(child);
  }
  for (const e of table.values()) if (e.pgid === pgid && !found.has(e.pid)) found.set(e.pid, e);
  found.delete(process.pid);
  return [...found.values()];
}

/**
 * Processes whose environment holds `NAME=value` exactly (used to find escaped
 * daemons). With `startedSince` (clock ticks since boot), only processes started
 * at or after it are read: a job's processes cannot be older than the job.
 */
export function processesWithEnv(entry: string, table: Map<number, ProcEntry>, startedSince = 0): ProcEntry[] {
  const found: ProcEntry[] = [];
  const needle = `\0${entry}\0`;
  for (const e of table.values()) {
    if (e.pid === process.pid || e.start < startedSince) continue;
    const environ = readProcFile(`/proc/${e.pid}/environ`);
    if (environ !== undefined && `\0${environ}\0`.includes(needle)) found.push(e);
  }
  return found;
}

/**
 * Samples the CPU and memory of one job's process tree. CPU % of a process is
 * its CPU time since the previous sample (or since it started, for a new one)
 * over the elapsed time.
 */
export class TreeSampler {
  private previous = new Map<string, number>();
  private previousAt = 0;
  /** Every process seen in the tree, by `pid:start`. */
  readonly seen = new Map<string, ProcEntry>();
  /** Pids that are not the job's own (its containment watchdog). */
  readonly ignore = new Set<number>();

  /** `mark`: the pid counter just before the job's main process (`rootPid`, its group's leader) started. */
  constructor(
    private readonly rootPid: number,
    private readonly pgid: number,
    private readonly mark?: PidMark,
  ) {}

  async sample(): Promise<ResourceSample> {
    if (!hasProcFs) return this.samplePortable();
    // The tree and the group are the job's main process and processes started after it.
    const table = readProcTable(this.pgid === this.rootPid ? { pid: this.rootPid, mark: this.mark } : undefined);
    let procs = jobProcesses(table, this.rootPid, this.pgid);
    if (this.ignore.size > 0) procs = procs.filter((p) => !this.ignore.has(p.pid));
    const now = uptimeTicks();
    const elapsed = this.previousAt > 0 ? now - this.previousAt : 0;
    const next = new Map<string, number>();
    let cpu = 0;
    let mem = 0;
    let vmem = 0;
    for (const p of procs) {
      const key = `${p.pid}:${p.start}`;
      this.seen.set(key, p);
      next.set(key, p.cpuTicks);
      const before = this.previous.get(key);
      const span = before !== undefined ? elapsed : now - p.start;
      const used = before !== undefined ? p.cpuTicks - before : p.cpuTicks;
      if (span > 0) cpu += (used / span) * 100;
      mem += p.rss;
      vmem += p.vmem;
    }
    // Forget processes that are gone (a long job may start millions).
    for (const [key, p] of this.seen) if (table.get(p.pid)?.start !== p.start) this.seen.delete(key);
    this.previous = next;
    this.previousAt = now;
    return { nproc: procs.length, cpu: Math.round(cpu * 10) / 10, mem, vmem };
  }

  private async samplePortable(): Promise<ResourceSample> {
    try {
      const stat = await pidusage(this.rootPid);
      return { nproc: 1, cpu: Math.round(stat.cpu * 10) / 10, mem: stat.memory, vmem: 0 };
    } catch {
      return { nproc: 0, cpu: 0, mem: 0, vmem: 0 };
    }
  }

  /** Forget per-pid history held by pidusage (portable path only). */
  dispose(): void {
    if (!hasProcFs) {
      try {
        pidusage.clear();
      } catch {
        /* nothing held */
      }
    }
  }
}

/** Send `signal` to a process only if it is still the same process (same start time). */
export function signalIfSame(entry: Pick<ProcEntry, 'pid' | 'start'>, signal: NodeJS.Signals): boolean {
  const now = readProc(entry.pid);
  if (!now || now.start !== entry.start || now.state === 'Z') return false;
  try {
    process.kill(entry.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Send `signal` to a whole process group; false when the group is empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // kill(-0) and kill(-1) would hit our own group or every process: never.
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * What the scheduler learns about the cluster once, when it is created: the
 * queue instances jobs may go to and their slots, the parallel environment,
 * the largest host's memory, the consumable complexes that can stand for
 * licenses and their seats, and the largest array job. `check()` answers from
 * it without asking the qmaster again.
 */
import { XMLParser } from 'fast-xml-parser';
import { SchedulerError, runCommand, type CommandResult } from '@gator/protocol';
import { SCHEDULER_NAME, clusterError, type SgeOptions } from './options.js';
import {
  commandFailure,
  memoryToMb,
  parseComplexValues,
  parseComplexes,
  qconfValue,
  type Complex,
} from './sge-cli.js';

export interface LicenseComplex {
  name: string;
  /** Seats cluster-wide (the global exec host's complex_values); undefined when booked per host or queue. */
  seats: number | undefined;
  /** `YES`: booked once per slot (so a job on N slots asks for 1/N each); `JOB`: once per job. */
  perSlot: boolean;
}

export interface ClusterInfo {
  /** Queue instances jobs may go to (`all.q@node1`), with their slots. */
  queues: { name: string; slots: number }[];
  /** The parallel environment for multi-core jobs, when the cluster has it. */
  pe: { name: string; slots: number } | undefined;
  /** Names of every parallel environment (for error messages). */
  pes: string[];
  /** Most memory of one host, in MB (0 = unknown). */
  maxMemMb: number;
  /** Consumable complexes a `!License` can book, by name and shortcut. */
  licenses: Map<string, LicenseComplex>;
  /** Every requestable complex name (to tell "not consumable" from "unknown"). */
  complexes: Map<string, Complex>;
  /** Largest task count of one array job (`max_aj_tasks`). */
  maxArrayTasks: number;
}

/** Most slots one job can get: the largest queue instance, capped by the PE (1 without one). */
export function maxSlots(cluster: ClusterInfo): number {
  const queue = Math.max(0, ...cluster.queues.map((q) => q.slots));
  if (!cluster.pe) return Math.min(queue, 1);
  return Math.min(queue, cluster.pe.slots);
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name) => ['Queue-List', 'host', 'hostvalue'].includes(name) });

/** `qstat -f -xml` → queue instances (name, slots_total). */
export function parseQueueInstances(text: string): { name: string; slots: number }[] {
  const doc = xml.parse(text) as { job_info?: { queue_info?: { 'Queue-List'?: { name?: string; slots_total?: string }[] } } };
  const list = doc.job_info?.queue_info;
  const instances = list && typeof list === 'object' ? (list['Queue-List'] ?? []) : [];
  return instances.flatMap((q) => (q.name ? [{ name: String(q.name), slots: Number(q.slots_total) || 0 }] : []));
}

/** `qhost -xml` → the largest `mem_total` in MB. */
export function parseMaxHostMemory(text: string): number {
  const doc = xml.parse(text) as { qhost?: { host?: { '@name'?: string; hostvalue?: { '@name'?: string; '#text'?: string }[] }[] } };
  let max = 0;
  for (const host of doc.qhost?.host ?? []) {
    const mem = host.hostvalue?.find((v) => v['@name'] === 'mem_total')?.['#text'];
    max = Math.max(max, memoryToMb(mem));
  }
  return max;
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** Queue instances a `qsub -q` list selects (`all.q`, `all.q@node1`, `*@node1`, `a.q,b.q`). */
export function selectQueues<T extends { name: string }>(instances: readonly T[], queue: string | undefined): T[] {
  if (!queue) return [...instances];
  const patterns = queue.split(',').map((p) => (p.includes('@') ? glob(p) : glob(`${p}@*`)));
  return instances.filter((q) => patterns.some((p) => p.test(q.name)));
}

async function must(command: string, args: string[]): Promise<CommandResult> {
  const result = await runCommand(command, args, { timeoutMs: 60_000 });
  if (result.error?.code === 'ENOENT') {
    throw clusterError(
      "Grid Engine's commands (qsub, qstat, qdel, qconf) are not on PATH.",
      'Run Gator on a submit host of the cluster, or add Grid Engine\'s bin directory to PATH (and set SGE_ROOT/SGE_CELL).',
    );
  }
  if (result.code !== 0) {
    throw clusterError(
      `Cannot reach the Grid Engine qmaster: ${command} ${args.join(' ')}: ${commandFailure(command, result)}.`,
      'Check that `qstat` works on this machine (sge_qmaster running, SGE_ROOT/SGE_CELL set, this host a submit host).',
    );
  }
  return result;
}

/** Ask the cluster what `check()` and submission need. */
export async function probeCluster(options: SgeOptions): Promise<ClusterInfo> {
  const queuesOut = await must('qstat', ['-f', '-xml']);
  const [complexesOut, globalOut, pesOut, hostsOut, confOut] = await Promise.all([
    must('qconf', ['-sc']),
    runCommand('qconf', ['-se', 'global']),
    runCommand('qconf', ['-spl']),
    runCommand('qhost', ['-xml']),
    runCommand('qconf', ['-sconf']),
  ]);
  const all = parseQueueInstances(queuesOut.stdout);
  const queues = selectQueues(all, options.queue);
  if (options.queue && queues.length === 0) {
    const names = [...new Set(all.map((q) => q.name.split('@')[0]))];
    throw new SchedulerError(
      'GATOR_SCHEDULER_OPTION',
      SCHEDULER_NAME,
      `Queue \`${options.queue}\` matches no queue instance of this cluster (queues: ${names.join(', ') || 'none'}).`,
      { hint: 'Pass --sched-arg queue=NAME with a queue `qstat -f` lists, or leave it out to let Grid Engine choose.' },
    );
  }
  // `no parallel environment defined` goes to stderr with rc 1.
  const pes = pesOut.code === 0 ? pesOut.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
  let pe: ClusterInfo['pe'];
  if (pes.includes(options.pe)) {
    const peOut = await runCommand('qconf', ['-sp', options.pe]);
    pe = { name: options.pe, slots: Number(qconfValue(peOut.stdout, 'slots')) || 0 };
  }
  const complexList = parseComplexes(complexesOut.stdout);
  const complexes = new Map<string, Complex>();
  for (const c of complexList) {
    complexes.set(c.name, c);
    complexes.set(c.shortcut, c);
  }
  const seats = parseComplexValues(globalOut.code === 0 ? qconfValue(globalOut.stdout, 'complex_values') : undefined);
  const licenses = new Map<string, LicenseComplex>();
  for (const c of complexList) {
    if (!c.requestable || !['YES', 'JOB'].includes(c.consumable) || !['INT', 'DOUBLE'].includes(c.type)) continue;
    if (c.name === 'slots') continue;
    const license: LicenseComplex = { name: c.name, seats: seats[c.name] ?? seats[c.shortcut], perSlot: c.consumable === 'YES' };
    licenses.set(c.name, license);
    licenses.set(c.shortcut, license);
  }
  return {
    queues,
    pe,
    pes,
    maxMemMb: hostsOut.code === 0 ? parseMaxHostMemory(hostsOut.stdout) : 0,
    licenses,
    complexes,
    maxArrayTasks: Number(qconfValue(confOut.stdout, 'max_aj_tasks')) || 75_000,
  };
}

/**
 * Running Slurm's commands (sbatch, squeue, scancel, scontrol, sinfo, sacct)
 * and reading their output. Commands never throw: a failure is a result with
 * its exit code and stderr, so that the scheduler can turn it into a child's
 * exit reason or a retry.
 */
import os from 'node:os';
import { commandRunFailure, type CommandResult } from '@gator/protocol';

/** The message of a failed command: its stderr without Slurm's `sbatch: error: ` prefixes. */
export function commandFailure(command: string, result: CommandResult): string {
  const notRun = commandRunFailure(command, result);
  if (notRun !== undefined) return notRun;
  const lines = result.stderr
    .split('\n')
    .map((line) => line.replace(new RegExp(`^${command}: (error: )?`), '').trim())
    .filter((line) => line !== '');
  return lines.join('; ') || `${command} exited with code ${result.code}`;
}

/** Errors worth another try: the controller is busy or briefly unreachable. */
export function isTransientFailure(result: CommandResult): boolean {
  return /Socket timed out|Unable to contact slurm controller|temporarily unable|Resource temporarily unavailable|Connection refused|Zero Bytes were transmitted/i.test(
    result.stderr,
  );
}

/** Job id of `sbatch --parsable` output (`123` or `123;cluster`). */
export function parseSbatchJobId(stdout: string): string | undefined {
  return /^\s*(\d+)/.exec(stdout)?.[1];
}

/** The squeue `-O` format the poller asks for; Reason last, as it may contain anything. */
export const SQUEUE_FORMAT = 'JobArrayID:|,State:|,exit_code:|,BatchHost:|,Reason:';

export interface QueueEntry {
  /** `123`, or `123_4` for an array task. */
  id: string;
  /** `PENDING`, `RUNNING`, `COMPLETED`, `CANCELLED`… */
  state: string;
  /** Raw wait status of the batch script (as `waitpid` gives it), 0 while running. */
  status: number;
  /** Node that runs (or ran) the batch script; undefined when it never started. */
  batchHost: string | undefined;
  /** Slurm's reason (`Licenses`, `NonZeroExitCode`, `TimeLimit`…); undefined for `None`. */
  reason: string | undefined;
}

/** Parse `squeue -h -r -t all -O SQUEUE_FORMAT` output. */
export function parseSqueue(stdout: string): Map<string, QueueEntry> {
  const entries = new Map<string, QueueEntry>();
  for (const line of stdout.split('\n')) {
    const fields = line.split('|');
    if (fields.length < 5) continue;
    const [id, state, status, host] = fields.map((f) => f.trim());
    const reason = fields.slice(4).join('|').trim();
    if (!id || !state) continue;
    entries.set(id, {
      id,
      state: state.split(/\s/)[0]!.toUpperCase(),
      status: Number(status) || 0,
      batchHost: host && host !== 'n/a' && host !== '(null)' ? host : undefined,
      reason: reason && reason !== 'None' && reason !== '(null)' ? reason : undefined,
    });
  }
  return entries;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

/** Exit code or signal from a raw wait status. */
export function exitFromStatus(status: number): { code: number | null; signal: string | null } {
  const signal = status & 0x7f;
  if (signal !== 0) return { code: null, signal: SIGNAL_NAMES.get(signal) ?? `SIG${signal}` };
  return { code: (status >> 8) & 0xff, signal: null };
}

/** Exit code or signal from Slurm's `ExitCode` text (`3:0`, `0:9`). */
export function exitFromExitCode(text: string): { code: number | null; signal: string | null } {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) return { code: null, signal: null };
  const signal = Number(match[2]);
  if (signal !== 0) return { code: null, signal: SIGNAL_NAMES.get(signal) ?? `SIG${signal}` };
  return { code: Number(match[1]), signal: null };
}

/** Slurm job states after which nothing runs any more. */
export const TERMINAL_STATES = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
]);

/** Pending reasons that never clear by themselves: such a job can never start. */
export function isHopelessReason(reason: string | undefined): boolean {
  return (
    reason !== undefined &&
    /^(PartitionConfig|PartitionNodeLimit|PartitionTimeLimit|BadConstraints|InvalidAccount|InvalidQOS|DependencyNeverSatisfied|.*PerJob.*)$/.test(reason)
  );
}

/** States in which the batch script has been started. */
export const STARTED_STATES = new Set(['RUNNING', 'COMPLETING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);

/** `scontrol show licenses -o` → license name → total seats. */
export function parseLicenses(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const name = /LicenseName=(\S+)/.exec(line)?.[1];
    const total = /Total=(\d+)/.exec(line)?.[1];
    if (name && total) out[name] = Number(total);
  }
  return out;
}

export interface PartitionInfo {
  name: string;
  isDefault: boolean;
  /** Most CPUs one job gets on one node (0 = unknown). */
  maxCpus: number;
  /** Most memory one job gets on one node, in Slurm MB (0 = unknown). */
  maxMemMb: number;
}

/**
 * Partitions from `scontrol show partition -o` (name, default, per-node caps)
 * and `sinfo -h -e -o '%R|%c|%m'` (the nodes' CPUs and memory): what one job
 * on one node of each partition can get at most.
 */
export function parsePartitions(scontrolOut: string, sinfoOut: string): PartitionInfo[] {
  const nodes = new Map<string, { cpus: number; mem: number }>();
  for (const line of sinfoOut.split('\n')) {
    const [name, cpus, mem] = line.split('|').map((f) => f.trim());
    if (!name) continue;
    const n = nodes.get(name) ?? { cpus: 0, mem: 0 };
    n.cpus = Math.max(n.cpus, Number.parseInt(cpus ?? '', 10) || 0);
    n.mem = Math.max(n.mem, Number.parseInt(mem ?? '', 10) || 0);
    nodes.set(name, n);
  }
  const cap = (line: string, field: string): number => {
    const value = new RegExp(`(?:^|\\s)${field}=(\\d+)`).exec(line)?.[1];
    return value === undefined ? Infinity : Number(value);
  };
  const out: PartitionInfo[] = [];
  for (const line of scontrolOut.split('\n')) {
    const name = /PartitionName=(\S+)/.exec(line)?.[1];
    if (!name) continue;
    const node = nodes.get(name) ?? { cpus: 0, mem: 0 };
    const maxCpus = Math.min(node.cpus || Infinity, cap(line, 'MaxCPUsPerNode'));
    const maxMem = Math.min(node.mem || Infinity, cap(line, 'MaxMemPerNode'));
    out.push({
      name,
      isDefault: /(?:^|\s)Default=YES/.test(line),
      maxCpus: Number.isFinite(maxCpus) ? maxCpus : 0,
      maxMemMb: Number.isFinite(maxMem) ? maxMem : 0,
    });
  }
  return out;
}

/** `NAME = VALUE` of `scontrol show config` (undefined when absent). */
export function configValue(stdout: string, name: string): string | undefined {
  const match = new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(stdout);
  return match?.[1]?.trim();
}

export interface AccountingEntry {
  id: string;
  state: string;
  exitCode: string;
}

/** `sacct -n -P -o JobID,State,ExitCode` → job id → entry (the allocation line, not its steps). */
export function parseSacct(stdout: string): Map<string, AccountingEntry> {
  const out = new Map<string, AccountingEntry>();
  for (const line of stdout.split('\n')) {
    const [id, state, exitCode] = line.split('|').map((f) => f.trim());
    if (!id || !state || id.includes('.')) continue;
    out.set(id, { id, state: state.split(/\s/)[0]!.toUpperCase(), exitCode: exitCode ?? '' });
  }
  return out;
}

/** `0,1,2,5,7,8` → `0-2,5,7-8` (sbatch --array syntax). */
export function arrayRanges(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

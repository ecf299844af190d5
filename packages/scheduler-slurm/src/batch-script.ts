/**
 * What is handed to sbatch for a child: its batch script, its job name and
 * the sbatch arguments. The script `exec`s the child's command, so the batch
 * shell *is* the Gator child and Slurm's signals reach it. The run's secret is
 * never written here: it travels in sbatch's own environment (`--export=ALL`).
 */
import path from 'node:path';
import type { LaunchRequest } from '@gator/protocol';
import type { SlurmOptions } from './options.js';
import { shellCommand, shellWord as shellQuote } from '@gator/protocol';

/** Name of the per-child batch script in the child's tracking directory. */
export const CHILD_SCRIPT = 'slurm.sh';
/** Name of an array's dispatch script, in the tracking directory of its first child. */
export const ARRAY_SCRIPT = 'slurm-array.sh';

/** Dotted Gator path of a request (`nightly.tests.seed_3`). */
export function labelOf(request: Pick<LaunchRequest, 'id' | 'path'>): string {
  return request.path && request.path.length > 0 ? request.path.join('.') : request.id;
}

/** Slurm job name: `gator:` and the Gator path, readable in squeue. */
export function jobName(label: string): string {
  return `gator:${label.replace(/[\s,]+/g, '_')}`;
}

/** The child's own batch script: change to its directory, then become its command. */
export function childScript(request: LaunchRequest): string {
  return [
    '#!/bin/sh',
    `# Gator child ${labelOf(request).replace(/\n/g, ' ')}, submitted by @gator/scheduler-slurm.`,
    '# The run secret (GATOR_TOKEN) is not in this file: it reaches the job through',
    "# sbatch's environment (--export=ALL).",
    // sbatch's --chdir falls back to /tmp when the directory is missing; fail instead.
    `cd ${shellQuote(request.cwd)} || exit 127`,
    `exec ${shellCommand(request.command)}`,
    '',
  ].join('\n');
}

export interface ArrayTask {
  taskId: number;
  tracking: string;
}

/**
 * The dispatch script of a job array: task N sends its output to its child's
 * tracking directory (`slurm-<array job>_<task>.out`) and runs that child's
 * own batch script.
 */
export function arrayScript(label: string, tasks: readonly ArrayTask[]): string {
  return [
    '#!/bin/sh',
    `# Gator array ${label.replace(/\n/g, ' ')}: ${tasks.length} children, submitted by @gator/scheduler-slurm.`,
    '# Task N runs the slurm.sh of its child; the run secret is not in these files.',
    'case "$SLURM_ARRAY_TASK_ID" in',
    ...tasks.map((t) => `  ${t.taskId}) dir=${shellQuote(t.tracking)} ;;`),
    '  *) echo "gator: no child for array task $SLURM_ARRAY_TASK_ID" >&2; exit 127 ;;',
    'esac',
    'exec >"$dir/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out" 2>&1 || exit 127',
    `exec /bin/sh "$dir/${CHILD_SCRIPT}"`,
    '',
  ].join('\n');
}

export interface SubmitShape {
  kind: LaunchRequest['kind'];
  resources: LaunchRequest['resources'];
}

/** CPUs, memory and licenses sbatch asks for. Tiers get 1 CPU and `tier_mem` MB. */
export function resourceArgs(shape: SubmitShape, options: Pick<SlurmOptions, 'tierMemMb'>): string[] {
  if (shape.kind === 'tier') return ['--cpus-per-task=1', `--mem=${options.tierMemMb}M`];
  const r = shape.resources;
  const args = [`--cpus-per-task=${Math.max(1, Math.ceil(r.cores))}`];
  // Slurm's M is MiB: asking ceil(MB) of them gives the job at least what the spec asked for.
  if (r.memoryMb > 0) args.push(`--mem=${Math.ceil(r.memoryMb)}M`);
  const licenses = Object.entries(r.licenses);
  if (licenses.length > 0) args.push(`--licenses=${licenses.map(([name, n]) => `${name}:${n}`).join(',')}`);
  return args;
}

/** The options every submission carries, before the script path. */
export function commonArgs(options: SlurmOptions): string[] {
  const args = ['--parsable', '--export=ALL', '--no-requeue'];
  if (options.partition) args.push(`--partition=${options.partition}`);
  if (options.account) args.push(`--account=${options.account}`);
  if (options.qos) args.push(`--qos=${options.qos}`);
  if (options.time) args.push(`--time=${options.time}`);
  return args;
}

/** sbatch arguments of one child. */
export function singleSubmitArgs(request: LaunchRequest, options: SlurmOptions): string[] {
  return [
    ...commonArgs(options),
    `--job-name=${jobName(labelOf(request))}`,
    ...resourceArgs(request, options),
    `--chdir=${request.cwd}`,
    `--output=${path.join(request.tracking, 'slurm-%j.out')}`,
    ...options.sbatchArgs,
    path.join(request.tracking, CHILD_SCRIPT),
  ];
}

/** sbatch arguments of an array whose tasks are `taskIds`, with the shape of `first`. */
export function arraySubmitArgs(first: LaunchRequest, label: string, taskIds: string, options: SlurmOptions): string[] {
  return [
    ...commonArgs(options),
    `--array=${taskIds}`,
    `--job-name=${jobName(label)}`,
    ...resourceArgs(first, options),
    `--chdir=${first.cwd}`,
    // Each task sends its output to its own child's directory (see arrayScript).
    '--output=/dev/null',
    ...options.sbatchArgs,
    path.join(first.tracking, ARRAY_SCRIPT),
  ];
}

/**
 * sbatch's environment: ours plus the request's (the run secret travels here).
 * The SLURM_* variables of an enclosing job would leak into the new job's
 * settings, so they are dropped (SLURM_CONF, which locates the cluster, stays).
 */
export function submitEnv(requestEnv: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (key.startsWith('SLURM_') && key !== 'SLURM_CONF') continue;
    env[key] = value;
  }
  return { ...env, ...requestEnv };
}

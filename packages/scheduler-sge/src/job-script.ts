/**
 * What is handed to qsub for a child: its job script, its environment file,
 * its job name and the qsub arguments.
 *
 * - The environment goes in a file (`sge-env.sh`, mode 0600 in the child's
 *   0700 tracking directory) that the script sources and deletes at once: not
 *   `qsub -V`/`-v`, because `qstat -j` shows a job's whole environment
 *   (`env_list`) to every user of the cluster, and the run secret travels in
 *   it.
 * - The script runs the child in its own process group and stays its parent:
 *   Grid Engine's `-notify` signal (SIGUSR2, sent to the job's whole process
 *   group before the SIGKILL of a qdel) would kill a Node child at once, so
 *   the script turns it into SIGTERM for the child's group, then SIGKILL after
 *   the grace period. A watchdog in a third group kills the child's group if
 *   the script itself is killed (a qdel without -notify, an h_rt limit).
 */
import path from 'node:path';
import { LAYER_FILES, type LaunchRequest } from '@gator/protocol';
import type { ClusterInfo } from './cluster.js';
import type { SgeOptions } from './options.js';
import { shellCommand, shellWord as shellQuote } from '@gator/protocol';

/** Name of the per-child job script in the child's tracking directory. */
export const CHILD_SCRIPT = 'sge.sh';
/** Name of an array's dispatch script, in the tracking directory of its first child. */
export const ARRAY_SCRIPT = 'sge-array.sh';
/** Name of the child's environment file (deleted by the job as soon as it has read it). */
export const ENV_FILE = 'sge-env.sh';
/**
 * The job's output (stdout and stderr of the script, before the child's own
 * logs take over), in the child's tracking directory. The scheduler creates it
 * with mode 0600 before submitting: Grid Engine appends to it and keeps the mode.
 */
export const OUTPUT_FILE = LAYER_FILES.scheduler;

/** Dotted Gator path of a request (`nightly.tests.seed_3`). */
export function labelOf(request: Pick<LaunchRequest, 'id' | 'path'>): string {
  return request.path && request.path.length > 0 ? request.path.join('.') : request.id;
}

/**
 * Grid Engine job name: `gator.` and the Gator path. Names may not hold
 * whitespace (qsub then fails with a misleading "Error reading answer list"),
 * `/ : @ \ * ?`, nor start with a digit; anything but letters, digits, `_ . -`
 * becomes `_`.
 */
export function jobName(label: string): string {
  return `gator.${label.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/**
 * Variables Grid Engine sets for each job (its id, slots, host file, TMPDIR,
 * the job user's HOME…): the job keeps Grid Engine's values, not the
 * submitter's. Shell-internal ones are not copied either.
 */
const PER_JOB = new Set([
  'ARC', 'ENVIRONMENT', 'HOME', 'HOSTNAME', 'JOB_ID', 'JOB_NAME', 'JOB_SCRIPT', 'LOGNAME', 'NHOSTS', 'NQUEUES', 'NSLOTS',
  'PE', 'PE_HOSTFILE', 'QUEUE', 'REQUEST', 'RESTARTED', 'SHELL', 'TMP', 'TMPDIR', 'USER',
  'PWD', 'OLDPWD', 'SHLVL', '_', 'EUID', 'UID', 'PPID', 'GROUPS', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'PS1', 'PS2', 'PS4', 'OPTIND',
]);
/** SGE_* variables that locate the cluster (kept); the others describe one job. */
const CLUSTER_VARS = new Set(['SGE_ROOT', 'SGE_CELL', 'SGE_QMASTER_PORT', 'SGE_EXECD_PORT', 'SGE_CLUSTER_NAME']);

/** The child's environment: ours plus the request's, minus what Grid Engine sets per job. */
export function jobEnvironment(requestEnv: Record<string, string>, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...base, ...requestEnv })) {
    if (value === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue; // e.g. exported bash functions: not settable by a shell
    if (PER_JOB.has(key) || key.startsWith('BASH')) continue;
    if (key.startsWith('SGE_') && !CLUSTER_VARS.has(key)) continue;
    env[key] = value;
  }
  return env;
}

/** The environment file: one `export NAME='value'` per variable. */
export function envFile(env: Record<string, string>): string {
  const lines = ['# Written by @gator/scheduler-sge; the job reads it, then deletes it.'];
  for (const [key, value] of Object.entries(env)) lines.push(`export ${key}=${shellQuote(value)}`);
  return `${lines.join('\n')}\n`;
}

/** The child's own job script (bash: it needs job control for the child's process group). */
export function childScript(request: LaunchRequest, graceMs: number): string {
  const grace = Math.max(0, graceMs / 1000);
  return [
    '#!/bin/bash',
    `# Gator child ${labelOf(request).replace(/\n/g, ' ')}, submitted by @gator/scheduler-sge.`,
    `# Its environment is in ${ENV_FILE} (mode 0600, deleted once read): not on qsub's command`,
    "# line nor -V, since `qstat -j` shows a job's environment to every user.",
    `env_file=${shellQuote(path.join(request.tracking, ENV_FILE))}`,
    'if ! . "$env_file"; then echo "gator: cannot read $env_file" >&2; exit 127; fi',
    'rm -f "$env_file"',
    `cd ${shellQuote(request.cwd)} || exit 127`,
    "# SIGUSR2 (qdel's -notify signal, sent to the job's whole process group) and SIGTERM become",
    "# SIGTERM for the child's group, then SIGKILL after the grace period. Set before the child",
    '# starts, so that an early signal is not lost.',
    'child=',
    'stopping=',
    `stop() { stopping=1; [ -n "$child" ] || return 0; kill -TERM -- -"$child" 2>/dev/null; ( sleep ${grace}; kill -KILL -- -"$child" 2>/dev/null ) </dev/null >/dev/null 2>&1 & }`,
    'trap stop USR2 TERM',
    '# The child gets its own process group: the -notify signal would kill a Node child outright.',
    'set -m',
    `${shellCommand(request.command)} &`,
    'child=$!',
    "# If this shell is killed (qdel without -notify, a limit), this ends the child's group too.",
    '( while kill -0 $$ 2>/dev/null; do sleep 1; done; kill -KILL -- -"$child" 2>/dev/null ) </dev/null >/dev/null 2>&1 &',
    'watchdog=$!',
    'set +m',
    '[ -z "$stopping" ] || stop',
    'while :; do',
    '  wait "$child"; rc=$?',
    '  # A trap interrupted the wait (rc 128 + its signal): the child may still run.',
    '  kill -0 "$child" 2>/dev/null || break',
    'done',
    "# ...or it ended while the trap ran: then this wait gives its status (127 once it was given).",
    'wait "$child" 2>/dev/null; last=$?',
    '[ "$last" = 127 ] || rc=$last',
    'kill -- -"$watchdog" 2>/dev/null',
    '# A child killed by a signal: die of the same signal, so that accounting records it.',
    'if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then trap - USR2 TERM; kill -s "$(kill -l "$rc")" $$; fi',
    'exit "$rc"',
    '',
  ].join('\n');
}

export interface ArrayTask {
  taskId: number;
  tracking: string;
}

/**
 * The dispatch script of an array job: task N sends its output to its child's
 * tracking directory (`scheduler.log`) and runs that child's own script.
 */
export function arrayScript(label: string, tasks: readonly ArrayTask[]): string {
  return [
    '#!/bin/bash',
    `# Gator array ${label.replace(/\n/g, ' ')}: ${tasks.length} children, submitted by @gator/scheduler-sge.`,
    `# Task N runs the ${CHILD_SCRIPT} of its child; the run secret is not in these files.`,
    'case "$SGE_TASK_ID" in',
    ...tasks.map((t) => `  ${t.taskId}) dir=${shellQuote(t.tracking)} ;;`),
    '  *) echo "gator: no child for array task $SGE_TASK_ID" >&2; exit 127 ;;',
    'esac',
    `exec >>"$dir/${OUTPUT_FILE}" 2>&1 || exit 127`,
    `exec /bin/bash "$dir/${CHILD_SCRIPT}"`,
    '',
  ].join('\n');
}

export interface SubmitShape {
  kind: LaunchRequest['kind'];
  resources: LaunchRequest['resources'];
}

/** Slots a job takes: max(1, ceil(cores)); tiers take one. */
export function slotsOf(shape: SubmitShape): number {
  return shape.kind === 'tier' ? 1 : Math.max(1, Math.ceil(shape.resources.cores));
}

/**
 * `-pe` and `-l` of a job. Memory and per-slot consumables are booked per slot
 * by Grid Engine, so a job on N slots asks for 1/N of its total (rounded up).
 * The memory complex also limits the job's wrapper, a Node process: `wrapper_mem`
 * MB are added to what the spec asks for.
 */
export function resourceArgs(shape: SubmitShape, options: Pick<SgeOptions, 'pe' | 'memResource' | 'wrapperMemMb' | 'time'>, cluster: Pick<ClusterInfo, 'licenses'>): string[] {
  const args: string[] = [];
  const requests: string[] = [];
  if (shape.kind === 'job') {
    // Not for tiers: a tier runs as long as all of its children together.
    if (options.time) requests.push(`h_rt=${options.time}`);
    const slots = slotsOf(shape);
    if (slots > 1) args.push('-pe', options.pe, String(slots));
    const r = shape.resources;
    if (r.memoryMb > 0) requests.push(`${options.memResource}=${Math.ceil((r.memoryMb + options.wrapperMemMb) / slots)}m`);
    for (const [name, seats] of Object.entries(r.licenses)) {
      const complex = cluster.licenses.get(name);
      requests.push(`${complex?.name ?? name}=${complex?.perSlot ? Math.ceil(seats / slots) : seats}`);
    }
  }
  if (requests.length > 0) args.push('-l', requests.join(','));
  return args;
}

/** The options every submission carries. */
export function commonArgs(options: SgeOptions): string[] {
  // -r n: a Gator child must run at most once. -S /usr/bin/env: the script's own #! line
  // (bash) runs it. The queue's shell would ignore that line, and a shell named in the
  // cluster's login_shells would run the user's profile first: /etc/profile resets PATH, and a
  // slow profile (a pyenv rehash waiting 60 s for its lock, here) delays every job.
  const args = ['-terse', '-r', 'n', '-S', '/usr/bin/env'];
  if (options.notify) args.push('-notify');
  if (options.verify) args.push('-w', 'e');
  if (options.queue) args.push('-q', options.queue);
  if (options.project) args.push('-P', options.project);
  return args;
}

/** qsub arguments of one child. */
export function singleSubmitArgs(request: LaunchRequest, options: SgeOptions, cluster: Pick<ClusterInfo, 'licenses'>): string[] {
  return [
    ...commonArgs(options),
    '-N', jobName(labelOf(request)),
    ...resourceArgs(request, options, cluster),
    '-wd', request.cwd,
    '-o', path.join(request.tracking, OUTPUT_FILE),
    '-j', 'y',
    ...options.qsubArgs,
    path.join(request.tracking, CHILD_SCRIPT),
  ];
}

/** qsub arguments of an array of `tasks` children, with the shape of `first`. */
export function arraySubmitArgs(first: LaunchRequest, label: string, tasks: number, options: SgeOptions, cluster: Pick<ClusterInfo, 'licenses'>): string[] {
  return [
    ...commonArgs(options),
    '-t', `1-${tasks}`,
    '-N', jobName(label),
    ...resourceArgs(first, options, cluster),
    '-wd', first.cwd,
    // Each task sends its output to its own child's directory (see arrayScript).
    '-o', '/dev/null',
    '-j', 'y',
    ...options.qsubArgs,
    path.join(first.tracking, ARRAY_SCRIPT),
  ];
}

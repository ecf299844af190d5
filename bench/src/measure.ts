/**
 * Measuring tools shared by the cases: running the built `gator` CLI, spawning
 * baseline processes at a given concurrency, reading a process's memory from
 * /proc, and temporary directories that are always removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { layerFile } from '@gator/protocol';

export class BenchError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'BenchError';
  }
}

/** A case that cannot run here (a missing optional measure): reported as skipped, not failed. */
export class BenchSkip extends BenchError {
  constructor(message: string) {
    super(message);
    this.name = 'BenchSkip';
  }
}

let cliOverride: string | undefined;

/** Measure another build of the CLI (`--cli PATH/cli.js`), e.g. to compare two versions. */
export function useCli(file: string | undefined): void {
  cliOverride = file === undefined ? undefined : path.resolve(file);
}

/** `apps/cli/dist/cli.js` of this checkout (the bench depends on @gator/cli, so it is built first). */
export function cliPath(): string {
  const cli = cliOverride ?? path.join(path.dirname(fileURLToPath(import.meta.resolve('@gator/cli'))), 'cli.js');
  if (!fs.existsSync(cli)) throw new BenchError(`The gator CLI is not built (${cli} is missing).`, 'Run `pnpm build` first.');
  return cli;
}

/**
 * Whether the CLI wires the local scheduler's in-process wrappers itself (then
 * `--sched-arg wrappers=inprocess` is enough); found by its runner in the build.
 */
export function cliHostsWrappers(): boolean {
  const dir = path.dirname(cliPath());
  return fs.readdirSync(dir).some((f) => f.endsWith('.js') && fs.readFileSync(path.join(dir, f), 'utf8').includes('function inProcessRunner('));
}

export function nowMs(): number {
  return performance.now();
}

/** A temporary directory, removed by `cleanup()` (and at exit if still there). */
export class Scratch {
  readonly dir: string;
  constructor(prefix: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `gator-bench-${prefix}-`));
    scratches.add(this);
  }
  file(name: string, text: string): string {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }
  cleanup(): void {
    scratches.delete(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
const scratches = new Set<Scratch>();
process.on('exit', () => {
  for (const s of scratches) fs.rmSync(s.dir, { recursive: true, force: true });
});

/** Every process the bench started and has not seen end: killed (by pid) if the bench is interrupted. */
const running = new Set<ChildProcess>();
export function killStarted(): void {
  for (const child of running) {
    try {
      // Our children lead their own group (detached): reach what they started too.
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Called once the process is spawned, with its pid. */
  onStart?: (pid: number) => void;
  /** Called with each line of standard output as it arrives. */
  onLine?: (line: string) => void;
  /** Kill (SIGKILL, whole group) after this long, ms. */
  timeoutMs?: number;
  /** Node options before the script (runGator only). */
  nodeArgs?: string[];
}

const KEEP_OUTPUT = 64 * 1024;

/** Run a command to its end; wall time from spawn to exit. Output is kept (the last 64 KiB of each stream). */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout = (stdout + text).slice(-KEEP_OUTPUT);
      if (options.onLine) {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) options.onLine(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-KEEP_OUTPUT);
    });
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              /* gone */
            }
          }, options.timeoutMs)
        : undefined;
    child.once('error', (error) => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      reject(new BenchError(`Could not start ${command}: ${error.message}`));
    });
    if (child.pid !== undefined) options.onStart?.(child.pid);
    child.once('close', (code, signal) => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      resolve({ code, signal, wallMs: nowMs() - t0, stdout, stderr });
    });
  });
}

const CLOCK_TICKS_PER_S = 100;

/**
 * CPU time (user + system, ms) of every process this bench has waited for so far,
 * with everything they waited for in turn (Linux /proc/self/stat cutime + cstime,
 * 10 ms ticks): a `gator run` counts its root, tiers, wrappers and jobs. NaN
 * without /proc.
 */
export function childrenCpuMs(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After `pid (comm)`: state is field 3, cutime 16, cstime 17 (proc(5)), so indexes 13 and 14 here.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

/** `fn()`, with the wall time and the CPU time of the processes it started and waited for. */
export async function withCpu<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu0 = childrenCpuMs();
  const t0 = nowMs();
  const value = await fn();
  return { value, wallMs: nowMs() - t0, cpuMs: childrenCpuMs() - cpu0 };
}

/** Run `count` copies of a command, at most `concurrency` at a time; wall time of the whole. */
export async function runMany(command: string, args: string[], count: number, concurrency: number, options: RunOptions = {}): Promise<number> {
  const t0 = nowMs();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      const done = await run(command, args, options);
      if (done.code !== 0) throw new BenchError(`${command} ${args.join(' ')} exited with ${done.code ?? done.signal}`, done.stderr);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return nowMs() - t0;
}

export interface GatorRun extends Finished {
  tracking: string;
}

/** `gator run SPEC --tracking DIR [args]` with the built CLI; fails unless every job passed. */
export async function runGator(spec: string, tracking: string, args: string[], options: RunOptions = {}): Promise<GatorRun> {
  const done = await run(process.execPath, [...(options.nodeArgs ?? []), cliPath(), 'run', spec, '--tracking', tracking, ...args], options);
  if (done.code !== 0) {
    throw new BenchError(
      `gator run ${path.basename(spec)} ${args.join(' ')} ended with ${done.code ?? done.signal}`,
      `${done.stdout.slice(-4000)}\n${done.stderr.slice(-4000)}`,
    );
  }
  return { ...done, tracking };
}

export interface Memory {
  /** Resident set, bytes. */
  rss: number;
  /** Peak resident set, bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a live process, or undefined when it is gone (Linux /proc). */
export function memoryOf(pid: number): Memory | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  const rss = kb('VmRSS');
  if (!Number.isFinite(rss)) return undefined;
  return { rss, hwm: kb('VmHWM') };
}

export const hasProc = fs.existsSync('/proc/self/status');

/**
 * What of a live process's RSS is its own: anonymous pages (heap, stacks) and PSS
 * (shared pages, such as Node's own binary, divided among the processes mapping
 * them), bytes; undefined when it is gone.
 */
export function ownMemoryOf(pid: number): { anon: number; pss: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const kb = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
    return { anon: kb(status, 'RssAnon'), pss: kb(rollup, 'Pss') };
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` (Linux /proc), with their command lines. */
export function childrenOf(pid: number): { pid: number; cmdline: string[] }[] {
  let names: string[];
  try {
    names = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
  const out: { pid: number; cmdline: string[] }[] = [];
  for (const name of names) {
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').filter(Boolean);
      out.push({ pid: Number(name), cmdline });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wait until `test()` returns a value (polling every `everyMs`), or throw after `timeoutMs`. */
export async function waitFor<T>(what: string, test: () => T | undefined, timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const value = test();
    if (value !== undefined) return value;
    if (nowMs() > deadline) throw new BenchError(`Timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** 1-minute load average and core count, to judge how noisy a run was. */
export function machineLoad(): { load1: number; cores: number } {
  return { load1: Math.round(os.loadavg()[0]! * 100) / 100, cores: os.availableParallelism() };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The database of the layer `ident` in a finished run (its tracking directory is named after it). */
export function jobDatabase(tracking: string, ident: string): string {
  const stack = [tracking];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const file = layerFile(dir, 'db');
    if (path.basename(dir) === ident && fs.existsSync(file) && dir !== tracking) return file;
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isDirectory()) stack.push(path.join(dir, e.name));
  }
  throw new BenchError(`No database of '${ident}' under ${tracking}`);
}

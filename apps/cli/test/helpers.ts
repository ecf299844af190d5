/**
 * End-to-end helpers: run the BUILT `gator` (apps/cli/dist/cli.js) as a real
 * process, in a temp directory, and make sure every process it started is gone
 * afterwards (ended by pid, never by name).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

// GATOR_CLI_UNDER_TEST points the tests at another build (e.g. to show a test fails on an older one).
export const CLI = process.env.GATOR_CLI_UNDER_TEST || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface GatorRun {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  done: Promise<GatorRun>;
}

const started = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export function tempDir(prefix = 'gator-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function writeSpec(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Start `gator ARGS` in `cwd`; `done` resolves when it exits. */
export function startGator(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): GatorRun {
  return startProcess(process.execPath, [CLI, ...args], options);
}

/** Start any program (e.g. Python Gator) like `startGator`: tracked, and killed by pid after the test if still running. */
export function startProcess(file: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): GatorRun {
  // A token of the test process's own never leaks in; one given in `options.env` is kept.
  const env = { ...process.env } as Record<string, string>;
  delete env.GATOR_TOKEN;
  Object.assign(env, options.env);
  for (const [k, v] of Object.entries(options.env ?? {})) if (v === undefined) delete env[k];
  const child = spawn(file, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  const run: GatorRun = { child, stdout: '', stderr: '', code: null, signal: null, done: undefined as never };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (run.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (run.stderr += d));
  run.done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      run.code = code;
      run.signal = signal;
      started.delete(child);
      resolve(run);
    });
  });
  return run;
}

export async function gator(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<GatorRun> {
  return startGator(args, options).done;
}

/** `gator hub` on a free port with its database in `dir`, once it listens: its `url` (no trailing /) and `address` (`host:port`, for `--hub`). */
export async function startHub(dir: string): Promise<{ hub: GatorRun; url: string; address: string }> {
  const hub = startGator(['hub', '--port', '0', '--database', path.join(dir, 'hub.sqlite')], { cwd: dir });
  let url = '';
  await waitFor(() => (url = /listening on (http:\/\/\S+)/.exec(hub.stdout)?.[1]?.replace(/\/$/, '') ?? '') !== '', 30_000, 'the hub to listen');
  return { hub, url, address: url.replace(/^http:\/\//, '') };
}

/** Wait until `predicate` is true (polling), or fail after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every descendant pid of `pid` (from /proc), for leak checks. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

afterEach(async () => {
  for (const child of started) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  started.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
});

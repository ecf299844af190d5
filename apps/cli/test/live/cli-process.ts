/**
 * The built CLI as a real process for the live-view and inspect end-to-end
 * tests (GATOR_CLI_UNDER_TEST points them at another build). Every process is
 * ended by its pid after each test; temp dirs are removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { descendants, isAlive } from '../helpers.js';

export const CLI_JS = process.env.GATOR_CLI_UNDER_TEST || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function scratchDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-live-'));
  dirs.add(dir);
  return dir;
}

/** The environment of a plain (non-terminal, colourless) run, as a pipe in CI would see it. */
export function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['GATOR_TOKEN', 'FORCE_COLOR', 'NO_COLOR']) delete env[name];
  return env;
}

/** Runs `node cli.js ARGS` with output piped; resolves when it exits. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = plainEnv()): Promise<Finished> {
  const child = spawn(process.execPath, [CLI_JS, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** SIGKILL `pids` (by pid) and wait until they are gone; resolves with those that would not die. */
export async function endProcesses(pids: number[]): Promise<number[]> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(isAlive);
}

afterEach(async () => {
  const left: number[] = [];
  for (const child of children) if (child.pid && child.exitCode === null) left.push(child.pid, ...descendants(child.pid));
  await endProcesses(left);
  children.clear();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs.clear();
});

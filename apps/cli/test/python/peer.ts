/**
 * The real Python Gator as a test peer (`../shared/python-gator`, installed by
 * scripts/test-setup.d/python-gator.sh). Found the way its env.sh finds it: the
 * package beside the repository, the venv at $PYTHON_GATOR_VENV or
 * /tmp/python-gator-venv. When it is absent, every test that needs it is
 * skipped with the reason, which the test summary prints.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach } from 'vitest';
import { CLI, REPO, startProcess, type GatorRun } from '../helpers.js';

const run = promisify(execFile);

export const PEER_DIR = path.resolve(REPO, '../shared/python-gator');
export const VENV = process.env.PYTHON_GATOR_VENV || '/tmp/python-gator-venv';
export const PYTHON = path.join(VENV, 'bin', 'python3');

function probe(): string | undefined {
  if (!fs.existsSync(path.join(PEER_DIR, 'gator', '__init__.py'))) return `Python Gator not found at ${PEER_DIR}`;
  if (!fs.existsSync(PYTHON)) return `Python Gator's venv not found at ${VENV} (run ${path.join(PEER_DIR, 'setup.sh')})`;
  const check = spawnSync(PYTHON, ['-c', 'import gator.launch, gator.common.db_client, websockets'], {
    env: { ...process.env, PYTHONPATH: PEER_DIR },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (check.status !== 0) return `Python Gator does not import in ${VENV}: ${(check.stderr || check.error?.message || '').trim().split('\n').pop()}`;
  return undefined;
}

/** Why the peer cannot be used, or undefined when it can. */
export const PEER_MISSING = probe();

/** Skip every test of the calling file (or describe block) when the peer is absent, with the reason. */
export function needsPythonPeer(): void {
  beforeEach((ctx) => {
    if (!PEER_MISSING) return;
    // Read by scripts/test-summary.mjs, which lists the reasons tests were skipped.
    (ctx.task.meta as Record<string, unknown>).skipReason = PEER_MISSING;
    ctx.skip(PEER_MISSING);
  });
}

/** The environment Python Gator runs in (its env.sh), with `shims` first on PATH. */
export function pythonEnv(...shims: string[]): Record<string, string> {
  return {
    PATH: [...shims, path.join(VENV, 'bin'), process.env.PATH ?? ''].join(':'),
    PYTHONPATH: PEER_DIR,
  };
}

/**
 * A `python3` that runs Gator's CLI for `-m gator ARGS` and the real one
 * otherwise. Python's scheduler starts every child as `python3 -m gator …`
 * through /bin/sh, so with this first on PATH a Python tier's children are Gator.
 */
export function gatorAsPython3(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'python3');
  fs.writeFileSync(
    file,
    `#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "gator" ]; then
  shift 2
  exec '${process.execPath}' '${CLI}' "$@"
fi
exec '${PYTHON}' "$@"
`,
    { mode: 0o755 },
  );
  return dir;
}

/** Start `python3 -m gator ARGS` (the real Python Gator), with `shims` first on PATH. */
export function startPythonGator(args: string[], options: { cwd: string; shims?: string[]; env?: Record<string, string | undefined> }): GatorRun {
  return startProcess(PYTHON, ['-m', 'gator', ...args], { cwd: options.cwd, env: { ...pythonEnv(...(options.shims ?? [])), ...options.env } });
}

/** Run a Python snippet in the peer's environment (async: a tier may be running in this process); its stdout parsed as JSON. */
export async function python<T = unknown>(code: string, options: { cwd?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<T> {
  const { stdout } = await run(PYTHON, ['-c', code, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ...pythonEnv(), ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  }).catch((error: { code?: number; stderr?: string; message: string }) => {
    throw new Error(`python failed (${error.code ?? '?'}): ${error.stderr ?? error.message}`);
  });
  return JSON.parse(stdout) as T;
}

/** A variable to mark the processes of one test case (inherited by every layer and job it starts). */
export const CASE_MARKER = 'GATOR_TEST_CASE';

/** Live pids (other than this one) whose environment carries `GATOR_TEST_CASE=value`. */
export function caseProcesses(value: string): number[] {
  const entry = `${CASE_MARKER}=${value}`;
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) continue;
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') out.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

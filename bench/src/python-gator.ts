/**
 * The original Python Gator as a second baseline of the tree cases, when it is
 * set up beside the repository (`../shared/python-gator/setup.sh`: a venv in
 * /tmp). Not set up: the cases report its rows as skipped, never fail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError, run, withCpu } from './measure.js';

export interface PythonGator {
  dir: string;
  python: string;
}

/** Where Python Gator is (`PYTHON_GATOR_DIR`, else ../shared/python-gator from the repository), if set up. */
export function findPythonGator(): PythonGator | undefined {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const dir = process.env.PYTHON_GATOR_DIR ?? path.resolve(repo, '../shared/python-gator');
  const venv = process.env.PYTHON_GATOR_VENV ?? '/tmp/python-gator-venv';
  const python = path.join(venv, 'bin/python3'); // the venv's interpreter
  if (!fs.existsSync(path.join(dir, 'gator', '__main__.py')) || !fs.existsSync(python)) return undefined;
  return { dir, python };
}

/** `python3 -m gator --tracking DIR --sched-arg concurrency=N SPEC`; wall and CPU of the whole tree. */
export async function runPythonGator(py: PythonGator, spec: string, tracking: string, concurrency: number): Promise<{ wallMs: number; cpuMs: number }> {
  // As its env.sh: the venv's python3 first on PATH (children are started as `python3 -m gator`).
  const env = { PATH: `${path.dirname(py.python)}:${process.env.PATH ?? ''}`, PYTHONPATH: py.dir };
  const { value: done, wallMs, cpuMs } = await withCpu(() =>
    run(py.python, ['-m', 'gator', '--quiet', '--tracking', tracking, '--sched-arg', `concurrency=${concurrency}`, spec], { env, timeoutMs: 3_600_000 }),
  );
  if (done.code !== 0) throw new BenchError(`Python Gator on ${path.basename(spec)} ended with ${done.code ?? done.signal}`, `${done.stdout.slice(-3000)}\n${done.stderr.slice(-3000)}`);
  return { wallMs, cpuMs };
}

/**
 * `gator repro [RUN] JOB_PATH`: the exact command, arguments, environment,
 * working directory and seed a job ran with, from what its wrapper stored
 * (`argv`, `env`, `cwd`, `seed`; Python runs only have `cmd` and `cwd`, and the
 * env then comes from the layer's spec.yaml). `--exec` runs it again.
 */
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { closeRun, openLayerReader, walkRun } from '@gator/db';
import { ENV, GatorError, JOB_RESULT_NAMES, layerFile, loadSpec } from '@gator/protocol';
import { findRunNode } from './run-nodes.js';
import { terminalSafe } from '../render/terminal-text.js';

export interface ReproRecipe {
  path: string[];
  /** The command and its arguments, as run (variables expanded). */
  argv: string[] | null;
  /** Shell-quoted command line (Python Gator's `cmd`); run with `sh -c` when argv is unknown. */
  cmd: string | null;
  cwd: string;
  /** The job's own environment (its spec's `env`, incl. GATOR_SEED/GATOR_ARRAY_INDEX), overlaid on the caller's. */
  env: Record<string, string>;
  seed: string | null;
  /** Where it was recorded. */
  dbFile: string;
  result: string | null;
  exit: number | null;
}

function parseJson<T>(text: string | undefined, check: (v: unknown) => v is T): T | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return check(v) ? v : null;
  } catch {
    return null;
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isEnv = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function specEnv(dir: string): Record<string, string> {
  try {
    const specFile = layerFile(dir, 'spec');
    const spec = loadSpec(fs.readFileSync(specFile, 'utf8'), specFile);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.env ?? {})) if (v !== null && v !== undefined) out[k] = String(v);
    return out;
  } catch {
    return {};
  }
}

export function readRecipe(run: string, jobPath: string): ReproRecipe {
  const root = walkRun(run);
  try {
    const node = findRunNode(root, jobPath);
    if (node.kind !== 'wrapper' && node.exists) {
      throw new GatorError('GATOR_USAGE', `'${node.path.join('.')}' is a group or array, not a job: it has no command to reproduce.`, {
        hint: `Pick one of its jobs: ${node.children.slice(0, 5).map((c) => c.path.join('.')).join(', ')}`,
      });
    }
    if (!node.exists) {
      throw new GatorError('GATOR_JOB_NOT_FOUND', `Job '${node.path.join('.')}' never started, so nothing was recorded to reproduce.`, {
        hint: 'gator show tells why it did not run.',
      });
    }
    const reader = openLayerReader(node.dbFile);
    try {
      const a = reader.attributes();
      const argv = parseJson(a.argv, isStringArray);
      const stored = parseJson(a.env, isEnv);
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(stored ?? specEnv(node.dir))) if (v !== null && v !== undefined) env[k] = String(v);
      const seed = a.seed ?? env[ENV.SEED] ?? null;
      if (seed !== null && env[ENV.SEED] === undefined) env[ENV.SEED] = seed;
      if (!argv && !a.cmd) {
        throw new GatorError('GATOR_JOB_NOT_FOUND', `Job '${node.path.join('.')}' recorded no command (it may have failed before starting).`, {
          hint: `Its messages: gator logs ${root.dir} ${node.path.join('.')}`,
        });
      }
      const exit = a.exit !== undefined && a.exit !== '' ? Number(a.exit) : null;
      const result = a.result !== undefined ? (JOB_RESULT_NAMES[Number(a.result)] ?? a.result) : null;
      return {
        path: node.path,
        argv,
        cmd: a.cmd ?? null,
        cwd: a.cwd || process.cwd(),
        env,
        seed,
        dbFile: node.dbFile,
        result,
        exit: exit !== null && Number.isFinite(exit) ? exit : null,
      };
    } finally {
      reader.close();
    }
  } finally {
    closeRun(root);
  }
}

/**
 * POSIX shell quoting: bare when safe, else single quotes; a word holding control characters
 * (other than line breaks and tabs) gets bash's `$'…'` with them escaped, so printing it never
 * acts on the terminal.
 */
export function shellQuote(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word;
  // Line breaks and tabs do nothing to a terminal: a multi-line script stays readable in single quotes.
  const lines = word.split('\n');
  if (lines.some((line) => terminalSafe(line.replace(/\t/g, ' ')) !== line.replace(/\t/g, ' '))) {
    return `$'${terminalSafe(word.replace(/\\/g, '\\\\').replace(/'/g, "\\'"))}'`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A pasteable shell snippet. */
export function renderRecipe(r: ReproRecipe): string {
  const lines = [
    `# ${terminalSafe(r.path.join('.'))}${r.result ? `: ${r.result}` : ''}${r.exit !== null ? `, exit ${r.exit}` : ''}${r.seed !== null ? `, seed ${r.seed}` : ''}`,
    `# recorded in ${terminalSafe(r.dbFile)}`,
    `cd ${shellQuote(r.cwd)} && \\`,
  ];
  const envWords = Object.entries(r.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${terminalSafe(k)}=${shellQuote(v)}`);
  const command = r.argv ? r.argv.map(shellQuote).join(' ') : `sh -c ${shellQuote(r.cmd ?? '')}`;
  lines.push(envWords.length > 0 ? `env ${envWords.join(' ')} \\\n  ${command}` : `  ${command}`);
  return `${lines.join('\n')}\n`;
}

/** Runs the recipe with its environment over this one, output to this terminal; resolves with its exit code. */
export function execRecipe(r: ReproRecipe, io: { err: NodeJS.WritableStream }): Promise<number> {
  const [file, ...args] = r.argv ?? ['/bin/sh', '-c', r.cmd ?? ''];
  if (!fs.existsSync(r.cwd)) {
    throw new GatorError('GATOR_USAGE', `The job's working directory ${r.cwd} no longer exists.`, { hint: 'Recreate it, or run the printed command elsewhere.' });
  }
  return new Promise((resolve) => {
    const child = spawn(file!, args, { cwd: r.cwd, env: { ...process.env, ...r.env }, stdio: 'inherit' });
    // The terminal sends Ctrl-C to the whole group; the job decides how to end.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const onInt = () => forward('SIGINT');
    const onTerm = () => forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (code: number) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    child.on('error', (e) => {
      io.err.write(`gator: could not start ${file}: ${e.message}\n`);
      done(127);
    });
    child.on('exit', (code, signal) => {
      if (code !== null) done(code);
      else done(128 + (signal ? (os.constants.signals[signal] ?? 1) : 1));
    });
  });
}

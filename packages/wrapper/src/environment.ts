/**
 * The environment a job process gets: the wrapper's own environment minus
 * Gator's internal variables, overlaid with the spec's `env`, plus what Gator
 * gives every job. (Python Gator replaces the environment entirely when the
 * spec has an `env`, losing PATH and HOME: a bug we do not copy.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ENV, layerFile, parseAddress, shellQuote } from '@gator/protocol';

/** Variables of the wrapper that must never reach a job (secrets and plumbing). */
const INTERNAL = new Set<string>([ENV.TOKEN, 'GATOR_LOCAL_POOL']);
const INTERNAL_PREFIX = 'GATOR_INTERNAL_';

export function isInternalVariable(name: string): boolean {
  return INTERNAL.has(name) || name.startsWith(INTERNAL_PREFIX);
}

export interface JobEnvironmentInput {
  inherited: NodeJS.ProcessEnv;
  specEnv: Record<string, unknown> | null | undefined;
  /** `host:port/TOKEN` of the wrapper's server ('' when it has none). */
  parentAddress: string;
  /** Dotted path of the job (root first, ending with its ident). */
  jobPath: string;
  tracking: string;
  /** A directory put first on the job's PATH (the one holding its `gator` command). */
  binDir?: string | undefined;
}

export function specEnvironment(specEnv: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(specEnv ?? {})) {
    if (value === null || value === undefined) continue;
    out[name] = String(value);
  }
  return out;
}

export function jobEnvironment(input: JobEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.inherited)) {
    if (value !== undefined && !isInternalVariable(name)) env[name] = value;
  }
  Object.assign(env, specEnvironment(input.specEnv));
  env[ENV.PARENT] = input.parentAddress;
  // The same address in parts, for jobs that split it (`host, port = …split(':')` breaks on PORT/TOKEN).
  delete env[ENV.PARENT_HOST];
  delete env[ENV.PARENT_PORT];
  delete env[ENV.PARENT_TOKEN];
  if (input.parentAddress) {
    const { host, port, token } = parseAddress(input.parentAddress);
    env[ENV.PARENT_HOST] = host;
    env[ENV.PARENT_PORT] = String(port);
    if (token) env[ENV.PARENT_TOKEN] = token;
  }
  if (input.binDir) env.PATH = env.PATH ? `${input.binDir}${path.delimiter}${env.PATH}` : input.binDir;
  env.PYTHONUNBUFFERED = '1';
  env[ENV.JOB_PATH] = input.jobPath;
  env[ENV.TRACKING] = input.tracking;
  return env;
}

/**
 * Write a `gator` script that runs `cli` (the argv prefix of the Gator CLI
 * hosting this wrapper, e.g. `[node, cli.js]`) with its arguments, so `gator
 * log` / `gator metric` in the job reach this wrapper whatever the user's PATH
 * holds. It goes in `<tracking>/bin`, unless that path cannot be a PATH entry
 * (the default tracking directories are timestamps with `:`): then in a private
 * per-user directory of the temp dir, one per CLI. Returns the directory, or
 * undefined when it could not be written (the job then runs with its PATH as inherited).
 */
export function writeJobBin(tracking: string, cli: readonly string[]): string | undefined {
  const script = `#!/bin/sh\nexec ${shellQuote(cli)} "$@"\n`;
  try {
    const inTracking = layerFile(tracking, 'jobBin');
    const dir = inTracking.includes(path.delimiter) ? sharedBinDir(script) : inTracking;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'gator');
    if (fs.readFileSync(file, { encoding: 'utf8', flag: 'a+' }) !== script) {
      // Written whole under another name, then renamed: a job never sees half a script.
      const temp = `${file}.${process.pid}`;
      fs.writeFileSync(temp, script, { mode: 0o700 });
      fs.renameSync(temp, file);
    }
    return dir;
  } catch {
    return undefined;
  }
}

/** `<tmp>/gator-<uid>/bin-<hash of the script>`: owned by this user alone (checked), so no one else can plant a `gator`. */
function sharedBinDir(script: string): string {
  const uid = process.getuid?.() ?? 0;
  const base = path.join(os.tmpdir(), `gator-${uid}`);
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(base);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) throw new Error(`${base} is not a private directory of this user`);
  return path.join(base, `bin-${createHash('sha256').update(script).digest('hex').slice(0, 16)}`);
}

/**
 * The environment a job process gets: the wrapper's own environment minus
 * Gator's internal variables, overlaid with the spec's `env`, plus what Gator
 * gives every job. (Python Gator replaces the environment entirely when the
 * spec has an `env`, losing PATH and HOME: a bug we do not copy.)
 */
import { ENV, parseAddress } from '@gator/protocol';

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
  env.PYTHONUNBUFFERED = '1';
  env[ENV.JOB_PATH] = input.jobPath;
  env[ENV.TRACKING] = input.tracking;
  return env;
}

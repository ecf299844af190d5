/**
 * What a Gator layer process (a wrapper or tier the local scheduler starts on this machine)
 * is started without, and gives back to its own environment as its first step, so its jobs
 * and its children see the user's environment unchanged.
 *
 * Node reads `NODE_EXTRA_CA_CERTS` while it starts, before any script runs: a whole CA
 * bundle there (set wherever a proxy re-signs TLS) costs a process ~40 CPU ms and ~2 MiB,
 * more than half of a bare `node -e 0` (bench/README.md, issue 15). No layer process opens
 * a TLS connection (its links are plain `ws://`, IPC or TCP); only a job might.
 */

/** Each variable, by the name it travels under while a layer process starts. */
export const CARRIED_ENV = {
  NODE_EXTRA_CA_CERTS: 'GATOR_CARRIED_NODE_EXTRA_CA_CERTS',
} as const satisfies Record<string, `GATOR_CARRIED_${string}`>;

type Env = Record<string, string | undefined>;

/** ENV as a layer process is started with: each variable moved to its carrier (in place). */
export function carryEnv(env: Env): Env {
  for (const [name, carrier] of Object.entries(CARRIED_ENV)) {
    const value = env[name];
    if (value === undefined) continue;
    env[carrier] = value;
    delete env[name];
  }
  return env;
}

/** ENV as it was before `carryEnv` (in place): what the process and everything it starts then see. */
export function restoreCarriedEnv(env: Env): Env {
  for (const [name, carrier] of Object.entries(CARRIED_ENV)) {
    const value = env[carrier];
    if (value === undefined) continue;
    env[name] = value;
    delete env[carrier];
  }
  return env;
}

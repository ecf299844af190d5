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

/** Each variable of ENV named on the left moved to the name on the right (in place). */
function move(env: Env, moves: readonly (readonly [from: string, to: string])[]): Env {
  for (const [from, to] of moves) {
    const value = env[from];
    if (value === undefined) continue;
    env[to] = value;
    delete env[from];
  }
  return env;
}

const CARRIES = Object.entries(CARRIED_ENV);
const RESTORES = CARRIES.map(([name, carrier]) => [carrier, name] as const);

/** ENV as a layer process is started with: each variable moved to its carrier (in place). */
export function carryEnv(env: Env): Env {
  return move(env, CARRIES);
}

/** ENV as it was before `carryEnv` (in place): what the process and everything it starts then see. */
export function restoreCarriedEnv(env: Env): Env {
  return move(env, RESTORES);
}

/**
 * What a Gator layer process (a wrapper or tier the local scheduler starts on this machine)
 * is started without, or with, and puts right in its own environment as its first step, so
 * its jobs and its children see the user's environment unchanged.
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

/**
 * Each variable a layer process is started with where the user's environment does not set it.
 * `MALLOC_MMAP_THRESHOLD_`: glibc raises its threshold for serving an allocation from the
 * program break instead of a mapping of its own to the size of the largest mapped block freed
 * so far; a layer frees the ~8 MB it reads its startup snapshot into, after which everything up
 * to that size comes from the break, where what is freed between live blocks stays resident.
 * Keeping glibc's initial 128 KiB threshold leaves a wrapper and a tier ~1 MiB smaller
 * (bench case `memory`) at no measurable CPU (bench/README.md, issue 15).
 */
export const STARTED_WITH_ENV = {
  MALLOC_MMAP_THRESHOLD_: '131072',
} as const satisfies Record<string, string>;

/** The names of the STARTED_WITH_ENV variables a process was started with that the user had not set (comma-separated). */
export const STARTED_WITH_MARKER = 'GATOR_STARTED_WITH';

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

/** ENV as a layer process is started with (in place): each variable moved to its carrier, and STARTED_WITH_ENV where unset. */
export function carryEnv(env: Env): Env {
  move(env, CARRIES);
  const added = (env[STARTED_WITH_MARKER] ?? '').split(',').filter(Boolean);
  for (const [name, value] of Object.entries(STARTED_WITH_ENV)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    added.push(name);
  }
  if (added.length > 0) env[STARTED_WITH_MARKER] = added.join(',');
  return env;
}

/** ENV as it was before `carryEnv` (in place): what the process and everything it starts then see. */
export function restoreCarriedEnv(env: Env): Env {
  move(env, RESTORES);
  for (const name of (env[STARTED_WITH_MARKER] ?? '').split(',')) if (name in STARTED_WITH_ENV) delete env[name];
  delete env[STARTED_WITH_MARKER];
  return env;
}

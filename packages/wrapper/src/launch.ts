/**
 * The job launcher: starts the job's command in the compute slot the wrapper
 * was given, in its own process group (so the whole job can be signalled),
 * stdin from /dev/null, stdout and stderr piped to the wrapper. A failure to
 * start is told in words a user can act on, never thrown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { type Containment, resolveCommand } from './containment.js';

export type Launched = { child: ChildProcess } | { error: string };

/** With `containment`, its preamble runs first (watchdog socket as fd 3), then execs the command. */
export function launchJob(command: string, args: string[], env: Record<string, string>, cwd: string, containment?: Containment): Promise<Launched> {
  try {
    if (!fs.statSync(cwd).isDirectory()) return Promise.resolve({ error: `working directory ${cwd} is not a directory` });
  } catch {
    return Promise.resolve({ error: `working directory ${cwd} does not exist` });
  }
  // The preamble's sh would report a missing command itself (exit 127): find it first, as spawn would.
  const missing = containment ? resolveCommand(command, env, cwd) : undefined;
  if (missing) return Promise.resolve(missing);
  let child: ChildProcess;
  try {
    child = containment
      ? spawn(containment.argv[0], containment.argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true })
      : spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (error) {
    return Promise.resolve({ error: error instanceof Error ? error.message : String(error) });
  }
  if (child.pid !== undefined) {
    const socket = child.stdio[3];
    if (containment && socket) containment.attach(socket as never);
    child.on('error', () => {
      /* later errors (failed kill) change nothing */
    });
    return Promise.resolve({ child });
  }
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'ENOENT'
          ? `command not found (${error.message})`
          : error.code === 'EACCES'
            ? `permission denied (${error.message})`
            : error.message;
      resolve({ error: why });
    });
  });
}

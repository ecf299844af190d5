/**
 * The opt-in `--sched-arg wrappers=inprocess` of the local scheduler: a job's
 * child command line (`node cli.js --parent … --id …`, as the tier builds it) is
 * run inside the tier's process instead of a new Node process. It connects to
 * the tier, fetches its spec over the websocket and runs the wrapper exactly as
 * a wrapper process would; only Node's start-up per job is saved. Like a
 * pre-started wrapper process, it may start up while its job is still queued
 * and wait for its slot (the scheduler's `slot` promise). What the
 * process would print goes to `<tracking>/scheduler.log`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isGatorError, layerFile, type GoSignal, type LaunchRequest } from '@gator/protocol';
import type { InProcessRun, InProcessRunner } from '@gator/scheduler-local';
import { parseChildArgv } from './child-args.js';
import type { RunOptions } from './options.js';

/** `runChild` of child.ts (passed in: that module loads this one). */
type RunChild = (spec: string | undefined, options: RunOptions, ctx: { cwd: string; env?: NodeJS.ProcessEnv; go?: GoSignal }) => Promise<number>;
import { ownChildCommand } from './child-command.js';

/**
 * A runner for the child command lines this CLI writes (anything else is started
 * as a process); `runChild` is passed in, as this module is loaded by the layer it hosts.
 */
export function inProcessRunner(runChild: RunChild): InProcessRunner {
  return (request: LaunchRequest, slot?: Promise<boolean>): InProcessRun | undefined => {
    // Only this CLI, run by this Node (its child flags are a process's, not a hosted layer's), in this process's directory, can be hosted.
    const own = ownChildCommand(request.command);
    if (!own || path.resolve(request.cwd) !== process.cwd()) return undefined;
    const argv = own.argv;
    const log = fs.createWriteStream(layerFile(request.tracking, 'scheduler'), { flags: 'a', mode: 0o600 });
    log.on('error', () => {});
    // Each hosted wrapper listens for SIGINT/SIGTERM (to stop its job) while it runs.
    process.setMaxListeners(process.getMaxListeners() + 1);
    // The environment a process would have had: the scheduler's own plus the request's (the run secret).
    const env = { ...process.env, ...request.env };
    let jobEnded!: () => void;
    const ended = new Promise<void>((resolve) => (jobEnded = resolve));
    const exited = Promise.resolve()
      .then(() => {
        const { spec, options } = parseChildArgv(argv, env);
        return runChild(spec, options, { cwd: request.cwd, env, go: hostedGo(slot, jobEnded, request.path) });
      })
      .then(
        (code) => ({ code }),
        (error: unknown) => {
          log.write(`gator: ${isGatorError(error) ? error.message : String((error as Error)?.stack ?? error)}\n`);
          return { code: isGatorError(error) ? 2 : 1, reason: `in-process wrapper failed: ${(error as Error)?.message ?? String(error)}` };
        },
      )
      .finally(() => {
        process.setMaxListeners(Math.max(10, process.getMaxListeners() - 1));
        log.end();
      });
    // The tier stops a registered wrapper over its websocket, and one that registers
    // after a stop at once: there is no process to signal.
    return { exited, ended, stop: () => {} };
  };
}

/**
 * A hosted wrapper's go signal, as a pre-started wrapper process has: the slot (granted
 * already, or `slot`, while its job is queued: it starts up meanwhile), the job's path (the
 * launch request's), so it spawns its job without waiting for its registration's answer, and
 * telling when its job has ended, so the slot goes to the next job while it writes and reports.
 */
function hostedGo(slot: Promise<boolean> | undefined, ended: () => void, jobPath: readonly string[] | undefined): GoSignal {
  let abandon!: () => void;
  const abandoned = new Promise<boolean>((resolve) => (abandon = () => resolve(false)));
  return {
    go: slot ? Promise.race([slot, abandoned]) : Promise.resolve(true),
    path: jobPath && jobPath.length > 0 ? jobPath : undefined,
    ended,
    abandon,
  };
}

/**
 * The opt-in `--sched-arg wrappers=inprocess` of the local scheduler: a job's
 * child command line (`node cli.js --parent … --id …`, as the tier builds it) is
 * run inside the tier's process instead of a new Node process. It connects to
 * the tier, fetches its spec over the websocket and runs the wrapper exactly as
 * a wrapper process would; only Node's start-up per job is saved. What the
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
  return (request: LaunchRequest): InProcessRun | undefined => {
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
        return runChild(spec, options, { cwd: request.cwd, env, go: slotNow(jobEnded) });
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
 * A hosted wrapper's slot is its own from the start (nothing started it early); what it
 * takes from a go signal is telling when its job has ended, so the slot goes to the next
 * job while it writes and reports, as a wrapper process's does.
 */
function slotNow(ended: () => void): GoSignal {
  return { go: Promise.resolve(true), path: undefined, ended, abandon: () => {} };
}

/**
 * The opt-in `--sched-arg wrappers=inprocess` of the local scheduler: a job's
 * child command line (`node cli.js --parent … --id …`, as the tier builds it) is
 * run by this CLI's own `main()` inside the tier's process instead of a new Node
 * process. It connects to the tier, fetches its spec over the websocket and runs
 * the wrapper exactly as a wrapper process would; only Node's start-up per job
 * is saved. What the process would print goes to `<tracking>/scheduler.log`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV, type LaunchRequest } from '@gator/protocol';
import type { InProcessRun, InProcessRunner } from '@gator/scheduler-local';
import type { Io } from './io.js';

/** Entry scripts of this CLI a tier may put in a child command line (dist/). */
function ownScripts(): Set<string> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return new Set([path.join(here, 'cli.js')]);
}

/** A runner that calls `main(argv, io)` (passed in: this module must not import main.ts, which loads it). */
export function inProcessRunner(main: (argv: string[], io: Io) => Promise<number>): InProcessRunner {
  const scripts = ownScripts();
  return (request: LaunchRequest): InProcessRun | undefined => {
    const [node, script, ...argv] = request.command;
    // Only this CLI, run by this Node, with this process's secret and directory, can be hosted.
    if (node !== process.execPath || !script || !scripts.has(path.resolve(script))) return undefined;
    if ((request.env[ENV.TOKEN] ?? process.env[ENV.TOKEN]) !== process.env[ENV.TOKEN]) return undefined;
    if (path.resolve(request.cwd) !== process.cwd()) return undefined;
    const log = fs.createWriteStream(path.join(request.tracking, 'scheduler.log'), { flags: 'a', mode: 0o600 });
    log.on('error', () => {});
    const io = { out: log, err: log, cwd: request.cwd } as unknown as Io;
    // Each hosted wrapper listens for SIGINT/SIGTERM (to stop its job) while it runs.
    process.setMaxListeners(process.getMaxListeners() + 1);
    const exited = main(argv, io)
      .then(
        (code) => ({ code }),
        (error: unknown) => ({ code: 1, reason: `in-process wrapper failed: ${(error as Error)?.message ?? String(error)}` }),
      )
      .finally(() => {
        process.setMaxListeners(Math.max(10, process.getMaxListeners() - 1));
        log.end();
      });
    // The tier stops a registered wrapper over its websocket, and one that registers
    // after a stop at once: there is no process to signal.
    return { exited, stop: () => {} };
  };
}

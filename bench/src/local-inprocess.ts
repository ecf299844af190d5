/**
 * The local scheduler with its opt-in in-process wrappers wired to the gator
 * CLI: a scheduler module for `gator run --scheduler <this file> --sched-arg
 * wrappers=inprocess`. A job's child command line (`node cli.js --parent … --id
 * …`) is run by the CLI's own `main()` inside the tier's process: it connects
 * to the tier, fetches its spec over the websocket and runs the wrapper, exactly
 * as a wrapper process would, without starting Node for it.
 *
 * The CLI can offer the same without this module (see the bench README); until
 * it does, this is how the bench measures the mode.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type Io } from '@gator/cli';
import { defineScheduler, layerFile, type LaunchRequest } from '@gator/protocol';
import { createLocalScheduler, type InProcessRun } from '@gator/scheduler-local';

const cliScript = path.join(path.dirname(fileURLToPath(import.meta.resolve('@gator/cli'))), 'cli.js');

/** Runs the child command line of a job with the CLI's main() in this process, when it is this CLI's. */
export function runCliInProcess(request: LaunchRequest): InProcessRun | undefined {
  const [node, script, ...argv] = request.command;
  // Only this same CLI, run by this same Node, with this process's secret and directory, can be hosted.
  if (node !== process.execPath || !script || path.resolve(script) !== cliScript) return undefined;
  if ((request.env.GATOR_TOKEN ?? process.env.GATOR_TOKEN) !== process.env.GATOR_TOKEN) return undefined;
  if (path.resolve(request.cwd) !== process.cwd()) return undefined;
  // What a wrapper process would print goes where the scheduler puts it: <tracking>/scheduler.log.
  const log = fs.createWriteStream(layerFile(request.tracking, 'scheduler'), { flags: 'a', mode: 0o600 });
  log.on('error', () => {});
  const io = { out: log, err: log, cwd: request.cwd } as unknown as Io;
  // Each hosted wrapper listens for SIGINT/SIGTERM (to stop its job) while it runs.
  process.setMaxListeners(process.getMaxListeners() + 1);
  const exited = main(argv, io).then(
    (code) => ({ code }),
    (error: unknown) => ({ code: 1, reason: `in-process wrapper failed: ${(error as Error)?.message ?? String(error)}` }),
  );
  const done = exited.finally(() => {
    process.setMaxListeners(Math.max(10, process.getMaxListeners() - 1));
    log.end();
  });
  return {
    exited: done,
    // The tier stops a registered wrapper over its websocket, and one that has not
    // registered yet when it does; there is no process to signal.
    stop: () => {},
  };
}

export default defineScheduler((context) => createLocalScheduler(context, { inProcess: runCliInProcess }));

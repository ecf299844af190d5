/**
 * The entry of a child process (`cli.js --parent H:P --id ID …`): the child
 * command line is parsed from the option tables and the layer started, without
 * loading the command framework, the renderer, the inspect commands or the hub.
 */
import { isGatorError, restoreCarriedEnv, takeGoChannel } from '@gator/protocol';
import { parseChildArgv } from './child-args.js';
import { runChild } from './child.js';
import { exitCodeOfError, printError } from './print-error.js';

export async function childMain(argv: readonly string[]): Promise<number> {
  // First: the variable must not reach the job, and the scheduler waits for our hello.
  const go = takeGoChannel();
  // What Node was spared at our start (carried-env.ts of @gator/protocol), back for the job and our children.
  restoreCarriedEnv(process.env);
  try {
    const { spec, options } = parseChildArgv(argv[0] === 'run' ? argv.slice(1) : argv);
    return await runChild(spec, options, { cwd: process.cwd(), ...(go ? { go } : {}) });
  } catch (error) {
    if (isGatorError(error)) {
      printError(error, { err: process.stderr });
      return exitCodeOfError(error);
    }
    process.stderr.write(`gator: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  }
}

/**
 * The `gator` command line, on cac (typed options, generated help, unknown
 * options rejected; vitest's CLI uses it too). `gator SPEC` and Python Gator's
 * child command line (`gator --parent H:P --id ID …`) run the `run` command.
 */
import { cac, type CAC } from 'cac';
import { isGatorError, SpecError, UsageError, type GatorError } from '@gator/protocol';
import { registerInspectCommands } from './inspect/index.js';
import { readRunFlags } from './options.js';
import { inProcessRunner } from './in-process.js';
import { setInProcessRunner } from './schedulers.js';
import { VERSION } from './version.js';

import type { Io } from './io.js';

export type { Io };

const COMMANDS = ['run', 'validate', 'log', 'metric', 'show', 'logs', 'export', 'repro', 'hub', 'help'];

function runOptions(cli: ReturnType<CAC['command']>) {
  return cli
    .option('--tracking <dir>', 'Tracking directory of the run (default ./tracking/<timestamp>)')
    .option('--interval <seconds>', 'Heartbeat and resource-sampling interval', { default: undefined })
    .option('--scheduler <name>', 'Scheduler: local, slurm, an installed gator-scheduler-NAME package or a module path (default local)')
    .option('--sched-arg <key=value>', 'Scheduler option, repeatable (e.g. concurrency=4, licenses=simtool:2)', { type: [String] })
    .option('--limit-warning <n>', 'Max WARNING messages per job before it fails (default unlimited)')
    .option('--limit-error <n>', 'Max ERROR messages per job (default 0)')
    .option('--limit-critical <n>', 'Max CRITICAL messages per job (default 0)')
    .option('--all-msg', 'Forward every message up the tree to this console')
    .option('--quiet', 'Plain output: failures, warnings and the summary only')
    .option('-v, --verbose', 'Show DEBUG messages')
    .option('--progress', 'Accepted for Python Gator compatibility (the live view is automatic on a terminal)')
    .option('--hub <address>', 'Register the run with a Gator Hub (host:port or URL)')
    .option('--id <ident>', 'Identifier of this layer (overrides the spec ident)', { type: [String] })
    .option('--parent <host:port>', 'Parent tier address (child processes only)')
    .option('--host <address>', 'Interface the layer servers bind (default 127.0.0.1)')
    .option('--advertise-host <name>', 'Host name or address children use to reach this layer (remote schedulers)')
    .option('--rerun-failed [run]', 'Run only what failed, was lost or skipped in RUN (default: the latest run), plus its dependants')
    .option('--rerun-select <file>', 'Internal: the rerun selection a child tier applies (written by the root)');
}

export function buildCli(io: Io, setExit: (code: number) => void): CAC {
  const cli = cac('gator');
  cli.version(VERSION, '--version');
  cli.usage('<command> [options]\n\n  gator run SPEC.yaml        run a spec (also: gator SPEC.yaml)\n  gator validate SPEC…      check specs');

  runOptions(cli.command('run [spec]', 'Run a work spec (!Job, !JobGroup or !JobArray)'))
    .example('gator run examples/hello.yaml')
    .example('gator run regress.yaml --sched-arg concurrency=8 --limit-warning 100')
    .action(async (spec: string | undefined, options: Record<string, unknown>) => {
      const { runRoot } = await import('./commands/run.js');
      setExit(await runRoot(spec, readRunFlags(options), io));
    });

  cli
    .command('validate [...specs]', 'Check spec files; print every problem as file:line:col  field: message')
    .action(async (specs: string[]) => {
      if (!specs || specs.length === 0) throw new UsageError('gator validate needs at least one SPEC file.');
      const { validateCommand } = await import('./commands/validate.js');
      setExit(validateCommand(specs, io));
    });

  cli
    .command('log [...message]', 'From inside a job: log a message to its wrapper (reads GATOR_PARENT)')
    .option('--severity <name>', 'DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO)')
    .action(async (message: string[], options: { severity?: string }) => {
      const { logCommand } = await import('./commands/job-api.js');
      setExit(await logCommand(message, options.severity));
    });

  cli
    .command('metric <name> <value>', 'From inside a job: record a numeric metric')
    .action(async (name: string, value: string) => {
      const { metricCommand } = await import('./commands/job-api.js');
      setExit(await metricCommand(name, String(value)));
    });

  registerInspectCommands(cli, io, setExit);

  cli
    .command('hub', 'Serve the Gator Hub: a web dashboard of runs (runs join it with gator run --hub)')
    .option('--port <n>', 'Port to listen on (default 8080)')
    .option('--host <address>', 'Interface to bind (default 127.0.0.1; any other needs a token)')
    .option('--database <url>', 'SQLite file (default ~/.gator/hub.sqlite) or postgres:// URL')
    .option('--token-file <file>', 'File holding the access token (or set GATOR_HUB_TOKEN)')
    .action(async (options: Record<string, unknown>) => {
      const { hubCommand } = await import('./commands/hub.js');
      setExit(await hubCommand(options as never, io));
    });
  cli.help();
  return cli;
}

function printError(error: GatorError, io: Io): void {
  if (error instanceof SpecError) {
    io.err.write(`${error.message}\n`);
  } else {
    io.err.write(`gator: ${error.message}\n`);
  }
  if (error.hint) io.err.write(`  hint: ${error.hint}\n`);
  if (error.code === 'GATOR_INTERNAL') io.err.write(`  This is a bug in Gator ${VERSION}: please report it with the command you ran.\n`);
}

/** Exit code of a GatorError: spec and usage problems are 2, the rest 1. */
export function exitCodeOfError(error: GatorError): number {
  if (error.code === 'GATOR_SPEC_INVALID' || error.code === 'GATOR_SPEC_NOT_FOUND' || error.code === 'GATOR_USAGE') return 2;
  if (error.code.startsWith('GATOR_SCHEDULER_')) return 2;
  return 1;
}

/** Run the CLI with `argv` (without node and the script). Resolves with the exit code. */
export async function main(argv: string[], io?: Io): Promise<number> {
  // A tier may host its jobs' wrappers in this process (--sched-arg wrappers=inprocess).
  setInProcessRunner(inProcessRunner(main));
  return runMain(argv, io);
}

async function runMain(argv: string[], io: Io = { out: process.stdout, err: process.stderr, cwd: process.cwd() }): Promise<number> {
  let code = 0;
  const args = [...argv];
  if (args.length === 0) {
    io.err.write('gator: no command given.\n  hint: gator run SPEC.yaml, or gator --help\n');
    return 2;
  }
  const first = args[0]!;
  if (!COMMANDS.includes(first) && first !== '--help' && first !== '-h' && first !== '--version') args.unshift('run');
  if (args[0] === 'help') args.splice(0, 1, '--help');
  const cli = buildCli(io, (c) => (code = c));
  try {
    cli.parse(['node', 'gator', ...args], { run: false });
    if (cli.options.help || cli.options.version) return 0;
    if (!cli.matchedCommand) {
      throw new UsageError(`Unknown command '${args[0]}'.`, { hint: 'gator --help lists the commands.' });
    }
    await cli.runMatchedCommand();
    return code;
  } catch (error) {
    if (isGatorError(error)) {
      printError(error, io);
      return exitCodeOfError(error);
    }
    if (error instanceof Error && error.name === 'CACError') {
      io.err.write(`gator: ${error.message}\n  hint: gator ${cli.matchedCommandName ?? ''} --help shows the usage.\n`.replace('  --help', ' --help'));
      return 2;
    }
    const e = error as Error;
    io.err.write(`gator: internal error: ${e?.message ?? String(error)}\n  This is a bug in Gator ${VERSION}: please report it with the command you ran.\n`);
    if (process.env.GATOR_DEBUG) io.err.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}

/**
 * The `gator` command line, on cac (typed options, generated help, unknown
 * options rejected; vitest's CLI uses it too). `gator SPEC` and Python Gator's
 * child command line (`gator --parent H:P --id ID …`) run the `run` command.
 */
import { cac, type CAC } from 'cac';
import { isGatorError, UsageError } from '@gator/protocol';
import { exitCodeOfError, printError } from './print-error.js';
import { registerInspectCommands } from './inspect/index.js';
import { readRunOptions, registerRunOptions } from './options.js';
import { VERSION } from './version.js';

import type { Io } from './io.js';

export type { Io };
export { exitCodeOfError };

/** The words that name a command (what cac was told, and `help`): anything else is `run`'s SPEC. */
export function commandNames(cli: CAC): string[] {
  return [...cli.commands.map((c) => c.name).filter((name) => name !== ''), 'help'];
}

/**
 * The options' spellings: which take a value before the command word (those of
 * `run`, the default command, and the global ones: `--json` is a flag of `show`
 * but takes a FILE in `export`), and which are kebab-case booleans (any command).
 */
function optionShapes(cli: CAC): { takesValue: Set<string>; kebabBooleans: Set<string> } {
  const takesValue = new Set<string>();
  const kebabBooleans = new Set<string>();
  for (const command of [cli.globalCommand, ...cli.commands]) {
    const beforeCommand = command === cli.globalCommand || command.name === 'run';
    for (const option of command.options) {
      const spellings = option.rawName.split(',').map((part) => part.trim().split(/[\s<[]/)[0]!);
      for (const spelling of spellings) {
        if (!option.isBoolean) {
          if (beforeCommand) takesValue.add(spelling);
        }
        // cac declares `--all-msg` as boolean under `allMsg`, so its parser would take the next word as its value.
        else if (/^--\w+-/.test(spelling)) kebabBooleans.add(spelling);
      }
    }
  }
  return { takesValue, kebabBooleans };
}

/**
 * The command word first, so options work in any position: `gator --all-msg
 * SPEC`, `gator --sched-arg k=v run SPEC`. The first word that is not an option
 * or an option's value is the command, else `run`'s SPEC. Kebab-case boolean
 * flags get an explicit `=true` (see `optionShapes`).
 */
export function commandFirst(cli: CAC, argv: readonly string[]): string[] {
  const names = commandNames(cli);
  const { takesValue, kebabBooleans } = optionShapes(cli);
  const args = argv.map((a) => (kebabBooleans.has(a) ? `${a}=true` : a));
  for (let i = 0; i < args.length; i += 1) {
    const word = args[i]!;
    if (word === '--') break;
    if (word.startsWith('-')) {
      if (!word.includes('=') && takesValue.has(word)) i += 1;
      continue;
    }
    if (names.includes(word)) return [word, ...args.slice(0, i), ...args.slice(i + 1)];
    break;
  }
  return ['run', ...args];
}

export function buildCli(io: Io, setExit: (code: number) => void): CAC {
  const cli = cac('gator');
  cli.version(VERSION, '--version');
  cli.usage('<command> [options]\n\n  gator run SPEC.yaml        run a spec (also: gator SPEC.yaml)\n  gator validate SPEC…      check specs');

  registerRunOptions(cli.command('run [spec]', 'Run a work spec (!Job, !JobGroup or !JobArray)'))
    .example('gator run examples/hello.yaml')
    .example('gator run regress.yaml --sched-arg concurrency=8 --limit-warning 100')
    .example('gator run regress.yaml --sched-arg wrappers=inprocess   # fast path: job wrappers inside their tier process (no Node start per job; a crash of one takes its tier and siblings)')
    .action(async (spec: string | undefined, options: Record<string, unknown>) => {
      const { runRoot } = await import('./commands/run.js');
      setExit(await runRoot(spec, readRunOptions(options, io.env), io));
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

/** Whether `argv` runs the `run` command (as `main` would read it). */
export function isRunCommand(argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === '--version') return false;
  const none = { write: () => true } as unknown as NodeJS.WriteStream;
  return commandFirst(buildCli({ out: none, err: none, cwd: process.cwd() }, () => {}), argv)[0] === 'run';
}

/** Run the CLI with `argv` (without node and the script). Resolves with the exit code. */
export async function main(argv: string[], io?: Io): Promise<number> {
  return runMain(argv, io);
}

async function runMain(argv: string[], io: Io = { out: process.stdout, err: process.stderr, cwd: process.cwd() }): Promise<number> {
  let code = 0;
  const args = [...argv];
  if (args.length === 0) {
    io.err.write('gator: no command given.\n  hint: gator run SPEC.yaml, or gator --help\n');
    return 2;
  }
  const cli = buildCli(io, (c) => (code = c));
  const first = args[0]!;
  if (first !== '--help' && first !== '-h' && first !== '--version') args.splice(0, args.length, ...commandFirst(cli, args));
  if (args[0] === 'help') args.splice(0, 1, '--help');
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

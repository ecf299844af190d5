/**
 * The commands that look at a run after (or while) it runs: `show`, `logs`,
 * `export`, `repro`, and across the runs of a spec: `diff`, `history`. Each defaults to the newest run under ./tracking and takes
 * a tracking directory instead. Heavy modules load inside the actions, so
 * `gator run` children never pay for them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CAC } from 'cac';
import { GatorError, SEVERITY_NAMES, UsageError, severityFromName } from '@gator/protocol';
import { findRun } from '../tracking.js';

import type { Io } from '../io.js';

export type { Io };


function str(v: unknown): string | undefined {
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  if (last === undefined || last === null || last === false) return undefined;
  if (last === true) return '';
  return String(last);
}

function fileOption(name: string, v: unknown): string | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (s === '') throw new UsageError(`--${name} needs a FILE (or --${name}=- for standard output).`);
  return s;
}

function nonNegative(name: string, v: unknown): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const n = Number(s.replace(/%$/, ''));
  if (s === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} expects a number of zero or more, got '${s}'.`);
  return n;
}

function positiveInt(name: string, v: unknown): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} expects a positive whole number, got '${s}'.`);
  return n;
}

export function parseSeverity(v: unknown): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const name = s.trim().toUpperCase();
  if (!(SEVERITY_NAMES as readonly string[]).includes(name) && name !== 'WARN') {
    throw new UsageError(`--severity must be one of ${SEVERITY_NAMES.join(', ')}, got '${s}'.`);
  }
  return severityFromName(name);
}

export function parseGrep(v: unknown): RegExp | undefined {
  const s = str(v);
  if (s === undefined || s === '') return undefined;
  try {
    return new RegExp(s);
  } catch (e) {
    throw new UsageError(`--grep '${s}' is not a valid regular expression: ${(e as Error).message}`, {
      hint: 'Escape special characters with a backslash, e.g. --grep "a\\.b".',
    });
  }
}

/** Where a run named `word` may be: the path itself, or a run directory under ./tracking. */
function runPlaces(word: string, cwd: string): string[] {
  return [path.resolve(cwd, word), path.join(cwd, 'tracking', word)];
}

/** The run `word` names (a path, or a name under ./tracking), else undefined. */
function namedRun(word: string, cwd: string): string | undefined {
  const place = runPlaces(word, cwd).find((p) => fs.existsSync(p));
  return place === undefined ? undefined : findRun(place, cwd);
}

/** A RUN argument: the run it names, or GATOR_RUN_NOT_FOUND saying where it looked (never the newest run instead). */
function runNamed(word: string, cwd: string): string {
  const found = namedRun(word, cwd);
  if (found) return found;
  const [asPath, asName] = runPlaces(word, cwd);
  throw new GatorError('GATOR_RUN_NOT_FOUND', `No run '${word}': nothing at ${asPath} nor ${asName}.`, {
    hint: 'Give a tracking directory (or its name under ./tracking); without RUN, the newest run is used.',
  });
}

/** `[RUN] [JOB]` with one word: a run when it names one (a path or a name under ./tracking), else a job path. */
function runAndJob(first: string | undefined, second: string | undefined, tracking: unknown, io: Io): { run: string; job?: string } {
  const given = str(tracking);
  if (second !== undefined) {
    if (given) throw new UsageError('Give the run either as RUN or as --tracking, not both.');
    return { run: runNamed(String(first), io.cwd), job: String(second) };
  }
  if (first !== undefined) {
    const word = String(first);
    const run = given ? undefined : namedRun(word, io.cwd);
    if (run) return { run };
    return { run: given ? runNamed(given, io.cwd) : findRun(undefined, io.cwd), job: word };
  }
  return { run: given ? runNamed(given, io.cwd) : findRun(undefined, io.cwd) };
}

/** `[RUN]` of show and export: a run, or an error naming it. */
function runOnly(word: string | undefined, io: Io): string {
  return word === undefined ? findRun(undefined, io.cwd) : runNamed(word, io.cwd);
}

/** One attribute of a run's root layer (undefined when absent or unreadable). */
async function rootAttribute(run: string, name: string): Promise<string | undefined> {
  const { openLayerReader } = await import('@gator/db');
  try {
    const reader = openLayerReader(run);
    try {
      return reader.attribute(name);
    } finally {
      reader.close();
    }
  } catch {
    return undefined;
  }
}

/** Adds `show`, `logs`, `export` and `repro` to the CLI. */
export function registerInspectCommands(cli: CAC, io: Io, setExit: (code: number) => void): void {
  cli
    .command('show [run]', 'Show a run as a tree: state, result, duration, message counts, metrics (default: the newest run under ./tracking)')
    .option('--tracking <dir>', 'Tracking directory of the run (same as RUN)')
    .option('--json', 'The whole tree as JSON, for machines')
    .option('--failed', 'Only branches with failed, lost or running jobs')
    .option('--slowest <n>', 'Instead of the tree: the N slowest jobs, with their share of the run')
    .option('--timeline', 'Instead of the tree: a bar per job over the run\'s wall time, by outcome')
    .example('gator show')
    .example('gator show --slowest 10 --timeline')
    .example('gator show tracking/2026-01-01T10:00:00.000 --json')
    .action(async (run: string | undefined, options: Record<string, unknown>) => {
      const dir = runOnly(run ?? str(options.tracking), io);
      const { loadRunReport } = await import('./run-report.js');
      const { showCommand } = await import('./show.js');
      const rerunOf = await rootAttribute(dir, 'rerun_of');
      const slowest = positiveInt('slowest', options.slowest);
      if (options.json && (slowest !== undefined || options.timeline)) throw new UsageError('--slowest and --timeline are text views; --json gives every job with its duration.');
      showCommand(
        loadRunReport(dir),
        {
          json: Boolean(options.json),
          failedOnly: Boolean(options.failed),
          cwd: io.cwd,
          ...(rerunOf ? { rerunOf } : {}),
          ...(slowest !== undefined ? { slowest } : {}),
          ...(options.timeline ? { timeline: true } : {}),
        },
        io.out,
      );
      setExit(0);
    });

  cli
    .command('logs [run] [job]', 'Messages of a run or of one job subtree, in time order')
    .option('--tracking <dir>', 'Tracking directory of the run (instead of RUN)')
    .option('--severity <name>', 'Only messages at or above: DEBUG, INFO, WARNING, ERROR, CRITICAL')
    .option('--grep <regexp>', 'Only messages matching this regular expression')
    .option('-f, --follow', 'Keep printing new messages until the run ends')
    .option('--json', 'One JSON object a line')
    .example('gator logs tests.seed_3 --severity error')
    .example('gator logs tracking/2026-01-01T10:00:00.000 --follow --grep "Assert"')
    .action(async (first: string | undefined, second: string | undefined, options: Record<string, unknown>) => {
      const target = runAndJob(first, second, options.tracking, io);
      const minSeverity = parseSeverity(options.severity);
      const grep = parseGrep(options.grep);
      const { logsCommand } = await import('./logs.js');
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      try {
        setExit(
          await logsCommand(
            {
              run: target.run,
              ...(target.job ? { jobPath: target.job } : {}),
              ...(minSeverity !== undefined ? { minSeverity } : {}),
              ...(grep ? { grep } : {}),
              follow: Boolean(options.follow),
              json: Boolean(options.json),
              signal: abort.signal,
            },
            io.out,
            io.err,
          ),
        );
      } finally {
        process.off('SIGINT', onSignal);
      }
    });

  cli
    .command('export [run]', 'Write a run as JUnit XML, JSON or Markdown (--junit=- and so on for standard output)')
    .option('--tracking <dir>', 'Tracking directory of the run (same as RUN)')
    .option('--junit <file>', 'JUnit XML: a testcase per job, a testsuite per group')
    .option('--json <file>', 'The whole tree with counts and metrics')
    .option('--markdown <file>', 'A report for CI step summaries and pull requests')
    .option('--max-bytes <n>', 'Size limit of the JUnit and Markdown files (default 65535)')
    .example('gator export --junit results.xml --markdown "$GITHUB_STEP_SUMMARY"')
    .action(async (run: string | undefined, options: Record<string, unknown>) => {
      const dir = runOnly(run ?? str(options.tracking), io);
      const junit = fileOption('junit', options.junit);
      const json = fileOption('json', options.json);
      const markdown = fileOption('markdown', options.markdown);
      const maxBytes = positiveInt('max-bytes', options.maxBytes);
      const { loadRunReport } = await import('./run-report.js');
      const { exportCommand } = await import('./export.js');
      const written = exportCommand(
        loadRunReport(dir),
        { ...(junit ? { junit } : {}), ...(json ? { json } : {}), ...(markdown ? { markdown } : {}), ...(maxBytes ? { maxBytes } : {}) },
        io,
      );
      for (const file of written) if (file !== '-') io.err.write(`Wrote ${path.relative(io.cwd, file) || file}\n`);
      setExit(0);
    });

  cli
    .command('repro [run] [job]', 'Print (or --exec run) the exact command, environment, directory and seed a job ran with')
    .option('--tracking <dir>', 'Tracking directory of the run (instead of RUN)')
    .option('--exec', 'Run it now, with its environment over this one; exit with its code')
    .option('--json', 'The recipe as JSON')
    .example('gator repro tests.seed_3')
    .example('gator repro tracking/2026-01-01T10:00:00.000 tests.seed_3 --exec')
    .action(async (first: string | undefined, second: string | undefined, options: Record<string, unknown>) => {
      if (first === undefined) throw new UsageError('gator repro needs a JOB_PATH.', { hint: 'e.g. gator repro tests.seed_3 (gator show lists the jobs)' });
      const tracking = str(options.tracking);
      const target =
        second === undefined ? { run: tracking ? runNamed(tracking, io.cwd) : findRun(undefined, io.cwd), job: String(first) } : runAndJob(first, second, options.tracking, io);
      const { readRecipe, renderRecipe, execRecipe } = await import('./repro.js');
      const recipe = readRecipe(target.run, target.job!);
      if (options.exec) {
        setExit(await execRecipe(recipe, io));
        return;
      }
      io.out.write(options.json ? `${JSON.stringify(recipe, null, 2)}\n` : renderRecipe(recipe));
      setExit(0);
    });

  cli
    .command('diff [runA] [runB]', 'What changed from RUN_A to RUN_B: new failures, fixed, still failing, flaky, new/removed jobs, slower/faster (default: the newest run against the previous run of its spec; exit 1 on new failures)')
    .option('--json', 'The diff as JSON')
    .option('--markdown', 'The diff as Markdown (CI step summaries, pull requests)')
    .option('--threshold <percent>', 'A duration change counts from this many percent of the base duration (default 20)')
    .option('--min-seconds <s>', '… and from this many seconds (default 1)')
    .example('gator diff')
    .example('gator diff tracking/2026-01-01T02:00:00.000 tracking/2026-01-02T02:00:00.000 --markdown >> "$GITHUB_STEP_SUMMARY"')
    .action(async (runA: string | undefined, runB: string | undefined, options: Record<string, unknown>) => {
      const thresholdPercent = nonNegative('threshold', options.threshold);
      const minSeconds = nonNegative('min-seconds', options.minSeconds);
      if (options.json && options.markdown) throw new UsageError('Give --json or --markdown, not both.');
      const { diffTargets, computeDiff, renderDiffText, renderDiffJson, renderDiffMarkdown, diffExit } = await import('./diff.js');
      const { colorsFor } = await import('../render/format.js');
      const targets = diffTargets(
        runA === undefined ? undefined : runNamed(String(runA), io.cwd),
        runB === undefined ? undefined : runNamed(String(runB), io.cwd),
        () => findRun(undefined, io.cwd),
      );
      const diff = computeDiff(targets.base, targets.compared, {
        ...(thresholdPercent !== undefined ? { thresholdPercent } : {}),
        ...(minSeconds !== undefined ? { minSeconds } : {}),
      });
      io.out.write(options.json ? renderDiffJson(diff) : options.markdown ? renderDiffMarkdown(diff, io.cwd) : renderDiffText(diff, io.cwd, colorsFor(io.out)));
      setExit(diffExit(diff));
    });

  cli
    .command('history <job>', "One job across the runs of its spec, newest first: result, attempt, duration, seed, reason, and its flake rate")
    .option('--tracking <dir>', 'A run (or a tracking directory of runs) of the spec (default: the newest run under ./tracking)')
    .option('--last <n>', 'How many runs (default 20)')
    .option('--json', 'The history as JSON')
    .example('gator history tests.seed_3')
    .example('gator history sims.smoke_2 --last 30 --json')
    .action(async (job: string, options: Record<string, unknown>) => {
      const limit = positiveInt('last', options.last);
      const given = str(options.tracking);
      const run = given ? runNamed(given, io.cwd) : findRun(undefined, io.cwd);
      const { readHistory, renderHistoryText, renderHistoryJson } = await import('./history.js');
      const { colorsFor } = await import('../render/format.js');
      const history = readHistory(run, String(job), limit);
      io.out.write(options.json ? renderHistoryJson(history) : renderHistoryText(history, io.cwd, colorsFor(io.out)));
      setExit(0);
    });
}

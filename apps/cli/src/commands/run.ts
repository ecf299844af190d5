/**
 * `gator run SPEC`: the root of a run. It reads the spec, makes the run's
 * secret and tracking directory, hosts the root layer (a tier, or a wrapper
 * for a lone !Job) in this process through `startLayer`, renders what it
 * emits, and turns its outcome into the exit status. Every other layer is a
 * child process started through a scheduler (`../child.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type NoticeKind, ENV, JobResult, SchedulerError, Severity, UsageError, expectedJobs, loadSpecFile, runVerdict, type Summary } from '@gator/protocol';
import type { RunOptions } from '../options.js';
import { runChild } from '../child.js';
import { inProcessRunner } from '../in-process.js';
import { startLayer } from '../start-layer.js';
import { defaultTrackingDir, findRun, makeTrackingDir } from '../tracking.js';

export interface RunContext {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Exit status of a finished root: the verdict rule (docs/run-model.md,
 * `runVerdict`) on the root's tally of jobs, the root's own problems (a
 * budget, a database) being what makes its stored result a FAILURE with no
 * failed job. Skipped jobs never fail a run by themselves.
 */
export function exitCodeFor(result: number, summary: Summary): number {
  if (!summary.jobs) return result === JobResult.SUCCESS && summary.failed_ids.length === 0 && summary.running_ids.length === 0 ? 0 : 1;
  const verdict = runVerdict({ tally: summary.jobs, problems: result === JobResult.SUCCESS ? [] : ['the root failed'] });
  return verdict.exit ?? 1;
}

/** The root's notices worth a line: failed, lost and skipped jobs have theirs from their ends already. */
const SHOWN_NOTICES = new Set<NoticeKind>(['stopped', 'problem']);

export async function runRoot(specPath: string | undefined, options: RunOptions, ctx: RunContext): Promise<number> {
  if (options.identity.parent) return runChild(specPath, options, ctx);
  // `gator run --rerun-failed SPEC`: the optional RUN value took the spec; a file is a spec, not a run.
  if (!specPath && typeof options.root.rerunFailed === 'string' && fs.statSync(path.resolve(ctx.cwd, options.root.rerunFailed), { throwIfNoEntry: false })?.isFile()) {
    specPath = options.root.rerunFailed;
    options = { ...options, root: { ...options.root, rerunFailed: true } };
  }
  if (!specPath) {
    throw new UsageError('No spec file given.', { hint: 'Usage: gator run SPEC.yaml (see gator run --help)' });
  }
  const { settings, identity, root } = options;
  if (root.newSeeds && !root.rerunFailed) {
    throw new UsageError('--new-seeds only applies to a rerun.', { hint: 'gator run SPEC --rerun-failed --new-seeds' });
  }
  const spec = loadSpecFile(path.resolve(ctx.cwd, specPath));
  // The command line's output limit is the default below whatever the spec sets (key by key).
  if (root.outputLimit) spec.output_limit = { ...root.outputLimit, ...spec.output_limit };
  // Wrong --scheduler / --sched-arg is refused before anything runs, whatever the spec's size.
  const { checkSchedulerChoice } = await import('../schedulers.js');
  await checkSchedulerChoice(settings.scheduler, settings.schedArgs, ctx.cwd);
  // The run to rerun is found before this run's directory exists (it would be the newest).
  const previous = root.rerunFailed ? findRun(root.rerunFailed === true ? undefined : root.rerunFailed, ctx.cwd) : undefined;
  const tracking = makeTrackingDir(identity.tracking ? path.resolve(ctx.cwd, identity.tracking) : defaultTrackingDir(ctx.cwd));
  // The run's read token (readers: the hub, Python's client); children get it in their credential
  // file. One given in the environment is taken out of it, so no child process inherits it.
  const token = (ctx.env ?? process.env)[ENV.TOKEN] || randomBytes(18).toString('base64url');
  delete process.env[ENV.TOKEN];
  const ident = identity.id ?? spec.ident ?? String(process.pid);
  // Loaded here, not at the top: a child process renders nothing.
  const { createReporter } = await import('../render/create.js');
  const reporter = await createReporter(root, ctx, ident, expectedJobs(spec));
  const started = Date.now();
  let interrupted = false;
  const hub = root.hub ? await import('../hub-link.js').then((m) => m.linkHub(root.hub!, reporter)) : undefined;

  try {
    const layer = await startLayer({
      spec,
      ident,
      tracking,
      options,
      token,
      cwd: ctx.cwd,
      inProcess: inProcessRunner(runChild),
      onInterrupt: () => (interrupted = true),
      onRunning: ({ kind, address }) => void hub?.register({ ident, layer: kind, address, token }),
      onWrapperEvent: (e) => {
        if (e.type === 'message') reporter.message(e.severity, e.message, e.timestamp);
        else if (e.type === 'notice' && SHOWN_NOTICES.has(e.kind)) reporter.notice(e.message, e.timestamp);
        else if (e.type === 'end') reporter.jobEnd(e.end);
        else if (e.type === 'summary') {
          reporter.summary(e.summary);
          hub?.heartbeat(e.summary);
        }
      },
      onTierEvent: (e) => {
        switch (e.type) {
          case 'message':
            reporter.message(e.severity, e.message, e.timestamp, e.path && !(e.path.length === 1 && e.path[0] === ident) ? e.path : undefined);
            break;
          case 'summary':
            reporter.summary(e.summary);
            hub?.heartbeat(e.summary);
            break;
          case 'notice':
            if (SHOWN_NOTICES.has(e.kind)) reporter.notice(e.message, e.timestamp);
            break;
          case 'end':
            // Every job's end, at any depth, once: its final line.
            reporter.jobEnd(e.end);
            break;
          default:
            break;
        }
      },
      onSchedulerEvent: (e) => {
        if (root.verbose || e.level === 'warning' || e.level === 'error') {
          reporter.note(e.level === 'error' ? 40 : e.level === 'warning' ? 30 : 10, `[scheduler ${settings.scheduler}] ${e.message}`);
        }
      },
      prepare: async (scheduler) => {
        const { checkResources } = await import('@gator/tier');
        const problems = checkResources(spec, scheduler);
        if (problems.length > 0) {
          throw new SchedulerError('GATOR_SCHEDULER_RESOURCES', scheduler.name, `The spec asks for more than this scheduler can ever give:\n  ${problems.join('\n  ')}`, {
            hint: 'Lower the requests in the spec, or give the scheduler more (e.g. --sched-arg concurrency=N, --sched-arg licenses=NAME:COUNT).',
          });
        }
        if (!previous) return {};
        const rerun = await import('../rerun.js');
        const selection = rerun.rerunSelection(previous, spec, { newSeeds: root.newSeeds });
        const from = path.relative(ctx.cwd, previous) || previous;
        if (selection.whole.length === 0) {
          reporter.note(Severity.INFO, `Nothing to rerun: every job of ${from} passed.`);
          return false;
        }
        reporter.note(Severity.INFO, `Rerunning ${selection.whole.length} failed, lost or skipped job${selection.whole.length === 1 ? '' : 's'} (and dependants) of ${from}`);
        return {
          only: rerun.selector(selection),
          childEnv: rerun.childEnv(selection),
          rerunSelect: rerun.writeSelection(tracking, selection),
          // The rerun's record points back to the run it reran (gator show prints it).
          attributes: { rerun_of: previous },
        };
      },
    });
    if (layer.kind === 'nothing') return 0;

    const { outcome } = layer;
    const exitCode = interrupted
      ? 130
      : layer.kind === 'wrapper'
        ? outcome.result === JobResult.SUCCESS
          ? 0
          : 1
        : exitCodeFor(outcome.result, outcome.summary);
    await hub?.complete(outcome.dbFile, outcome.result, outcome.summary);
    // The jobs' own messages, as every other view counts them (the run model): never Gator's notices.
    const messages = await ownMessages(tracking, outcome.summary);
    reporter.end({
      result: outcome.result,
      summary: outcome.summary,
      ...(messages ? { messages } : {}),
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      tracking,
      wallSeconds: (Date.now() - started) / 1000,
      interrupted,
      exitCode,
      ...(layer.kind === 'wrapper' ? { code: layer.outcome.code, expectedJobs: 1 } : { expectedJobs: expectedJobs(spec) }),
    });
    return exitCode;
  } finally {
    reporter.close();
    await hub?.close();
  }
}

/**
 * The run's own message counts from its files (the run model), or undefined when they cannot be read.
 * A run whose every job passed and whose roll-up counts no warning, error or critical message has none
 * of its own either (the roll-up counts every stored message, Gator's lines too): the walk, which opens
 * every layer's database (~0.1 s per 200 jobs), is left out.
 */
export async function ownMessages(tracking: string, summary?: Summary): Promise<{ warning: number; error: number; critical: number } | undefined> {
  const m = summary?.metrics;
  if (m && summary.jobs && summary.jobs.total > 0 && summary.jobs.passed === summary.jobs.total && m.msg_warning === 0 && m.msg_error === 0 && m.msg_critical === 0) {
    return { warning: 0, error: 0, critical: 0 };
  }
  try {
    const { loadRunModel } = await import('@gator/db');
    return loadRunModel(tracking, { errorLines: 0 }).messages;
  } catch {
    return undefined;
  }
}

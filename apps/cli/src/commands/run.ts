/**
 * `gator run SPEC` (the root) and the child entry point (`--parent H:P --id ID`,
 * Python Gator's child command line). The root reads the spec, makes the run's
 * secret and hosts the root tier (or, for a lone !Job, the root wrapper) in this
 * process; every other layer is a child process started through a scheduler.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  ENV,
  JobResult,
  SchedulerError,
  Severity,
  UsageError,
  connect,
  expectedJobs,
  isGatorError,
  loadSpec,
  loadSpecFile,
  parseSchedulerArgs,
  type Connection,
  type Job,
  type JobArray,
  type JobGroup,
  type Scheduler,
  type Spec,
  type Summary,
} from '@gator/protocol';
import type { RunFlags } from '../options.js';
import { createScheduler, schedulerNameForChildren } from '../schedulers.js';
import { defaultTrackingDir, findRun, makeTrackingDir } from '../tracking.js';

export interface RunContext {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  cwd: string;
}

/** argv prefix that starts a child Gator process: this same CLI, run by this same Node. */
export function childCommand(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [process.execPath, path.join(here, 'cli.js')];
}

function limitsOf(flags: RunFlags) {
  return { warning: flags.limitWarning ?? null, error: flags.limitError, critical: flags.limitCritical };
}

type Stoppable = { stop(reason?: string): void };

/**
 * Where a tier's server listens and what it tells children: loopback by default;
 * a remote scheduler (children on other hosts) says where they can reach it
 * (`listenHost`/`advertiseHost`, e.g. Slurm's `--sched-arg host=`); the flags win.
 */
function serverHosts(scheduler: Scheduler, flags: RunFlags): { host?: string; advertiseHost?: string } {
  const remote = scheduler.capabilities.remote ? scheduler : undefined;
  const host = flags.host ?? remote?.listenHost;
  const advertiseHost = flags.advertiseHost ?? remote?.advertiseHost;
  return { ...(host ? { host } : {}), ...(advertiseHost ? { advertiseHost } : {}) };
}

/** SIGINT/SIGTERM stop the layer once; a second Ctrl-C ends the process at once. */
function onSignals(target: () => Stoppable | undefined, onFirst: () => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      onFirst();
      target()?.stop(`interrupted by ${signal}`);
    } else if (signal === 'SIGINT' && count >= 3) {
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Exit status of a finished root (Python's rule: nothing failed, everything passed, nothing running). */
// Python's rule also asks sub_passed == sub_total, to catch pruned jobs; they are
// counted explicitly here (sub_skipped), and jobs a rerun did not select are not failures.
export function exitCodeFor(result: number, summary: Summary): number {
  const ok =
    result === JobResult.SUCCESS &&
    summary.failed_ids.length === 0 &&
    summary.running_ids.length === 0 &&
    (summary.sub_skipped ?? 0) === 0 &&
    (summary.sub_lost ?? 0) === 0;
  return ok ? 0 : 1;
}

export async function runRoot(specPath: string | undefined, flags: RunFlags, ctx: RunContext): Promise<number> {
  if (flags.parent) return runChild(specPath, flags, ctx);
  if (!specPath) {
    throw new UsageError('No spec file given.', { hint: 'Usage: gator run SPEC.yaml (see gator run --help)' });
  }
  const spec = loadSpecFile(path.resolve(ctx.cwd, specPath));
  // The run to rerun is found before this run's directory exists (it would be the newest).
  const previous = flags.rerunFailed ? findRun(flags.rerunFailed === true ? undefined : flags.rerunFailed, ctx.cwd) : undefined;
  const tracking = makeTrackingDir(flags.tracking ? path.resolve(ctx.cwd, flags.tracking) : defaultTrackingDir(ctx.cwd));
  const token = process.env[ENV.TOKEN] || randomBytes(18).toString('base64url');
  // Children inherit it from the environment (never argv); schedulers read it from here too.
  process.env[ENV.TOKEN] = token;
  const ident = flags.id ?? spec.ident ?? String(process.pid);
  // Loaded here, not at the top: a child process (wrapper or tier) renders nothing, and the
  // live view's dependencies (string-width's tables) cost a child ~20 ms to load.
  const { createReporter } = await import('../render/create.js');
  const reporter = createReporter(flags, ctx, ident, expectedJobs(spec));
  const started = Date.now();
  let interrupted = false;
  const hub = flags.hub ? await import('../hub-link.js').then((m) => m.linkHub(flags.hub!, reporter)) : undefined;

  try {
    if (spec.kind === 'job') {
      const { createWrapper } = await import('@gator/wrapper');
      const wrapper = createWrapper({
        spec: { ...spec, ident },
        ident,
        tracking,
        limits: limitsOf(flags),
        interval: flags.interval,
        allMsg: flags.allMsg,
        token,
        ...(flags.host ? { host: flags.host } : {}),
        ...(flags.advertiseHost ? { advertiseHost: flags.advertiseHost } : {}),
        onEvent: (e) => {
          if (e.type === 'message') reporter.message(e.severity, e.message, e.timestamp);
          else if (e.type === 'summary') {
            reporter.summary(e.summary);
            hub?.heartbeat(e.summary);
          }
        },
      });
      const unhook = onSignals(() => wrapper, () => (interrupted = true));
      const running = wrapper.run();
      void hub?.register({ ident, layer: 'wrapper', address: () => wrapper.address, token });
      const outcome = await running;
      unhook();
      const exitCode = interrupted ? 130 : outcome.result === JobResult.SUCCESS ? 0 : 1;
      await hub?.complete(outcome.dbFile, outcome.result, outcome.summary);
      reporter.end({
        result: outcome.result,
        summary: outcome.summary,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        tracking,
        wallSeconds: (Date.now() - started) / 1000,
        interrupted,
        exitCode,
        code: outcome.code,
        expectedJobs: 1,
      });
      return exitCode;
    }

    const schedArgs = parseSchedulerArgs(flags.schedArg);
    const { createTier, checkResources } = await import('@gator/tier');
    const scheduler = await createScheduler(flags.scheduler, {
      options: schedArgs,
      token,
      onEvent: (e) => {
        if (flags.verbose || e.level === 'warning' || e.level === 'error') {
          reporter.note(e.level === 'error' ? 40 : e.level === 'warning' ? 30 : 10, `[scheduler ${flags.scheduler}] ${e.message}`);
        }
      },
    });
    const problems = checkResources(spec, scheduler);
    if (problems.length > 0) {
      await scheduler.close();
      throw new SchedulerError('GATOR_SCHEDULER_RESOURCES', scheduler.name, `The spec asks for more than this scheduler can ever give:\n  ${problems.join('\n  ')}`, {
        hint: 'Lower the requests in the spec, or give the scheduler more (e.g. --sched-arg concurrency=N, --sched-arg licenses=NAME:COUNT).',
      });
    }
    let only: ((p: string[]) => boolean | 'descend') | undefined;
    let command = childCommand();
    if (previous) {
      const rerun = await import('../rerun.js');
      const selection = rerun.rerunSelection(previous, spec);
      if (selection.whole.length === 0) {
        await scheduler.close();
        reporter.note(Severity.INFO, `Nothing to rerun: every job of ${path.relative(ctx.cwd, previous) || previous} passed.`);
        return 0;
      }
      reporter.note(Severity.INFO, `Rerunning ${selection.whole.length} failed, lost or skipped job${selection.whole.length === 1 ? '' : 's'} (and dependants) of ${path.relative(ctx.cwd, previous) || previous}`);
      command = [...command, '--rerun-select', rerun.writeSelection(tracking, selection)];
      only = rerun.selector(selection);
    }
    const tier = createTier({
      spec: { ...(spec as JobGroup | JobArray), ident },
      ident,
      tracking,
      scheduler,
      schedulerName: schedulerNameForChildren(flags.scheduler, ctx.cwd),
      schedArgs,
      childCommand: command,
      ...(only ? { only } : {}),
      limits: limitsOf(flags),
      interval: flags.interval,
      allMsg: flags.allMsg,
      token,
      cwd: ctx.cwd,
      ...serverHosts(scheduler, flags),
      onEvent: (e) => {
        switch (e.type) {
          case 'message':
            reporter.message(e.severity, e.message, e.timestamp, e.path && !(e.path.length === 1 && e.path[0] === ident) ? e.path : undefined);
            break;
          case 'summary':
            reporter.summary(e.summary);
            hub?.heartbeat(e.summary);
            break;
          case 'child':
            // Skipped jobs arrive with the roll-up (at any depth); lost ones only here.
            if (e.kind === 'job' && e.state === 'lost') {
              reporter.job({ path: e.path, state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
            }
            break;
          default:
            break;
        }
      },
    });
    const unhook = onSignals(() => tier, () => (interrupted = true));
    let outcome;
    try {
      const running = tier.run();
      void hub?.register({ ident, layer: 'tier', address: () => tier.address, token });
      outcome = await running;
    } finally {
      unhook();
      await scheduler.close();
    }
    const exitCode = interrupted ? 130 : exitCodeFor(outcome.result, outcome.summary);
    await hub?.complete(outcome.dbFile, outcome.result, outcome.summary);
    reporter.end({
      result: outcome.result,
      summary: outcome.summary,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      tracking,
      wallSeconds: (Date.now() - started) / 1000,
      interrupted,
      exitCode,
      expectedJobs: expectedJobs(spec),
    });
    return exitCode;
  } finally {
    reporter.close();
    await hub?.close();
  }
}

/** Append a fatal error of a child process to `<tracking>/error.log` (its console goes nowhere). */
function recordChildError(tracking: string | undefined, error: unknown): void {
  if (!tracking) return;
  try {
    fs.mkdirSync(tracking, { recursive: true, mode: 0o700 });
    const text = isGatorError(error) ? `${error.code}: ${error.message}${error.hint ? `\n${error.hint}` : ''}` : String((error as Error)?.stack ?? error);
    fs.appendFileSync(path.join(tracking, 'error.log'), `[${new Date().toISOString()}] ${text}\n`, { mode: 0o600 });
  } catch {
    /* nothing more we can do; stderr still gets it */
  }
}

/** A child layer: fetch the spec from the parent, then run as a wrapper or a tier. */
export async function runChild(specPath: string | undefined, flags: RunFlags, ctx: RunContext): Promise<number> {
  const id = flags.id;
  if (!id) throw new UsageError('--parent needs --id (the child id the parent knows this layer by).');
  const tracking = path.resolve(ctx.cwd, flags.tracking ?? id);
  const token = process.env[ENV.TOKEN];
  let parent: Connection | undefined;
  try {
    parent = await connect(flags.parent!, { ...(token ? { token } : {}), requestTimeoutMs: 60_000 });
    let spec: Spec;
    if (specPath) {
      spec = loadSpecFile(path.resolve(ctx.cwd, specPath));
    } else {
      const reply = await parent.request('spec', { ident: id });
      spec = loadSpec(reply.spec, `<spec of '${id}' from ${flags.parent}>`);
    }
    const limits = limitsOf(flags);
    let stoppable: Stoppable | undefined;
    const unhook = onSignals(() => stoppable, () => undefined);
    try {
      if (spec.kind === 'job') {
        const { createWrapper } = await import('@gator/wrapper');
        const wrapper = createWrapper({
          spec: { ...(spec as Job), ident: id },
          ident: id,
          tracking,
          parent,
          limits,
          interval: flags.interval,
          allMsg: flags.allMsg,
          ...(token ? { token } : {}),
          ...(flags.host ? { host: flags.host } : {}),
          ...(flags.advertiseHost ? { advertiseHost: flags.advertiseHost } : {}),
        });
        stoppable = wrapper;
        const outcome = await wrapper.run();
        return outcome.result === JobResult.SUCCESS ? 0 : 1;
      }
      const schedArgs = parseSchedulerArgs(flags.schedArg);
      const { createTier } = await import('@gator/tier');
      let only: ((p: string[]) => boolean | 'descend') | undefined;
      let command = childCommand();
      if (flags.rerunSelect) {
        const rerun = await import('../rerun.js');
        only = rerun.selector(rerun.readSelection(flags.rerunSelect));
        command = [...command, '--rerun-select', flags.rerunSelect];
      }
      let scheduler: Scheduler | undefined;
      try {
        scheduler = await createScheduler(flags.scheduler, { options: schedArgs, ...(token ? { token } : {}) });
        const tier = createTier({
          spec: { ...(spec as JobGroup | JobArray), ident: id },
          ident: id,
          tracking,
          parent,
          scheduler,
          schedulerName: flags.scheduler,
          schedArgs,
          childCommand: command,
          ...(only ? { only } : {}),
          limits,
          interval: flags.interval,
          allMsg: flags.allMsg,
          ...(token ? { token } : {}),
          cwd: ctx.cwd,
          ...serverHosts(scheduler, flags),
        });
        stoppable = tier;
        const outcome = await tier.run();
        return outcome.result === JobResult.SUCCESS ? 0 : 1;
      } finally {
        await scheduler?.close();
      }
    } finally {
      unhook();
    }
  } catch (error) {
    recordChildError(tracking, error);
    throw error;
  } finally {
    parent?.close();
  }
}


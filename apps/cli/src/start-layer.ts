/**
 * Start one layer of a run, root or child alike: a `!Job` becomes a wrapper,
 * a `!JobGroup`/`!JobArray` a tier with its scheduler. The root and the child
 * entry points differ only in where the spec comes from and what they do
 * with the outcome (render it, or just exit); this is what they share.
 */
import type { Connection, GoSignal, JobArray, JobGroup, Job, Scheduler, SchedulerContext, Spec } from '@gator/protocol';
import type { InProcessRunner } from '@gator/scheduler-local';
import type { TierEvent, TierOutcome } from '@gator/tier';
import type { WrapperEvent, WrapperOutcome } from '@gator/wrapper';
import { childCommandFor, cliCommand, isOwnChildCommand } from './child-command.js';
import type { RunOptions } from './options.js';
import { createScheduler, schedulerNameForChildren } from './schedulers.js';

export interface LayerStart {
  spec: Spec;
  /** This layer's id (`--id`, the spec's ident, or the root's pid). */
  ident: string;
  tracking: string;
  options: RunOptions;
  /** The run's read token: this layer's server lets its holders read; children get it in their credential file. */
  token: string | undefined;
  /** The connection to the parent tier (children only). */
  parent?: Connection | undefined;
  cwd: string;
  /** What the layer emits (the root renders it). */
  onWrapperEvent?: (event: WrapperEvent) => void;
  onTierEvent?: (event: TierEvent) => void;
  onSchedulerEvent?: SchedulerContext['onEvent'];
  /**
   * Before a tier runs, with its scheduler: the root checks resources and
   * works out a rerun's selection. `false` ends the layer without running it.
   */
  prepare?: (scheduler: Scheduler) => Promise<Prepared | false>;
  /** The layer is running (its server address, once listening, for a hub). */
  onRunning?: (layer: { kind: 'tier' | 'wrapper'; address: () => string | undefined }) => void;
  /** SIGINT/SIGTERM reached this process (the layer is asked to stop). */
  onInterrupt?: () => void;
  /** How this process hosts job wrappers (`--sched-arg wrappers=inprocess` of the local scheduler). */
  inProcess?: InProcessRunner;
  /** This wrapper was started before its slot was free and waits for the go (a child process only). */
  go?: GoSignal;
}

/** What `prepare` decided for a tier: which children run, with what, and what the tier records. */
export interface Prepared {
  only?: (childPath: string[]) => boolean | 'descend';
  /** A rerun's recorded environment (and seed) per job. */
  childEnv?: (childPath: string[]) => Record<string, string> | undefined;
  /** The rerun selection file children apply. */
  rerunSelect?: string;
  /** Attributes the tier writes when it starts (`rerun_of`). */
  attributes?: Record<string, string>;
}

export type LayerResult =
  | { kind: 'wrapper'; outcome: WrapperOutcome }
  | { kind: 'tier'; outcome: TierOutcome }
  | { kind: 'nothing' };

type Stoppable = { stop(reason?: string): void };

/** SIGINT/SIGTERM stop the layer once; a third Ctrl-C ends the process at once. */
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

/**
 * Where a tier's server listens and what it tells children: loopback by default;
 * a remote scheduler (children on other hosts) says where they can reach it
 * (`listenHost`/`advertiseHost`, e.g. Slurm's `--sched-arg host=`); the flags win.
 */
function serverHosts(scheduler: Scheduler | undefined, options: RunOptions): { host?: string; advertiseHost?: string } {
  const remote = scheduler?.capabilities.remote ? scheduler : undefined;
  const host = options.identity.host ?? remote?.listenHost;
  const advertiseHost = options.identity.advertiseHost ?? remote?.advertiseHost;
  return { ...(host ? { host } : {}), ...(advertiseHost ? { advertiseHost } : {}) };
}

export async function startLayer(start: LayerStart): Promise<LayerResult> {
  const { options, token } = start;
  const { settings } = options;
  const common = {
    ident: start.ident,
    tracking: start.tracking,
    ...(start.parent ? { parent: start.parent } : {}),
    limits: settings.limits,
    interval: settings.interval,
    allMsg: settings.allMsg,
    ...(token ? { token } : {}),
    ...(options.root.allowTokenless ? { allowTokenless: true } : {}),
  };
  let stoppable: Stoppable | undefined;
  const unhook = onSignals(() => stoppable, () => start.onInterrupt?.());
  try {
    if (start.spec.kind === 'job') {
      const { createWrapper } = await import('@gator/wrapper');
      const wrapper = createWrapper({
        ...common,
        spec: { ...(start.spec as Job), ident: start.ident },
        // The job reaches this wrapper with `gator log` / `gator metric`, this same CLI.
        jobCli: cliCommand(),
        ...(start.go ? { go: start.go } : {}),
        ...serverHosts(undefined, options),
        ...(start.onWrapperEvent ? { onEvent: start.onWrapperEvent } : {}),
      });
      stoppable = wrapper;
      const running = wrapper.run();
      start.onRunning?.({ kind: 'wrapper', address: () => wrapper.address });
      return { kind: 'wrapper', outcome: await running };
    }

    const { createTier } = await import('@gator/tier');
    // Set once the tier exists (the scheduler is made first); a wrapper cannot start before.
    let tier: ReturnType<typeof createTier> | undefined;
    const scheduler = await createScheduler(
      settings.scheduler,
      // No run secret for the scheduler: a shared pool (local) makes a secret of its own.
      { options: settings.schedArgs, ...(start.onSchedulerEvent ? { onEvent: start.onSchedulerEvent } : {}) },
      start.cwd,
      {
        ...(start.inProcess ? { inProcess: start.inProcess } : {}),
        // This CLI's wrappers wait for the go: the local scheduler starts them before their slot is free.
        goChannel: (request) => isOwnChildCommand(request.command),
        // …and link to this tier on that channel (no websocket client in a wrapper).
        uplink: (request, socket) => tier?.adoptChild(request.id, socket) ?? false,
        // This CLI's children give themselves back what they are started without (child-entry.ts).
        carriesEnv: (request) => isOwnChildCommand(request.command),
      },
    );
    try {
      const prepared = start.prepare ? await start.prepare(scheduler) : {};
      if (prepared === false) return { kind: 'nothing' };
      const root = { ...options.root, ...(prepared.rerunSelect ? { rerunSelect: prepared.rerunSelect } : {}) };
      const created = createTier({
        ...common,
        spec: { ...(start.spec as JobGroup | JobArray), ident: start.ident },
        scheduler,
        schedulerName: schedulerNameForChildren(settings.scheduler, start.cwd),
        schedArgs: settings.schedArgs,
        // Children of a remote scheduler may run under another Node: no startup snapshot for them.
        childCommand: childCommandFor(root, !scheduler.capabilities.remote),
        ...(prepared.only ? { only: prepared.only } : {}),
        ...(prepared.childEnv ? { childEnv: prepared.childEnv } : {}),
        ...(prepared.attributes ? { attributes: prepared.attributes } : {}),
        cwd: start.cwd,
        ...serverHosts(scheduler, options),
        ...(start.onTierEvent ? { onEvent: start.onTierEvent } : {}),
      });
      tier = created;
      stoppable = created;
      const running = created.run();
      start.onRunning?.({ kind: 'tier', address: () => created.address });
      return { kind: 'tier', outcome: await running };
    } finally {
      await scheduler.close();
    }
  } finally {
    unhook();
  }
}

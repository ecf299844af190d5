/**
 * What a tier answers on the wire (protocol.md §5): its server for its
 * children (spec, register, update, complete, log) and for readers
 * (children, get_messages, resolve), and its side of the connection to its
 * own parent (stop, resolve, get_tree, update_scheduler_opts). Both handler
 * sets are typed from `SERVED_BY`, so a missing one fails to compile.
 */
import fs from 'node:fs';
import type { LayerStore, MessagePages } from '@gator/db';
import {
  JOB_STATE_NAMES,
  JobResult,
  JobState,
  PROTOCOL_VERSION,
  PYTHON_HEARTBEAT_SECONDS,
  dumpSpec,
  Severity,
  type ApiJob,
  type Connection,
  type HandlersFor,
  type LayerPlace,
  type Principal,
  type RequestPayload,
  type Summary,
} from '@gator/protocol';
import type { ChildRecord, ChildTable } from './children.js';
import type { Orchestrator } from './orchestrator.js';
import { notStartedError, resolveFromDb, unknownChildError, type ResolveQuery } from './resolve.js';
import { jobsOf } from './tally.js';

export interface ServeContext {
  readonly ident: string;
  readonly children: ChildTable;
  readonly orchestrator: Orchestrator;
  readonly messages: MessagePages;
  /** Silence (ms) after which a started child is lost. */
  readonly lostAfterMs: number;
  store(): LayerStore;
  /** This tier's place in the tree (from its parent's `register` answer). */
  place(): LayerPlace;
  log(severity: number, message: string): void;
  /** A message a child forwarded (`--all-msg`). */
  relay(payload: RequestPayload<'log'>, senderPath: string[] | undefined): void;
  childStarted(rec: ChildRecord): void;
  /** A child tier's update shows a job of its own under way (running or ended): its start-up is over. */
  tierUnderway(rec: ChildRecord): void;
  changed(): void;
  stopping(): boolean;
  stop(reason: string): void;
  /** The tier's description of itself (`resolve` with an empty path), without children. */
  describe(): ApiJob;
  /** `--sched-arg` options this tier runs with. */
  schedArgs(): Record<string, string>;
  /** Layers (tiers and jobs) under a child, itself included: the bound of its `sub_*` counts. */
  layersOf(rec: ChildRecord): number;
}

/** True when a summary shows a job that runs or has ended (a Python Gator child has no `jobs` tally: its counts). */
export function jobsUnderway(summary: Summary): boolean {
  if (summary.running_ids.length > 0 || (summary.ends?.length ?? 0) > 0) return true;
  if (summary.jobs) return summary.jobs.pending < summary.jobs.total;
  // Its `sub_active` counts pending jobs too: only the ended ones tell.
  const m = summary.metrics;
  return (m.sub_passed ?? 0) + (m.sub_failed ?? 0) > 0;
}

/** Seconds, as the records store them. */
const now = () => Date.now() / 1000;
/** Reply timeout of a query passed down to a child. */
const QUERY_TIMEOUT_MS = 10_000;

function pathOfChild(ctx: ServeContext, rec: ChildRecord): string[] {
  return [...ctx.place().path, ctx.ident, rec.id];
}

/** A request a connection may not send: refused, and recorded (never counted against a job). */
class Refused extends Error {}

/** Counts a summary may not exceed: what the tier launched under the child (`null`: within bounds). */
export function overclaim(ctx: Pick<ServeContext, 'layersOf'>, rec: ChildRecord, summary: Summary): string | null {
  const jobs = jobsOf(rec);
  const layers = ctx.layersOf(rec);
  if (summary.jobs) {
    for (const [name, n] of Object.entries(summary.jobs)) if (n > jobs) return `${n} ${name} jobs, more than the ${jobs} it has`;
  }
  for (const name of ['sub_total', 'sub_active', 'sub_passed', 'sub_failed', 'sub_skipped', 'sub_lost', 'sub_unselected'] as const) {
    const n = summary.metrics[name] ?? 0;
    if (n > layers) return `${name} ${n}, more than the ${layers} layers it has`;
  }
  if (summary.failed_ids.length > jobs) return `${summary.failed_ids.length} failed ids, more than the ${jobs} jobs it has`;
  if (summary.running_ids.length > jobs) return `${summary.running_ids.length} running ids, more than the ${jobs} jobs it has`;
  return null;
}

/**
 * The handlers of the tier's server, for one connection (a child, or a reader).
 * Who it is (`principal`) bounds what it may send: a reader only reads; a child
 * acts only as the ident its credential was made for; `update` and `complete`
 * come only on the connection the child registered on, with counts no greater
 * than what the tier launched under it. A refusal is an error reply and a
 * WARNING of this tier, naming who tried what.
 */
export function childHandlers(ctx: ServeContext, connection: Connection, principal: Principal): HandlersFor<'tierServer'> {
  const { children } = ctx;
  const refuse = (action: string, why: string): never => {
    ctx.log(Severity.WARNING, `Refused '${action}' from ${describe(principal)}: ${why}`);
    throw new Refused(`Refused '${action}': ${why}`);
  };
  /** The child `ident` names, if this connection may act as it. */
  const actingAs = (action: string, ident: string): ChildRecord => {
    if (principal.role === 'reader') refuse(action, 'the run\'s read token only reads');
    if (principal.role === 'job') refuse(action, 'a job credential reaches only its own wrapper');
    if (principal.role === 'child' && principal.ident !== ident) refuse(action, `this connection may act only as '${principal.ident}', not as '${ident}'`);
    return children.lookup(ident);
  };
  /** `update`/`complete` only on the connection the child registered on. */
  const registeredHere = (action: string, rec: ChildRecord): void => {
    const bound = rec.live?.connection;
    if (bound && bound !== connection) refuse(action, `'${rec.id}' registered on another connection`);
  };
  const withinBounds = (action: string, rec: ChildRecord, summary: Summary): void => {
    const over = overclaim(ctx, rec, summary);
    if (over) refuse(action, `'${rec.id}' claims ${over}`);
  };
  const handlers: HandlersFor<'tierServer'> = {
    spec: ({ ident }) => {
      const rec = actingAs('spec', ident);
      // A pre-started wrapper may ask just as the run's stop skipped it: no error of this tier.
      if (rec?.state === JobState.COMPLETE && ctx.stopping()) throw new Error(`Child '${ident}' was stopped before it started`);
      const spec = rec?.live?.spec;
      if (!spec || (rec.state !== JobState.LAUNCHED && rec.state !== JobState.STARTED)) {
        ctx.log(Severity.ERROR, `Bad child ident ${ident} asked for its spec`);
        throw new Error(`Bad child ident ${ident}`);
      }
      return { spec: dumpSpec(spec) };
    },
    register: ({ ident, server, protocol, started }) => {
      const rec = actingAs('register', ident);
      if (rec.state === JobState.COMPLETE) {
        connection.post('stop', {});
        throw new Error(`Child '${ident}' has already been given up on (${rec.reason ?? 'complete'})`);
      }
      if (rec.state === JobState.PENDING) throw new Error(`Bad child ident ${ident}`);
      // A second registration while the first connection is open would take the child's channel.
      if (rec.state === JobState.STARTED && rec.live?.connection?.isOpen && rec.live.connection !== connection)
        refuse('register', `'${ident}' is registered already, on another connection`);
      if (rec.state === JobState.STARTED) ctx.log(Severity.ERROR, `Child '${ident}' registered twice`);
      children.attach(rec, connection);
      rec.live!.lastHeard = Date.now();
      // A child that sends no version is Python Gator: its tiers beat every 5 s, whatever --interval says.
      if (protocol === undefined) rec.live!.lostAfterMs = Math.max(ctx.lostAfterMs, 3 * PYTHON_HEARTBEAT_SECONDS * 1000);
      const t = now();
      // The child's own start when it says it (a job wrapper: its go, before this request; the
      // job's own `started`), never later than now: so the row, the job and every view agree.
      const start = started !== undefined && Number.isFinite(started) ? Math.min(started, t) : t;
      rec.state = JobState.STARTED;
      rec.serverUrl = server;
      rec.started = start;
      rec.updated = t;
      ctx.store().updateChild(rec.uidx, { serverUrl: server, started: start, updated: t });
      ctx.childStarted(rec);
      ctx.changed();
      // A stop that came before this child could hear it.
      if (ctx.stopping()) setImmediate(() => connection.post('stop', {}));
      const place = ctx.place();
      // `protocol`: this parent's version, so the child may send Gator's extensions (Python's reply has none).
      return { path: [...place.path, ctx.ident], root: place.root, uidx: rec.uidx, protocol: PROTOCOL_VERSION };
    },
    update: ({ ident, summary, result }) => {
      const rec = actingAs('update', ident);
      if (rec.state === JobState.COMPLETE) throw new Error('Child sent update after completion');
      registeredHere('update', rec);
      withinBounds('update', rec, summary);
      if (rec.state !== JobState.STARTED) ctx.log(Severity.ERROR, `Child '${ident}' sent an update before registering`);
      const live = rec.live!;
      ctx.orchestrator.ends.takeFrom(live, summary);
      live.summary = summary;
      if (rec.kind === 'tier' && jobsUnderway(summary)) ctx.tierUnderway(rec);
      live.dirty = true;
      live.lastHeard = Date.now();
      rec.metrics = summary.metrics;
      rec.result = result as JobResult;
      rec.updated = now();
      ctx.store().updateChild(rec.uidx, { updated: rec.updated, result });
      ctx.changed();
      return {};
    },
    complete: ({ ident, result, summary, reason, stopped }) => {
      const rec = actingAs('complete', ident);
      if (rec.state === JobState.COMPLETE) throw new Error('Child sent a second completion message');
      registeredHere('complete', rec);
      withinBounds('complete', rec, summary);
      if (rec.live) ctx.orchestrator.ends.takeFrom(rec.live, summary);
      if ((summary.metrics.sub_active ?? 0) !== 0) {
        ctx.log(Severity.ERROR, `Child '${ident}' reported ${summary.metrics.sub_active} active jobs on completion`);
        if (rec.live) rec.live.summary = summary;
        ctx.orchestrator.lose(rec, 'reported active jobs on completion');
        throw new Error('Child reported active jobs on completion');
      }
      const r = result as JobResult;
      ctx.orchestrator.finish(rec, r, summary, r === JobResult.SUCCESS ? 'passed' : r === JobResult.ABORTED ? 'stopped' : 'failed', reason, undefined, stopped);
      return {};
    },
    children: () => ({ children: children.list({ ...ctx.place(), ident: ctx.ident }), status: JobState.STARTED }),
    log: (payload) => {
      if (principal.role === 'reader' || principal.role === 'job') refuse('log', principal.role === 'reader' ? 'the run\'s read token only reads' : 'a job credential reaches only its own wrapper');
      const given = (payload as { path?: unknown }).path;
      const from = children.onConnection(connection);
      const senderPath =
        Array.isArray(given) && given.every((p) => typeof p === 'string') ? (given as string[]) : from ? pathOfChild(ctx, from) : undefined;
      ctx.relay(payload, senderPath);
      return {};
    },
    get_messages: ({ after, limit }) => messagesOf(ctx, after ?? 0, limit ?? 10),
    resolve: (q) => resolve(ctx, { rootPath: q.root_path, nestPath: q.nest_path, depth: q.depth ?? 0 }),
  };
  return handlers;
}

function describe(principal: Principal): string {
  switch (principal.role) {
    case 'child':
      return `the connection of child '${principal.ident}'`;
    case 'tokenless':
      return 'a connection without a credential';
    case 'reader':
      return 'a reader';
    case 'job':
      return 'a job';
  }
}

/** What the tier answers on its own connection to its parent. */
export function parentHandlers(ctx: ServeContext): HandlersFor<'tierUplink'> {
  return {
    stop: () => {
      ctx.stop('stopped by the parent tier');
      return {};
    },
    resolve: (q) => resolve(ctx, { rootPath: q.root_path, nestPath: q.nest_path, depth: q.depth ?? 0 }),
    get_tree: () => tree(ctx),
    update_scheduler_opts: ({ options }) => {
      // The local scheduler shares one machine-wide pool: nothing to grant, so the answer is unchanged.
      const current = ctx.schedArgs().concurrency;
      if (!('concurrency' in options)) return {};
      const n = Number(current);
      return Number.isFinite(n) && current !== undefined ? { concurrency: n } : {};
    },
  };
}

function messagesOf(ctx: ServeContext, after: number, limit: number) {
  try {
    return { ...ctx.messages.page(after, limit), status: JobState.STARTED };
  } catch (error) {
    throw new Error(`Cannot read this tier's messages: ${(error as Error).message}`);
  }
}

/** `resolve` (protocol.md §5.5): a path down to a child, or this tier with `depth` levels of children. */
async function resolve(ctx: ServeContext, query: ResolveQuery): Promise<ApiJob> {
  const { rootPath, nestPath, depth } = query;
  const { children } = ctx;
  if (rootPath.length > 0) {
    const rec = children.get(rootPath[0]!);
    if (!rec) throw unknownChildError(rootPath[0]!);
    return resolveChild(ctx, rec, { rootPath: rootPath.slice(1), nestPath, depth }, true);
  }
  const self = ctx.describe();
  const parent = { ...ctx.place(), ident: ctx.ident };
  if (nestPath && nestPath.length > 0) {
    const rec = children.get(nestPath[0]!);
    if (!rec) throw unknownChildError(nestPath[0]!);
    self.children = [await resolveChild(ctx, rec, { rootPath: [], nestPath: nestPath.slice(1), depth }, false)];
  } else if (depth >= 2) {
    const list: ApiJob[] = [];
    for (const rec of children.values()) list.push(await resolveChild(ctx, rec, { rootPath: [], nestPath: null, depth: depth - 1 }, false));
    self.children = list;
  } else if (depth === 1) {
    self.children = [...children.values()].map((rec) => children.shallow(rec, parent));
  }
  return self;
}

/** `strict`: an explicit path through this child (errors are the caller's answer); else fall back to the shallow record. */
async function resolveChild(ctx: ServeContext, rec: ChildRecord, query: ResolveQuery, strict: boolean): Promise<ApiJob> {
  const { children } = ctx;
  try {
    const connection = children.reachable(rec);
    if (connection) {
      return await connection.request(
        'resolve',
        { root_path: [...query.rootPath], nest_path: query.nestPath ? [...query.nestPath] : null, depth: query.depth },
        { timeoutMs: QUERY_TIMEOUT_MS },
      );
    }
    if (rec.state === JobState.COMPLETE) {
      const dbFile = children.dbFileOf(rec);
      if (fs.existsSync(dbFile)) return resolveFromDb(dbFile, query);
      if (query.rootPath.length === 0) return children.shallow(rec, { ...ctx.place(), ident: ctx.ident });
    }
    throw notStartedError(rec.id);
  } catch (error) {
    if (strict) throw error;
    return children.shallow(rec, { ...ctx.place(), ident: ctx.ident });
  }
}

/** `get_tree`: the state of every launched or started child, nested tiers asked in turn. */
async function tree(ctx: ServeContext): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const rec of ctx.children.live) {
    if (rec.state !== JobState.LAUNCHED && rec.state !== JobState.STARTED) continue;
    const connection = ctx.children.reachable(rec);
    if (rec.kind === 'tier' && connection) {
      try {
        out[rec.id] = await connection.request('get_tree', {}, { timeoutMs: QUERY_TIMEOUT_MS });
        continue;
      } catch {
        // fall back to the state name
      }
    }
    out[rec.id] = JOB_STATE_NAMES[rec.state];
  }
  return out;
}

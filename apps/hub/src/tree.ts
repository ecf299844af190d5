/**
 * What the hub knows about any node of any run: its ApiJob (with a page of its
 * children), its messages, its details. Live runs are asked over their root's
 * websocket (`resolve`, `get_messages`, protocol.md §5.2/§5.5); finished runs, and
 * finished layers of live runs, are read from their db.sqlite files.
 */
import { METRIC_SCOPES, JobResult, JobState, type ApiJob, type ApiMessage, type JobOutcome, type JobTally, type Summary, isGatorError } from '@gator/protocol';
import { isOldNoticeLine, type ChildRow, type MessageCounts } from '@gator/db';
import { HubError } from './errors.js';
import { childDbFile, isFile, type CachedLayer, type LayerFiles } from './files.js';
import type { LiveLayers } from './live.js';
import { reproOf, safeAttributes, type Repro } from './repro.js';
import type { RunRecord } from './repository/index.js';
import { RunTallyCache, nodeKey, type RunHeadline, type RunTallies } from './run-tallies.js';
import type { ChildFilter, ChildSort, MessageQuery } from './schemas.js';
import { sortChildren } from './child-order.js';

/** An ApiJob as the hub serves it: Python's fields plus a few Gator extensions. */
export interface HubJob extends ApiJob {
  /** Children matching the filter, before paging (Gator extension). */
  children_total?: number;
  layer?: 'tier' | 'wrapper';
  /** True while the layer is asked over its websocket. */
  live?: boolean;
  /** Its jobs by outcome, from the run model (tiers never counted; Gator extension). */
  jobs?: JobTally;
  /** Its one outcome in the run model (a job's: passed, failed, lost, skipped, stopped, running, pending). */
  outcome?: JobOutcome;
  /** Its messages by severity in the run model (never Gator's notices). */
  messages?: MessageCounts;
  /** Why it did not pass, in the run model's words (Gator extension). */
  reason?: string;
  /** A job that passed only on a retry: flaky (counted as passed; Gator extension). */
  flaky?: true;
}

export interface NodeRef {
  run: RunRecord;
  /** Child idents below the root (the root itself is `[]`). */
  rootPath: string[];
}

export interface ResolveOptions {
  depth: number;
  nestPath: string[] | null;
  offset: number;
  limit?: number;
  only: ChildFilter;
  /** Order of the children before paging (default: the tree's). */
  sort?: ChildSort;
  desc?: boolean;
}

export interface MessagesReply {
  messages: ApiMessage[];
  /** All messages of the layer (Python's meaning). */
  total: number;
  /** JobState: 2 while the layer is live, 3 once read from its file. */
  status: number;
  /** Messages matching the filters (equals total without filters). */
  matched?: number;
  /** Continue with `after=next_after`: the last uid looked at (filters may skip many). */
  next_after: number;
  /** Read from the end (`tail`): continue backwards with `before=prev_before` (0: nothing before). */
  prev_before?: number;
}

export interface NodeDetail {
  job: HubJob;
  attributes: Record<string, string>;
  summary: Summary | null;
  repro: Repro | null;
  /** The layer's first error/critical messages. */
  errors: ApiMessage[];
  /** Last resource samples of a wrapper's job. */
  procStats: { nproc: number; cpu: number; mem: number; vmem: number; timestamp: number }[];
}

interface Located {
  dbFile: string | undefined;
  recordedDb: string;
  ident: string;
  path: string[];
  uidx: number;
  /** The parent's ChildEntry row (undefined for the root). */
  row: ChildRow | undefined;
  rowMetrics: Record<string, number> | undefined;
}

const LIVE_PAGE = 1000;
const LIVE_SCAN_PAGES = 20;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function matchesFilter(job: { status: number; result: number }, only: ChildFilter): boolean {
  switch (only) {
    case 'all':
      return true;
    case 'failed':
      return job.result === JobResult.FAILURE;
    case 'passed':
      return job.result === JobResult.SUCCESS;
    case 'aborted':
      return job.result === JobResult.ABORTED;
    case 'running':
      return job.result === JobResult.UNKNOWN && (job.status === JobState.STARTED || job.status === JobState.LAUNCHED);
    case 'pending':
      return job.result === JobResult.UNKNOWN && job.status === JobState.PENDING;
  }
}

function num(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '' || text === 'None') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function parseSummary(text: string | undefined): Summary | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Summary;
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** A small time-based cache of promises (shared polls, resolved addresses). */
export class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  constructor(private readonly ttlMs: number) {}
  get(key: string, make: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = make();
    this.entries.set(key, { at: now, value });
    value.catch(() => this.entries.delete(key));
    if (this.entries.size > 2000) {
      for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
    }
    return value;
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

type Target =
  | { kind: 'file'; dbFile: string; volatile: boolean }
  | { kind: 'ws'; address: string; job: HubJob | undefined }
  | { kind: 'none'; job: HubJob };

export class TreeService {
  private readonly targets = new TtlCache<Target>(10_000);
  private readonly tallies = new RunTallyCache();

  constructor(
    private readonly files: LayerFiles,
    private readonly live: LiveLayers,
  ) {}

  /** True when the run is read from files (completed, or its root is gone but left a db_file). */
  static isFinished(run: RunRecord): boolean {
    return run.completion !== null;
  }

  // ------------------------------------------------------------------ resolve

  async resolve(ref: NodeRef, options: ResolveOptions): Promise<HubJob> {
    return this.withTallies(ref.run, await this.resolveNodes(ref, options), options.depth);
  }

  /** The run model's tallies of a run (undefined when its files are not readable from here). */
  runTallies(run: RunRecord): RunTallies | undefined {
    return this.tallies.get(run);
  }

  /** A run's verdict and jobs by outcome, read no further than they need (the runs list, a spec's trend). */
  runHeadline(run: RunRecord): RunHeadline | undefined {
    return this.tallies.headline(run);
  }

  /** Every node of a reply gets its job tally and outcome from the run model. */
  private withTallies(run: RunRecord, job: HubJob, depth = 0): HubJob {
    const model = this.tallies.get(run);
    const visit = (j: HubJob, level: number) => {
      // `path` holds the idents above the node, the root's first.
      const key = nodeKey([...j.path, j.ident].slice(1));
      const known = model?.nodes.get(key);
      if (known) {
        j.jobs = known.jobs;
        j.outcome = known.outcome;
        j.messages = known.messages;
        if (known.reason) j.reason = known.reason;
        if (known.flaky) j.flaky = true;
      } else if (key === '' && run.summary?.jobs) {
        j.jobs = run.summary.jobs;
      }
      // A subtree that never started: its layers, as the model lists them from the spec.
      if (j.children.length === 0 && known?.neverStarted && level < depth) {
        j.children = known.neverStarted.map(
          (c): HubJob => ({
            uidx: 0,
            root: run.uid,
            path: [...j.path, j.ident],
            ident: c.ident,
            status: JobState.COMPLETE,
            metrics: {},
            server_url: '',
            db_file: '',
            owner: null,
            started: null,
            updated: null,
            stopped: null,
            result: JobResult.ABORTED,
            children: [],
            expected_children: c.kind === 'tier',
            layer: c.kind === 'tier' ? 'tier' : 'wrapper',
            live: false,
          }),
        );
      }
      for (const child of j.children as HubJob[]) visit(child, level + 1);
    };
    visit(job, 0);
    return job;
  }

  private async resolveNodes(ref: NodeRef, options: ResolveOptions): Promise<HubJob> {
    const { run } = ref;
    if (run.completion) return this.resolveFromFiles(ref, options, false);
    try {
      return await this.resolveLive(ref, options);
    } catch (error) {
      if (this.rootUnreachable(error) && run.dbFile && isFile(run.dbFile)) return this.resolveFromFiles(ref, options, true);
      throw this.liveError(run, error);
    }
  }

  private rootUnreachable(error: unknown): boolean {
    return isGatorError(error) && (error.code === 'GATOR_PROTOCOL_CLOSED' || error.code === 'GATOR_PROTOCOL_TIMEOUT');
  }

  private liveError(run: RunRecord, error: unknown): unknown {
    if (this.rootUnreachable(error) || (isGatorError(error) && error.code === 'GATOR_PROTOCOL_UNAUTHORIZED')) {
      return new HubError(
        'GATOR_HUB_UNREACHABLE',
        `Run #${run.uid} (${run.ident}) has not completed, but its root at ${run.serverUrl || '(no address)'} does not answer: ${(error as Error).message}`,
        { cause: error, hint: 'the run may have ended without telling the hub, or the hub cannot reach that host' },
      );
    }
    return error;
  }

  private async resolveLive(ref: NodeRef, options: ResolveOptions): Promise<HubJob> {
    const { run } = ref;
    if (!run.serverUrl) throw new HubError('GATOR_HUB_UNREACHABLE', `Run #${run.uid} registered without a server address`);
    // depth >= 2 over the websocket never decrements (protocol.md §5.5): ask one level at a time.
    const depth = Math.min(options.depth, 1);
    const job = (await this.live.request(run.serverUrl, run.token, 'resolve', {
      root_path: ref.rootPath,
      nest_path: options.nestPath && options.nestPath.length > 0 ? options.nestPath : null,
      depth,
    })) as HubJob;
    this.decorateLive(job, options, ref.rootPath.length === 0 ? run : undefined);
    return job;
  }

  private decorateLive(job: HubJob, options: ResolveOptions, root: RunRecord | undefined): void {
    job.live = job.status !== JobState.COMPLETE;
    job.layer ??= typeof job.expected_children === 'number' && job.expected_children > 0 ? 'tier' : job.children.length > 0 ? 'tier' : 'wrapper';
    if (root) {
      job.owner = root.owner;
      job.root = root.uid;
    }
    const filtered = this.ordered(job.children.filter((c) => matchesFilter(c, options.only)) as HubJob[], options);
    job.children_total = filtered.length;
    job.children = options.limit === undefined ? filtered.slice(options.offset) : filtered.slice(options.offset, options.offset + options.limit);
    for (const child of job.children as HubJob[]) {
      child.live = child.status !== JobState.COMPLETE;
      child.layer ??= typeof child.expected_children === 'number' && child.expected_children > 0 ? 'tier' : 'wrapper';
      if (child.children.length > 0) this.decorateLive(child, options, undefined);
    }
  }

  private locateFinished(ref: NodeRef, volatile: boolean): Located {
    const { run } = ref;
    const rootDb = run.completion?.dbFile || run.dbFile || '';
    if (!rootDb || !isFile(rootDb)) {
      throw new HubError('GATOR_HUB_NOT_FOUND', `The database of run #${run.uid} (${rootDb || 'no path recorded'}) is missing`, {
        hint: 'its tracking directory was moved or deleted, or the hub does not see the same filesystem as the run',
      });
    }
    let loc: Located = { dbFile: rootDb, recordedDb: rootDb, ident: run.ident, path: [], uidx: run.uid, row: undefined, rowMetrics: undefined };
    for (const seg of ref.rootPath) {
      const where = [...loc.path, loc.ident].join('.');
      if (!loc.dbFile) throw new HubError('GATOR_HUB_NOT_FOUND', `Job ${where} never started, so it has no job '${seg}'`);
      const layer = this.files.open(loc.dbFile, volatile);
      try {
        const row = layer.childIndex.get(seg);
        if (!row) throw new HubError('GATOR_HUB_NOT_FOUND', `No job '${seg}' in ${where} (run #${run.uid})`);
        loc = {
          dbFile: childDbFile(row, loc.recordedDb, loc.dbFile),
          recordedDb: row.dbFile,
          ident: seg,
          path: [...loc.path, loc.ident],
          uidx: row.uidx,
          row,
          rowMetrics: layer.metricsByScope.get(seg),
        };
      } finally {
        if (volatile) this.files.release(layer);
      }
    }
    return loc;
  }

  private resolveFromFiles(ref: NodeRef, options: ResolveOptions, volatile: boolean): HubJob {
    const loc = this.locateFinished(ref, volatile);
    const job = this.describeFile(ref.run, loc, options, options.depth, options.nestPath ?? [], volatile, !volatile);
    if (ref.rootPath.length === 0) job.owner = ref.run.owner;
    return job;
  }

  private shallow(run: RunRecord, row: ChildRow, path: string[], metrics: Record<string, number> | undefined, runFinished: boolean): HubJob {
    const status =
      row.stopped !== null || row.result !== JobResult.UNKNOWN
        ? JobState.COMPLETE
        : row.started !== null
          ? runFinished
            ? JobState.COMPLETE
            : JobState.STARTED
          : JobState.PENDING;
    return {
      uidx: row.uidx,
      root: run.uid,
      path,
      ident: row.ident,
      status,
      metrics: metrics ?? {},
      server_url: row.serverUrl,
      db_file: row.dbFile,
      owner: null,
      started: row.started,
      updated: row.updated,
      stopped: row.stopped,
      result: row.result,
      children: [],
      expected_children: row.expectedChildren,
      layer: row.expectedChildren > 0 ? 'tier' : 'wrapper',
      live: false,
    };
  }

  private describeFile(
    run: RunRecord,
    loc: Located,
    options: ResolveOptions,
    depth: number,
    nestPath: string[],
    volatile: boolean,
    runFinished: boolean,
  ): HubJob {
    if (!loc.dbFile) {
      // Never started (pruned, or its file is gone): what its parent recorded is all there is.
      if (!loc.row) throw new HubError('GATOR_HUB_NOT_FOUND', `Job ${loc.ident} has no database`);
      const job = this.shallow(run, loc.row, loc.path, loc.rowMetrics, runFinished);
      job.children_total = 0;
      return job;
    }
    const layer = this.files.open(loc.dbFile, volatile);
    try {
      const a = layer.attributes;
      const started = num(a.started) ?? loc.row?.started ?? null;
      const stopped = num(a.stopped) ?? loc.row?.stopped ?? null;
      const job: HubJob = {
        uidx: loc.uidx,
        root: run.uid,
        path: loc.path,
        ident: loc.ident,
        status: volatile && stopped === null ? JobState.STARTED : JobState.COMPLETE,
        metrics: layer.metricsByScope.get(METRIC_SCOPES.group) ?? loc.rowMetrics ?? {},
        server_url: '',
        db_file: loc.dbFile,
        owner: null,
        started,
        updated: stopped ?? num(a.updated) ?? started,
        stopped,
        result: num(a.result) ?? loc.row?.result ?? JobResult.UNKNOWN,
        children: [],
        expected_children: layer.children.length,
        layer: layer.reader.kind,
        live: false,
      };
      if (depth <= 0 && nestPath.length === 0) return job;
      const childPath = [...loc.path, loc.ident];
      const childLoc = (row: ChildRow): Located => ({
        dbFile: childDbFile(row, loc.recordedDb, loc.dbFile as string),
        recordedDb: row.dbFile,
        ident: row.ident,
        path: childPath,
        uidx: row.uidx,
        row,
        rowMetrics: layer.metricsByScope.get(row.ident),
      });
      if (nestPath.length > 0) {
        const row = layer.childIndex.get(nestPath[0]);
        if (!row) throw new HubError('GATOR_HUB_NOT_FOUND', `No job '${nestPath[0]}' in ${childPath.join('.')} (run #${run.uid})`);
        job.children = [this.describeFile(run, childLoc(row), options, depth, nestPath.slice(1), volatile, runFinished)];
        job.children_total = 1;
        return job;
      }
      const kept = options.only === 'all' ? layer.children : layer.children.filter((r) => matchesFilter(this.shallow(run, r, childPath, undefined, runFinished), options.only));
      const rows = this.orderedRows(run, childPath, kept, options);
      job.children_total = rows.length;
      const page = options.limit === undefined ? rows.slice(options.offset) : rows.slice(options.offset, options.offset + options.limit);
      job.children =
        depth === 1
          ? page.map((row) => this.shallow(run, row, childPath, layer.metricsByScope.get(row.ident), runFinished))
          : page.map((row) => this.describeFile(run, childLoc(row), { ...options, offset: 0 }, depth - 1, [], volatile, runFinished));
      return job;
    } finally {
      if (volatile) this.files.release(layer);
    }
  }

  /** A tier's children in the order asked for (the run model's outcomes rank them by result). */
  private orderedRows(run: RunRecord, childPath: string[], rows: ChildRow[], options: ResolveOptions): ChildRow[] {
    if (!options.sort || options.sort === 'tree') return rows;
    const model = this.tallies.get(run);
    const now = Date.now() / 1000;
    return sortChildren(
      rows,
      (r) => ({
        ident: r.ident,
        duration: r.started === null ? null : r.stopped !== null ? r.stopped - r.started : run.completion ? null : now - r.started,
        outcome: model?.nodes.get(nodeKey([...childPath, r.ident].slice(1)))?.outcome,
        result: r.result,
      }),
      options.sort,
      options.desc ?? false,
    );
  }

  private ordered(children: HubJob[], options: ResolveOptions): HubJob[] {
    if (!options.sort || options.sort === 'tree') return children;
    const now = Date.now() / 1000;
    return sortChildren(
      children,
      (c) => ({ ident: c.ident, duration: c.started !== null ? (c.stopped ?? now) - c.started : null, outcome: c.outcome, result: c.result }),
      options.sort,
      options.desc ?? false,
    );
  }

  // ------------------------------------------------------------------ messages

  /** Where a node's messages are: its file, its live server, or nowhere yet. */
  private async target(ref: NodeRef): Promise<Target> {
    const { run } = ref;
    if (run.completion) {
      const loc = this.locateFinished(ref, false);
      return loc.dbFile ? { kind: 'file', dbFile: loc.dbFile, volatile: false } : { kind: 'none', job: this.shallow(run, loc.row as ChildRow, loc.path, loc.rowMetrics, true) };
    }
    if (ref.rootPath.length === 0) return { kind: 'ws', address: run.serverUrl, job: undefined };
    const key = `${run.uid}|${ref.rootPath.join('/')}`;
    return this.targets.get(key, async () => {
      const job = await this.resolve(ref, { depth: 0, nestPath: null, offset: 0, only: 'all' });
      if (job.status === JobState.COMPLETE && job.db_file && isFile(job.db_file)) return { kind: 'file', dbFile: job.db_file, volatile: false };
      if (job.server_url) return { kind: 'ws', address: job.server_url, job };
      if (job.db_file && isFile(job.db_file)) return { kind: 'file', dbFile: job.db_file, volatile: true };
      return { kind: 'none', job };
    });
  }

  async messages(ref: NodeRef, q: MessageQuery): Promise<MessagesReply> {
    const target = await this.target(ref);
    switch (target.kind) {
      case 'none':
        return { messages: [], total: 0, status: target.job.status, matched: 0, next_after: q.after };
      case 'file':
        return this.fileMessages(target.dbFile, q, target.volatile);
      case 'ws':
        try {
          return await this.wsMessages(target.address, ref.run.token, q);
        } catch (error) {
          this.targets.delete(`${ref.run.uid}|${ref.rootPath.join('/')}`);
          // The layer finished (and closed its server) since its address was looked up.
          if (this.rootUnreachable(error) && ref.rootPath.length > 0) {
            const again = await this.target(ref);
            if (again.kind === 'file') return this.fileMessages(again.dbFile, q, again.volatile);
          }
          if (this.rootUnreachable(error) && ref.rootPath.length === 0 && ref.run.dbFile && isFile(ref.run.dbFile)) {
            return this.fileMessages(ref.run.dbFile, q, true);
          }
          throw this.liveError(ref.run, error);
        }
    }
  }

  private fileMessages(dbFile: string, q: MessageQuery, volatile: boolean): MessagesReply {
    const layer = this.files.open(dbFile, volatile);
    try {
      const filter = {
        ...(q.severity !== undefined ? { minSeverity: q.severity } : {}),
        ...(q.grep ? { grep: new RegExp(escapeRegExp(q.grep), 'i') } : {}),
      };
      // From the end: the newest `limit` before `before`, by the uid index (never a scan of the whole table).
      const messages = q.tail
        ? layer.reader.messages({ ...filter, ...(q.before ? { before: q.before } : {}), order: 'desc', limit: q.limit }).reverse()
        : layer.reader.messages({ ...filter, after: q.after, limit: q.limit });
      const total = layer.reader.countMessages();
      const filtered = q.severity !== undefined || Boolean(q.grep);
      const reply: MessagesReply = {
        messages,
        total,
        status: volatile ? JobState.STARTED : JobState.COMPLETE,
        matched: filtered ? layer.reader.countMessages(filter) : total,
        next_after: messages.length > 0 ? messages[messages.length - 1].uid : q.after,
      };
      if (q.tail) reply.prev_before = messages.length === q.limit ? messages[0]!.uid : 0;
      return reply;
    } finally {
      if (volatile) this.files.release(layer);
    }
  }

  private async wsMessages(address: string, token: string | null, q: MessageQuery): Promise<MessagesReply> {
    const filtered = q.severity !== undefined || Boolean(q.grep);
    if (!filtered && q.tail) {
      // A layer's get_messages pages forward only: its uids run 1…total, so the end is `total - limit`.
      const { total } = await this.live.request(address, token, 'get_messages', { after: 0, limit: 1 });
      const end = q.before ? Math.min(q.before - 1, total) : total;
      const from = Math.max(0, end - q.limit);
      const reply = await this.live.request(address, token, 'get_messages', { after: from, limit: end - from });
      const messages = reply.messages.filter((m) => m.uid <= end);
      return {
        messages,
        total: reply.total,
        status: reply.status,
        matched: reply.total,
        next_after: messages.length > 0 ? messages[messages.length - 1].uid : from,
        prev_before: from > 0 ? from + 1 : 0,
      };
    }
    if (!filtered) {
      const reply = await this.live.request(address, token, 'get_messages', { after: q.after, limit: q.limit });
      const messages = reply.messages;
      return {
        messages,
        total: reply.total,
        status: reply.status,
        matched: reply.total,
        next_after: messages.length > 0 ? messages[messages.length - 1].uid : q.after,
      };
    }
    // A layer's get_messages has no filters (Python rejects unknown keys): scan pages here.
    const needle = q.grep ? q.grep.toLowerCase() : undefined;
    const out: ApiMessage[] = [];
    let after = q.after;
    let total = 0;
    let status: number = JobState.STARTED;
    scan: for (let page = 0; page < LIVE_SCAN_PAGES; page++) {
      const reply = await this.live.request(address, token, 'get_messages', { after, limit: LIVE_PAGE });
      total = reply.total;
      status = reply.status;
      if (reply.messages.length === 0) break;
      for (const m of reply.messages) {
        after = m.uid;
        if (q.severity !== undefined && m.severity < q.severity) continue;
        if (needle !== undefined && !m.message.toLowerCase().includes(needle)) continue;
        out.push(m);
        if (out.length >= q.limit) break scan;
      }
    }
    return { messages: out, total, status, next_after: after };
  }

  // ------------------------------------------------------------------ detail

  async detail(ref: NodeRef): Promise<NodeDetail> {
    const job = await this.resolve(ref, { depth: 0, nestPath: null, offset: 0, only: 'all' });
    let attributes: Record<string, string> = {};
    let procStats: NodeDetail['procStats'] = [];
    let layer: CachedLayer | undefined;
    const volatile = job.status !== JobState.COMPLETE;
    if (job.db_file && isFile(job.db_file)) {
      try {
        layer = this.files.open(job.db_file, volatile);
        attributes = layer.attributes;
        procStats = layer.reader.kind === 'wrapper' ? layer.reader.procStats().slice(-120) : [];
      } catch {
        // A live Python layer's file holds nothing readable yet: the details stay empty.
      } finally {
        if (layer && volatile) this.files.release(layer);
      }
    }
    let summary = ref.rootPath.length === 0 && ref.run.summary && !ref.run.completion ? ref.run.summary : parseSummary(attributes.summary) ?? (ref.rootPath.length === 0 ? ref.run.summary : null);
    // The failures listed beside the counts are the run model's: the failed and lost jobs of this subtree.
    const model = this.tallies.get(ref.run);
    if (model && job.layer === 'tier') {
      // A tier that has not written its summary yet (a dead one) still has its failures in the model.
      summary ??= { metrics: job.metrics, failed_ids: [], running_ids: [] };
      const below = [...job.path, job.ident];
      // The roll-up's record of a failure keeps its first error lines and signature.
      const recorded = new Map((summary.failures ?? []).map((f) => [f.path.slice(1).join('.'), f]));
      const failures = model.failures
        .filter((f) => below.every((p, i) => i === 0 || f.path[i] === p))
        .map((f) => recorded.get(f.path.slice(1).join('.')) ?? { path: f.path, reason: f.reason, ...(f.errors ? { errors: f.errors } : {}) });
      summary = { ...summary, failures, ...(job.jobs ? { jobs: job.jobs } : {}) };
    }
    let errors: ApiMessage[] = [];
    try {
      // A job's first errors are its own: not the `Job failed` / `Tier … failed` lines older layers logged.
      const kind = job.layer ?? 'wrapper';
      errors = (await this.messages(ref, { after: 0, limit: 10, severity: 40 })).messages.filter((m) => !isOldNoticeLine(kind, m.message));
    } catch {
      // The details are still worth showing without the error lines.
    }
    return { job, attributes: safeAttributes(attributes), summary, repro: reproOf(attributes), errors, procStats };
  }

  // ------------------------------------------------------------------ search

  /** Paths (below the root) of jobs whose ident contains `text`, breadth first. */
  async find(run: RunRecord, text: string, limit = 200): Promise<{ matches: { path: string[]; job: HubJob }[]; complete: boolean }> {
    const needle = text.toLowerCase();
    const matches: { path: string[]; job: HubJob }[] = [];
    const queue: string[][] = [[]];
    let visitedTiers = 0;
    while (queue.length > 0 && matches.length < limit) {
      if (++visitedTiers > 2000) return { matches, complete: false };
      const rootPath = queue.shift() as string[];
      const node = await this.resolve({ run, rootPath }, { depth: 1, nestPath: null, offset: 0, only: 'all' });
      for (const child of node.children as HubJob[]) {
        const path = [...rootPath, child.ident];
        if (child.ident.toLowerCase().includes(needle)) {
          matches.push({ path, job: child });
          if (matches.length >= limit) break;
        }
        const isTier = child.layer === 'tier' || (typeof child.expected_children === 'number' && child.expected_children > 0);
        if (isTier && child.status !== JobState.PENDING) queue.push(path);
      }
    }
    return { matches, complete: queue.length === 0 };
  }
}

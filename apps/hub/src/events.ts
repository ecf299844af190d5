/**
 * Live updates for browsers, as server-sent events (`GET /api/events`). One stream
 * per page says what it shows:
 *   runs=1                  every registration, heartbeat and completion (`run` events)
 *   watch=<uid>/<path…>     a tree node and its children (`node` events, changed children only)
 *   tail=<uid>/<path…>      new messages of one node (`messages` events), from `after`,
 *                           filtered by `severity` and `grep`
 * While a run is live the hub polls its root's websocket about every second (polls
 * of the same node are shared between streams); once it is finished the final state
 * is read from its files and sent once.
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { JobState } from '@gator/protocol';
import { errorReply } from './errors.js';
import type { HubRepository, RunRecord } from './repository/index.js';
import { runJob } from './runs.js';
import { TtlCache, type HubJob, type NodeRef, type TreeService } from './tree.js';

/** Registry changes, emitted by the REST handlers. */
export class HubEvents extends EventEmitter {
  emitRun(run: RunRecord): void {
    this.emit('run', run);
  }
}

export interface EventContext {
  repo: HubRepository;
  tree: TreeService;
  events: HubEvents;
  pollMs: number;
  /** Open streams, ended when the hub closes. */
  streams: Set<http.ServerResponse>;
}

const MAX_WATCHES = 64;
/** A baseline sends every child up to this many; beyond, only the unfinished ones. */
const FULL_BASELINE = 2000;

/** `12/nightly/tests` → the run uid and the path below the root (the first segment, the root's ident, is dropped). */
export function parseNodeKey(key: string): { uid: number; rootPath: string[] } | undefined {
  const parts = key.split('/').filter((p) => p !== '');
  const uid = Number(parts[0]);
  if (!Number.isInteger(uid) || uid <= 0) return undefined;
  try {
    return { uid, rootPath: parts.slice(2).map((p) => decodeURIComponent(p)) };
  } catch {
    return undefined;
  }
}

interface Watch {
  key: string;
  uid: number;
  rootPath: string[];
  children: Map<string, string> | undefined;
  node: string | undefined;
  done: boolean;
  lastError: string | undefined;
  ticks: number;
}

interface Tail {
  key: string;
  uid: number;
  rootPath: string[];
  after: number;
  severity: number | undefined;
  grep: string | undefined;
  total: number | undefined;
  status: number | undefined;
  done: boolean;
  lastError: string | undefined;
}

/** Polls shared by every stream: one resolve per node per ~poll interval, however many browsers watch it. */
export class SharedPolls {
  private readonly runs: TtlCache<RunRecord | undefined>;
  private readonly nodes: TtlCache<HubJob>;
  constructor(
    private readonly ctx: Pick<EventContext, 'repo' | 'tree'>,
    pollMs: number,
  ) {
    this.runs = new TtlCache(Math.max(100, pollMs - 200));
    this.nodes = new TtlCache(Math.max(100, pollMs - 200));
  }
  run(uid: number): Promise<RunRecord | undefined> {
    return this.runs.get(String(uid), () => this.ctx.repo.get(uid));
  }
  node(ref: NodeRef): Promise<HubJob> {
    const key = `${ref.run.uid}|${ref.run.completion ? 'done' : 'live'}|${ref.rootPath.join('/')}`;
    return this.nodes.get(key, () => this.ctx.tree.resolve(ref, { depth: 1, nestPath: null, offset: 0, only: 'all' }));
  }
  forget(uid: number): void {
    this.runs.delete(String(uid));
  }
}

export function serveEvents(req: http.IncomingMessage, res: http.ServerResponse, url: URL, ctx: EventContext, polls: SharedPolls): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  ctx.streams.add(res);
  let open = true;
  const send = (event: string, data: unknown): void => {
    if (!open) return;
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  // Tell the browser to reconnect quickly if the hub restarts.
  res.write('retry: 2000\n\n');
  send('hello', { time: Date.now() / 1000, poll_ms: ctx.pollMs });

  const onRun = (run: RunRecord): void => {
    polls.forget(run.uid);
    // A finished run's counts come from its files (the run model); a live one's from its heartbeats.
    send('run', { job: runJob(run, Date.now() / 1000, run.completion ? ctx.tree.runHeadline(run) : undefined) });
  };
  if (url.searchParams.get('runs') === '1') ctx.events.on('run', onRun);

  const watches: Watch[] = [];
  for (const key of url.searchParams.getAll('watch').slice(0, MAX_WATCHES)) {
    const parsed = parseNodeKey(key);
    if (!parsed) {
      send('error', { key, reason: `'${key}' is not a node key (<uid>/<root ident>/<child>/…)` });
      continue;
    }
    watches.push({ key, ...parsed, children: undefined, node: undefined, done: false, lastError: undefined, ticks: 0 });
  }

  let tail: Tail | undefined;
  const tailKey = url.searchParams.get('tail');
  if (tailKey) {
    const parsed = parseNodeKey(tailKey);
    const severityText = url.searchParams.get('severity');
    const severity = severityText && /^\d+$/.test(severityText) ? Number(severityText) : undefined;
    const after = Number(url.searchParams.get('after') ?? 0);
    if (parsed) {
      tail = {
        key: tailKey,
        ...parsed,
        after: Number.isInteger(after) && after >= 0 ? after : 0,
        severity,
        grep: url.searchParams.get('grep') || undefined,
        total: undefined,
        status: undefined,
        done: false,
        lastError: undefined,
      };
    } else send('error', { key: tailKey, reason: `'${tailKey}' is not a node key` });
  }

  const reportError = (item: Watch | Tail, error: unknown): void => {
    const reply = errorReply(error);
    if (item.lastError === reply.reason) return;
    item.lastError = reply.reason;
    send('error', { key: item.key, ...reply });
  };

  const pollWatch = async (w: Watch): Promise<void> => {
    const run = await polls.run(w.uid);
    if (!run) {
      w.done = true;
      send('error', { key: w.key, result: 'error', status: 404, code: 'GATOR_HUB_NOT_FOUND', reason: `No run #${w.uid}` });
      return;
    }
    const job = await polls.node({ run, rootPath: w.rootPath });
    w.lastError = undefined;
    const { children, ...node } = job;
    const nodeText = JSON.stringify(node);
    const first = w.children === undefined;
    const known = w.children ?? new Map<string, string>();
    const changed: HubJob[] = [];
    for (const child of children as HubJob[]) {
      const text = JSON.stringify(child);
      if (known.get(child.ident) === text) continue;
      known.set(child.ident, text);
      if (first && children.length > FULL_BASELINE && child.status === JobState.COMPLETE) continue;
      changed.push(child);
    }
    w.children = known;
    if (first || nodeText !== w.node || changed.length > 0) {
      send('node', { key: w.key, partial: !first, job: { ...node, children: changed } });
      w.node = nodeText;
    }
    if (run.completion) w.done = true;
  };

  const pollTail = async (t: Tail): Promise<void> => {
    const run = await polls.run(t.uid);
    if (!run) {
      t.done = true;
      send('error', { key: t.key, result: 'error', status: 404, code: 'GATOR_HUB_NOT_FOUND', reason: `No run #${t.uid}` });
      return;
    }
    // Up to a few pages per tick, so a burst is caught up without starving other streams.
    for (let page = 0; page < 5; page++) {
      const reply = await ctx.tree.messages(
        { run, rootPath: t.rootPath },
        { after: t.after, limit: 1000, severity: t.severity, ...(t.grep ? { grep: t.grep } : {}) },
      );
      t.lastError = undefined;
      const moved = reply.next_after !== t.after;
      if (reply.messages.length > 0 || reply.total !== t.total || reply.status !== t.status) {
        send('messages', { key: t.key, ...reply });
      }
      t.after = reply.next_after;
      t.total = reply.total;
      t.status = reply.status;
      if (!moved) break;
    }
    if (t.status === JobState.COMPLETE) t.done = true;
  };

  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy || !open) return;
    busy = true;
    try {
      for (const w of watches) {
        if (w.done || !open) continue;
        // Huge tiers (thousands of children) are polled less often.
        if ((w.children?.size ?? 0) > FULL_BASELINE && w.ticks++ % 5 !== 0) continue;
        await pollWatch(w).catch((error) => reportError(w, error));
      }
      if (tail && !tail.done && open) await pollTail(tail).catch((error) => reportError(tail as Tail, error));
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), ctx.pollMs);
  const ping = setInterval(() => open && res.write(': ping\n\n'), 15_000);

  const stop = (): void => {
    if (!open) return;
    open = false;
    clearInterval(timer);
    clearInterval(ping);
    ctx.events.off('run', onRun);
    ctx.streams.delete(res);
  };
  req.on('close', stop);
  res.on('close', stop);
  res.on('error', stop);
}

/**
 * A run's timeline (`GET /api/job/<uid>/timeline[/root/child…]`): every job of
 * the subtree that started, with its start and end, its outcome in the run
 * model and the lane (slot) it ran in. Read from the tiers' ChildEntry rows
 * (one cached file per tier, never a job's messages) and the run model's
 * tallies the hub already keeps; a live run that told the hub no database is
 * asked over its websocket, a tier at a time, as its tree is. The UI draws the
 * timeline and the duration histogram from it.
 */
import { JobResult, JobState } from '@gator/protocol';
import { HubError } from './errors.js';
import { childDbFile, isFile, type LayerFiles } from './files.js';
import type { RunRecord } from './repository/index.js';
import { nodeKey, type RunTallies } from './run-tallies.js';
import type { HubJob, TreeService } from './tree.js';

/** A timeline draws at most this many bars (a run of more jobs says `truncated`). */
export const MAX_BARS = 20_000;

export type BarOutcome = 'passed' | 'flaky' | 'failed' | 'lost' | 'stopped' | 'skipped' | 'running' | 'pending';

export interface TimelineBar {
  /** Idents below the root (the job's path, as links and `gator logs` take it). */
  path: string[];
  /** Unix seconds. */
  started: number;
  /** Null while it runs. */
  stopped: number | null;
  outcome: BarOutcome;
  reason: string | null;
  /** Its slot: no two bars of one lane overlap in time. */
  lane: number;
}

export interface Timeline {
  /** The subtree's first start and last end (Unix seconds; null when nothing ran). */
  started: number | null;
  stopped: number | null;
  /** The hub's clock when it answered (the end of running bars). */
  now: number;
  /** Oldest start first. */
  bars: TimelineBar[];
  lanes: number;
  /** Jobs that never started (skipped, pending): no bar. */
  notStarted: number;
  /** True when the run has more than MAX_BARS jobs that ran (the first ones by tree order are drawn). */
  truncated: boolean;
}

/** A binary min-heap of numbers by a key (lanes by end time, free lanes by index). */
class MinHeap {
  private readonly items: number[] = [];
  constructor(private readonly key: (item: number) => number) {}
  get size(): number {
    return this.items.length;
  }
  peek(): number | undefined {
    return this.items[0];
  }
  push(item: number): void {
    const a = this.items;
    let i = a.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.key(a[parent]!) <= this.key(a[i]!)) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }
  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.key(a[l]!) < this.key(a[m]!)) m = l;
        if (r < a.length && this.key(a[r]!) < this.key(a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Assigns each interval the lowest lane whose last interval ended by its start
 * (oldest start first), so lanes are the fewest slots that could have run them.
 * Returns the lane per input index and the lane count. Two heaps (lanes in use
 * by their end, free lanes by index): 10,000 jobs that all ran at once are
 * 10,000 lanes, which a scan of every lane per job made quadratic.
 */
export function assignLanes(spans: readonly { started: number; stopped: number }[]): { lanes: number[]; count: number } {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.started - spans[b]!.started || spans[a]!.stopped - spans[b]!.stopped);
  const ends: number[] = [];
  const busy = new MinHeap((lane) => ends[lane]!);
  const free = new MinHeap((lane) => lane);
  const lanes = new Array<number>(spans.length).fill(0);
  for (const i of order) {
    const s = spans[i]!;
    while (busy.size > 0 && ends[busy.peek()!]! <= s.started) free.push(busy.pop()!);
    const lane = free.size > 0 ? free.pop()! : ends.push(s.stopped) - 1;
    ends[lane] = s.stopped;
    busy.push(lane);
    lanes[i] = lane;
  }
  return { lanes, count: ends.length };
}

function outcomeOf(result: number, stopped: number | null, finished: boolean): BarOutcome {
  if (result === JobResult.SUCCESS) return 'passed';
  if (result === JobResult.FAILURE) return 'failed';
  if (result === JobResult.ABORTED) return 'stopped';
  return stopped !== null || finished ? 'lost' : 'running';
}

/** At most this many tiers are asked over the websocket for a live run's timeline. */
const MAX_LIVE_TIERS = 2000;

/** The timeline of a run or subtree: from its files when the hub can read them, else from the live run. */
export async function timelineOf(files: LayerFiles, tree: TreeService, run: RunRecord, rootPath: string[]): Promise<Timeline> {
  const rootDb = run.completion?.dbFile || run.dbFile || '';
  if (run.completion === null && !(rootDb && isFile(rootDb))) return liveTimeline(tree, run, rootPath);
  return runTimeline(files, run, rootPath, tree.runTallies(run));
}

function isTierJob(job: HubJob): boolean {
  return job.expected_children === true || (typeof job.expected_children === 'number' && job.expected_children > 0) || job.layer === 'tier';
}

async function liveTimeline(tree: TreeService, run: RunRecord, rootPath: string[], now = Date.now() / 1000): Promise<Timeline> {
  const raw: Omit<TimelineBar, 'lane'>[] = [];
  let notStarted = 0;
  let truncated = false;
  const add = (path: string[], job: HubJob) => {
    if (job.started === null) return void (notStarted += 1);
    if (raw.length >= MAX_BARS) return void (truncated = true);
    const running = job.status !== JobState.COMPLETE && job.result === JobResult.UNKNOWN;
    const outcome: BarOutcome = job.flaky ? 'flaky' : running ? 'running' : outcomeOf(job.result, job.stopped, true);
    raw.push({ path, started: job.started, stopped: running ? null : (job.stopped ?? job.updated ?? job.started), outcome, reason: job.reason ?? null });
  };
  const top = await tree.resolve({ run, rootPath }, { depth: 0, nestPath: null, offset: 0, only: 'all' });
  const queue: string[][] = [];
  if (isTierJob(top)) queue.push(rootPath);
  else add(rootPath, top);
  let asked = 0;
  while (queue.length > 0) {
    if (++asked > MAX_LIVE_TIERS) {
      truncated = true;
      break;
    }
    const at = queue.shift()!;
    const node = await tree.resolve({ run, rootPath: at }, { depth: 1, nestPath: null, offset: 0, only: 'all' });
    for (const child of node.children as HubJob[]) {
      const path = [...at, child.ident];
      if (isTierJob(child)) {
        if (child.status !== JobState.PENDING) queue.push(path);
      } else add(path, child);
    }
  }
  return finish(raw, notStarted, truncated, now);
}

function finish(raw: Omit<TimelineBar, 'lane'>[], notStarted: number, truncated: boolean, now: number): Timeline {
  const { lanes, count } = assignLanes(raw.map((b) => ({ started: b.started, stopped: b.stopped ?? now })));
  const bars = raw.map((b, i) => ({ ...b, lane: lanes[i]! })).sort((a, b) => a.started - b.started || a.lane - b.lane);
  let started: number | null = null;
  let stopped: number | null = null;
  for (const b of bars) {
    started = started === null ? b.started : Math.min(started, b.started);
    const end = b.stopped ?? now;
    stopped = stopped === null ? end : Math.max(stopped, end);
  }
  return { started, stopped, now, bars, lanes: count, notStarted, truncated };
}

export function runTimeline(files: LayerFiles, run: RunRecord, rootPath: string[], tallies: RunTallies | undefined, now = Date.now() / 1000): Timeline {
  const rootDb = run.completion?.dbFile || run.dbFile || '';
  if (!rootDb || !isFile(rootDb)) {
    throw new HubError('GATOR_HUB_NOT_FOUND', `The database of run #${run.uid} (${rootDb || 'no path recorded'}) is missing`, {
      hint: 'its tracking directory was moved or deleted, or the hub does not see the same filesystem as the run',
    });
  }
  const finished = run.completion !== null;
  // A live run's tiers still write their rows: read them fresh, and close them after.
  const volatile = !finished;
  const raw: Omit<TimelineBar, 'lane'>[] = [];
  let notStarted = 0;
  let truncated = false;

  const bar = (path: string[], started: number | null, stopped: number | null, result: number) => {
    const known = tallies?.nodes.get(nodeKey(path));
    if (started === null) {
      notStarted += 1;
      return;
    }
    if (raw.length >= MAX_BARS) {
      truncated = true;
      return;
    }
    let outcome: BarOutcome = known ? (known.flaky ? 'flaky' : known.outcome) : outcomeOf(result, stopped, finished);
    // A job that started but the model calls pending/skipped (a stale model of a live run) is running.
    if (outcome === 'pending' || outcome === 'skipped') outcome = stopped === null ? 'running' : outcomeOf(result, stopped, finished);
    raw.push({ path, started, stopped: outcome === 'running' ? null : (stopped ?? started), outcome, reason: known?.reason ?? null });
  };

  // Find the subtree's top layer, then walk its tiers breadth first.
  let dbFile: string | undefined = rootDb;
  let recorded = rootDb;
  let row: { started: number | null; stopped: number | null; result: number } | undefined;
  for (const seg of rootPath) {
    if (!dbFile) break;
    const layer = files.open(dbFile, volatile);
    try {
      const child = layer.childIndex.get(seg);
      if (!child) throw new HubError('GATOR_HUB_NOT_FOUND', `No job '${seg}' below ${[run.ident, ...rootPath].join('.')} (run #${run.uid})`);
      const next = childDbFile(child, recorded, dbFile);
      row = child;
      recorded = child.dbFile;
      dbFile = next;
    } finally {
      if (volatile) files.release(layer);
    }
  }
  const queue: { dbFile: string; recorded: string; path: string[] }[] = [];
  if (dbFile) {
    const top = files.open(dbFile, volatile);
    try {
      if (top.reader.kind === 'tier') queue.push({ dbFile, recorded, path: rootPath });
      else {
        const num = (t: string | undefined) => (t === undefined || t === '' || Number.isNaN(Number(t)) ? null : Number(t));
        bar(rootPath, num(top.attributes.started) ?? row?.started ?? null, num(top.attributes.stopped) ?? row?.stopped ?? null, num(top.attributes.result) ?? row?.result ?? 0);
      }
    } finally {
      if (volatile) files.release(top);
    }
  } else if (row) bar(rootPath, row.started, row.stopped, row.result);

  while (queue.length > 0) {
    const tier = queue.shift()!;
    const layer = files.open(tier.dbFile, volatile);
    try {
      for (const child of layer.children) {
        const path = [...tier.path, child.ident];
        if (child.expectedChildren > 0) {
          const file = childDbFile(child, tier.recorded, tier.dbFile);
          if (file) queue.push({ dbFile: file, recorded: child.dbFile, path });
          else notStarted += tallies?.nodes.get(nodeKey(path))?.jobs.total ?? 0;
        } else bar(path, child.started, child.stopped, child.result);
      }
    } finally {
      if (volatile) files.release(layer);
    }
  }

  return finish(raw, notStarted, truncated, now);
}

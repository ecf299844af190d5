/**
 * A run read back from its tracking files into one plain tree: what `gator
 * show`, `gator export` and `gator repro` work from. Everything comes from the
 * layers' SQLite files (walked with `@gator/db`), so it works on a finished run,
 * a running one (files are committed every ~100 ms) and a crashed one.
 */
import {
  BUILTIN_METRICS,
  JOB_RESULT_NAMES,
  JobResult,
  Severity,
  SummarySchema,
  layerFile,
  type Bucket,
  type Failure,
  type MetricStats,
  type Summary,
  METRIC_SCOPES,
} from '@gator/protocol';
import { closeRun, walkRun, type LayerReader, type RunNode } from '@gator/db';
import { jobNotFound, matchesPath } from './run-nodes.js';

/** The reason a tier records for children `--rerun-failed` did not select. */
const NOT_SELECTED = 'not selected for rerun';

export type NodeState = 'pending' | 'running' | 'complete' | 'skipped' | 'lost';
export type ResultName = (typeof JOB_RESULT_NAMES)[number];
/** What a job counts as in the totals. */
export type Outcome = 'passed' | 'failed' | 'lost' | 'skipped' | 'running' | 'pending';

export interface MessageCounts {
  debug: number;
  info: number;
  warning: number;
  error: number;
  critical: number;
}

export interface Totals {
  total: number;
  passed: number;
  failed: number;
  lost: number;
  skipped: number;
  running: number;
  pending: number;
}

export interface AttemptReport {
  attempt: number;
  started: number | null;
  stopped: number | null;
  exit: number | null;
  result: ResultName | null;
  reason: string | null;
}

export interface NodeReport {
  /** Idents from the root (the root's own first). */
  path: string[];
  ident: string;
  /** `job` for a !Job (wrapper layer), `tier` for a !JobGroup/!JobArray. */
  kind: 'job' | 'tier';
  dir: string;
  /** The layer's database; null when the layer never started. */
  dbFile: string | null;
  state: NodeState;
  outcome: Outcome;
  result: ResultName | null;
  /** Exit code of the job process (jobs only). */
  exit: number | null;
  reason: string | null;
  /** Unix seconds. */
  started: number | null;
  stopped: number | null;
  /** Seconds; for a running layer, up to now. */
  duration: number | null;
  /** A job's own messages; a tier's whole subtree. */
  messages: MessageCounts;
  /** Job-defined metrics (jobs) or the subtree's non-built-in metrics (tiers). */
  metrics: Record<string, number>;
  /** First ERROR/CRITICAL lines (failed jobs). */
  errors: string[];
  /** Where its messages live: messages.log, else the layer directory. */
  log: string | null;
  attempts: AttemptReport[];
  /** Tiers: jobs under it by outcome. */
  totals?: Totals;
  /** Tiers: from the stored roll-up. */
  buckets?: Bucket[];
  stats?: Record<string, MetricStats & { mean: number }>;
  children?: NodeReport[];
}

export interface RunReport {
  /** Root tracking directory. */
  tracking: string;
  dbFile: string;
  ident: string;
  /** True while the root has not recorded `stopped`. */
  live: boolean;
  state: NodeState;
  result: ResultName | null;
  reason: string | null;
  started: number | null;
  stopped: number | null;
  duration: number | null;
  totals: Totals;
  messages: MessageCounts;
  /** Failed and lost jobs, in tree order. */
  failures: Failure[];
  buckets: Bucket[];
  stats: Record<string, MetricStats & { mean: number }>;
  /** The root's own stored roll-up (null for a lone !Job root or a Python run). */
  summary: Summary | null;
  root: NodeReport;
}

export interface ReportOptions {
  /** Error lines kept per failed job (default 5). */
  errorLines?: number;
  /** Now, in Unix seconds, for durations of running layers (tests pin it). */
  now?: number;
}

const BUILTIN = new Set<string>([...BUILTIN_METRICS, 'jobs_total', 'jobs_passed', 'jobs_failed']);

function num(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '' || text.trim().toLowerCase() === 'none') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function resultName(value: number | null): ResultName | null {
  if (value === null) return null;
  return JOB_RESULT_NAMES[value] ?? 'UNKNOWN';
}

export function emptyCounts(): MessageCounts {
  return { debug: 0, info: 0, warning: 0, error: 0, critical: 0 };
}

export function emptyTotals(): Totals {
  return { total: 0, passed: 0, failed: 0, lost: 0, skipped: 0, running: 0, pending: 0 };
}

function addCounts(into: MessageCounts, from: MessageCounts): void {
  into.debug += from.debug;
  into.info += from.info;
  into.warning += from.warning;
  into.error += from.error;
  into.critical += from.critical;
}

function addTotals(into: Totals, from: Totals): void {
  for (const k of Object.keys(into) as (keyof Totals)[]) into[k] += from[k];
}

/** Counted from LogEntry itself (not from metrics that may lag behind a live layer). */
function countMessages(reader: LayerReader): MessageCounts {
  const atLeast = (level: number) => reader.countMessages({ minSeverity: level });
  const critical = atLeast(Severity.CRITICAL);
  const error = atLeast(Severity.ERROR);
  const warning = atLeast(Severity.WARNING);
  const info = atLeast(Severity.INFO);
  const all = reader.countMessages();
  return { critical, error: error - critical, warning: warning - error, info: info - warning, debug: all - info };
}

/**
 * A finished layer's own final counts are its `_OWN_` msg_* metrics (one
 * lookup instead of scanning a big LogEntry table); a running one is counted.
 */
function messageCounts(reader: LayerReader, finished: boolean): MessageCounts {
  if (finished) {
    const own = reader.metrics(METRIC_SCOPES.own);
    if (own.msg_error !== undefined && own.msg_warning !== undefined && own.msg_info !== undefined) {
      return {
        debug: own.msg_debug ?? 0,
        info: own.msg_info,
        warning: own.msg_warning,
        error: own.msg_error,
        critical: own.msg_critical ?? 0,
      };
    }
  }
  return countMessages(reader);
}

function parseSummary(text: string | undefined): Summary | null {
  if (!text) return null;
  try {
    const parsed = SummarySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function withMean(stats: Record<string, MetricStats> | undefined): Record<string, MetricStats & { mean: number }> {
  const out: Record<string, MetricStats & { mean: number }> = {};
  for (const [name, s] of Object.entries(stats ?? {})) out[name] = { ...s, mean: s.count > 0 ? s.sum / s.count : 0 };
  return out;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * Why a tier skipped children, from the lines it logs when it does (`Skipping
 * job 'report': dependency 'tests' failed`, `Cannot launch array 'x': …`,
 * `Skipping 3 children that had not been launched: run stopped`, `Not running
 * 'x': not selected for rerun`), for runs whose roll-up has no `skipped`
 * list. Key '' holds the reason for all the rest.
 */
function skipReasons(reader: LayerReader): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of reader.messages({ grep: /^(Skipping|Cannot launch|Not running) / })) {
    const named = /^(?:Skipping|Cannot launch) (?:job|group|array) '([^']+)'(?: \(\d+ copies\))?: (.*)$/s.exec(m.message);
    if (named) out.set(named[1]!, named[2]!);
    const unselected = /^Not running '([^']+)': (.*)$/s.exec(m.message);
    if (unselected) out.set(unselected[1]!, unselected[2]!);
    const rest = /^Skipping \d+ child(?:ren)? that had not been launched: (.*)$/s.exec(m.message);
    if (rest && !out.has('')) out.set('', rest[1]!);
  }
  return out;
}

function skipReasonFor(skips: Map<string, string>, ident: string): string | undefined {
  const direct = skips.get(ident);
  if (direct) return direct;
  // An array copy (`seed_3`) is skipped under its base id (`seed`).
  const base = ident.replace(/_\d+$/, '');
  return skips.get(base) ?? skips.get('');
}

/** Why a layer's database cannot be opened, or undefined when it can. */
function openError(node: RunNode): string | undefined {
  try {
    void node.reader.kind;
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

interface Context {
  errorLines: number;
  now: number;
  /** The root recorded `stopped`: whatever has not finished never will. */
  runOver: boolean;
}

function outcomeOf(state: NodeState, result: ResultName | null): Outcome {
  switch (state) {
    case 'complete':
      return result === 'SUCCESS' ? 'passed' : 'failed';
    case 'lost':
      return 'lost';
    case 'skipped':
      return 'skipped';
    case 'running':
      return 'running';
    default:
      return 'pending';
  }
}

function buildNode(node: RunNode, ctx: Context, parentFailures: Map<string, Failure>): NodeReport {
  const entry = node.entry;
  const kind: 'job' | 'tier' = node.exists ? (node.kind === 'tier' ? 'tier' : 'job') : entry && entry.expectedChildren > 0 ? 'tier' : 'job';
  const known = parentFailures.get(node.path.join('.'));
  const report: NodeReport = {
    path: node.path,
    ident: node.ident,
    kind,
    dir: node.dir,
    dbFile: node.exists ? node.dbFile : null,
    state: 'pending',
    outcome: 'pending',
    result: null,
    exit: null,
    reason: null,
    started: entry?.started ?? null,
    stopped: entry?.stopped ?? null,
    duration: null,
    messages: emptyCounts(),
    metrics: {},
    errors: [],
    log: null,
    attempts: [],
  };

  let summary: Summary | null = null;
  if (!node.exists) {
    // Never wrote a database: pruned (ABORTED) or not launched yet.
    report.state = entry?.result === JobResult.ABORTED || ctx.runOver ? 'skipped' : 'pending';
    if (report.state === 'skipped') {
      report.result = 'ABORTED';
      report.reason = known?.reason ?? (ctx.runOver && entry?.result !== JobResult.ABORTED ? 'never ran: the run ended first' : 'never ran (skipped)');
    }
  } else if (openError(node) !== undefined) {
    // A damaged file must not hide the rest of the run: this layer has no known result.
    report.state = 'lost';
    report.reason = `its database could not be read: ${openError(node)}`;
    report.log = layerFile(node.dir, 'messages');
  } else {
    const reader = node.reader;
    const attrs = safe(() => reader.attributes(), {} as Record<string, string>);
    report.started = num(attrs.started) ?? report.started;
    const ownStop = num(attrs.stopped);
    report.stopped = ownStop ?? report.stopped;
    const result = num(attrs.result);
    report.result = result !== null ? resultName(result) : null;
    report.exit = num(attrs.exit);
    report.reason = attrs.reason || known?.reason || null;
    if (ownStop !== null) {
      report.state = 'complete';
      report.result ??= resultName(entry?.result ?? JobResult.UNKNOWN);
    } else if (report.stopped !== null) {
      // The parent closed its entry but the layer never recorded its end: it died.
      report.state = 'lost';
      report.result ??= resultName(entry?.result ?? JobResult.UNKNOWN);
      report.reason ??= 'lost: the layer never recorded its end';
    } else if (ctx.runOver) {
      // Started but never recorded its end although the run is over: lost.
      report.state = report.started !== null ? 'lost' : 'skipped';
      report.reason ??= report.started !== null ? 'lost: the layer never recorded its end' : 'never ran: the run ended first';
    } else {
      report.state = report.started !== null ? 'running' : 'pending';
    }
    report.messages = safe(() => messageCounts(reader, report.state === 'complete'), emptyCounts());
    report.attempts = safe(() => reader.attempts(), []).map((a) => ({
      attempt: a.attempt,
      started: a.started,
      stopped: a.stopped,
      exit: a.exit,
      result: resultName(a.result),
      reason: a.reason,
    }));
    const own = safe(() => reader.metrics(METRIC_SCOPES.own), {} as Record<string, number>);
    const group = safe(() => reader.metrics(METRIC_SCOPES.group), {} as Record<string, number>);
    const source = kind === 'job' ? own : group;
    for (const [name, value] of Object.entries(source)) if (!BUILTIN.has(name)) report.metrics[name] = value;
    const log = layerFile(node.dir, 'messages');
    report.log = log;
    if (kind === 'tier') summary = parseSummary(attrs.summary);
    if (kind === 'job' && report.state === 'complete' && report.result !== 'SUCCESS') {
      report.errors = safe(() => reader.messages({ minSeverity: Severity.ERROR, limit: ctx.errorLines }), []).map((m) => m.message);
      if (report.errors.length === 0 && known?.errors) report.errors = known.errors.slice(0, ctx.errorLines);
    }
  }
  if (report.started !== null) {
    const end = report.stopped ?? (report.state === 'running' ? ctx.now : null);
    report.duration = end !== null ? Math.max(0, end - report.started) : null;
  }
  report.outcome = outcomeOf(report.state, report.result);
  if (report.outcome === 'failed' && !report.reason) {
    report.reason = report.exit !== null && report.exit !== 0 ? `exited with code ${report.exit}` : `result ${report.result ?? 'UNKNOWN'}`;
  }

  if (kind === 'tier') {
    const failures = new Map(parentFailures);
    // A tier's roll-up paths start at its own ident.
    for (const f of summary?.failures ?? []) failures.set([...node.path.slice(0, -1), ...f.path].join('.'), f);
    // Why children were skipped: the roll-up's list, else the lines the tier logged.
    const recorded = new Map<string, string>();
    for (const sk of summary?.skipped ?? []) recorded.set([...node.path.slice(0, -1), ...sk.path].join('.'), sk.reason);
    const logged = node.exists ? safe(() => skipReasons(node.reader), new Map<string, string>()) : new Map<string, string>();
    report.children = node.children.map((child) => {
      const built = buildNode(child, ctx, failures);
      if (built.state === 'skipped' && !failures.has(built.path.join('.'))) {
        const why = recorded.get(built.path.join('.')) ?? skipReasonFor(logged, child.ident);
        if (why) built.reason = why;
      }
      return built;
    });
    const totals = emptyTotals();
    const counts = { ...report.messages };
    for (const child of report.children) {
      addCounts(counts, child.messages);
      // A rerun leaves what it did not select alone: not part of this run's totals.
      if (child.state === 'skipped' && child.reason === NOT_SELECTED) continue;
      if (child.totals) addTotals(totals, child.totals);
      else {
        totals.total += 1;
        totals[child.outcome] += 1;
      }
    }
    // A pruned sub-tier never ran: its expected jobs count as skipped.
    if (!node.exists && entry && entry.expectedChildren > 0 && report.children.length === 0 && report.reason !== NOT_SELECTED) {
      totals.total += entry.expectedChildren;
      totals[report.state === 'skipped' ? 'skipped' : 'pending'] += entry.expectedChildren;
    }
    report.messages = counts;
    report.totals = totals;
    if (summary?.buckets?.length) report.buckets = summary.buckets;
    if (summary?.stats && Object.keys(summary.stats).length > 0) report.stats = withMean(summary.stats);
    if (report.state === 'complete' && report.result !== 'SUCCESS' && !report.reason) {
      report.reason = totals.failed + totals.lost > 0 ? `${totals.failed + totals.lost} job(s) failed` : null;
    }
  }
  return report;
}

/** Every node of the tree, depth first, parents before children. */
export function* eachNode(node: NodeReport): Generator<NodeReport> {
  yield node;
  for (const child of node.children ?? []) yield* eachNode(child);
}

export function jobsOf(root: NodeReport): NodeReport[] {
  return [...eachNode(root)].filter((n) => n.kind === 'job');
}

/** The failure record of a failed or lost job. */
export function failureOf(job: NodeReport): Failure {
  const f: Failure = { path: job.path, reason: job.reason ?? job.outcome };
  if (job.errors.length > 0) f.errors = job.errors;
  if (job.log) f.log = job.log;
  const last = job.attempts[job.attempts.length - 1];
  if (last && job.attempts.length > 1) f.attempt = last.attempt;
  return f;
}

/**
 * Read a run (its root tracking directory or root db.sqlite). Throws
 * DatabaseError (GATOR_DB_READ) when the root cannot be read.
 */
export function loadRunReport(trackingDir: string, options: ReportOptions = {}): RunReport {
  const walked = walkRun(trackingDir);
  try {
    const rootAttrs = walked.reader.attributes();
    const ctx: Context = {
      errorLines: options.errorLines ?? 5,
      now: options.now ?? Date.now() / 1000,
      runOver: num(rootAttrs.stopped) !== null,
    };
    const summary = parseSummary(rootAttrs.summary);
    const root = buildNode(walked, ctx, new Map());
    const totals = root.totals ?? { ...emptyTotals(), total: 1, [root.outcome]: 1 };
    const failures = jobsOf(root)
      .filter((j) => j.outcome === 'failed' || j.outcome === 'lost')
      .map(failureOf);
    return {
      tracking: walked.dir,
      dbFile: walked.dbFile,
      ident: root.ident,
      live: !ctx.runOver,
      state: root.state,
      result: root.result,
      reason: root.reason,
      started: root.started,
      stopped: root.stopped,
      duration: root.duration,
      totals,
      messages: root.messages,
      failures,
      buckets: summary?.buckets ?? root.buckets ?? [],
      stats: root.stats ?? {},
      summary,
      root,
    };
  } finally {
    closeRun(walked);
  }
}

/** The node at JOB_PATH (dotted idents, with or without the root's ident). */
export function findNode(root: NodeReport, jobPath: string): NodeReport {
  const all = [...eachNode(root)];
  const hit = all.find((n) => matchesPath(n.path, root.ident, jobPath));
  if (hit) return hit;
  throw jobNotFound(jobPath, all.map((n) => n.path), root.dir);
}

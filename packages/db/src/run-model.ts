/**
 * The run model (docs/run-model.md): a run read back from its tracking files
 * into one plain tree with each job's one outcome, its own message counts,
 * Gator's notices apart, the tallies and the verdict. Every view of a run
 * (`gator show`, `logs`, `export`, `repro`, the hub) reads this, so no two can
 * disagree. Everything comes from the layers' SQLite files, so it works on a
 * finished run, a running one (files are committed every ~100 ms), a dead one
 * and a Python Gator one.
 *
 * Read, newest contract first, older records as fallback:
 * - a layer's `outcome` / `outcome_kind` / `reason` attributes, else its
 *   `stopped` / `result` / `exit` attributes and its parent's ChildEntry row;
 * - the GatorNotice table (why a job failed, why children were skipped), else
 *   the `Skipping …` / `Not running …` lines older tiers and Python logged;
 * - a tier's `summary` attribute: `jobs` (JobTally), `failures`, `skipped`,
 *   `buckets`, `stats`;
 * - the root's `pid` / `host` attributes and its files' modification times,
 *   to tell a dead run (interrupted) from a live one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BUILTIN_METRICS,
  FAILURE_KINDS,
  FINAL_OUTCOMES,
  JOB_RESULT_NAMES,
  JobResult,
  SKIP_KINDS,
  Severity,
  SummarySchema,
  addTally,
  childEntries,
  emptyTally,
  layerFile,
  loadSpec,
  runVerdict,
  type Bucket,
  type Failure,
  type FinalOutcome,
  type JobOutcome,
  type JobTally,
  type MetricStats,
  type RunOutcome,
  type RunVerdict,
  type Spec,
  type Summary,
  METRIC_SCOPES,
} from '@gator/protocol';
import type { LayerReader, NoticeRow } from './reader.js';
import { closeRun, walkRun, type RunNode } from './walk.js';

/** The reason a tier records for children `--rerun-failed` did not select. */
const NOT_SELECTED = 'not selected for rerun';

export type NodeState = 'pending' | 'running' | 'complete' | 'skipped' | 'lost';
export type ResultName = (typeof JOB_RESULT_NAMES)[number];

export interface MessageCounts {
  debug: number;
  info: number;
  warning: number;
  error: number;
  critical: number;
}

export interface AttemptModel {
  attempt: number;
  started: number | null;
  stopped: number | null;
  exit: number | null;
  result: ResultName | null;
  reason: string | null;
}

/** One of Gator's notices, with the path of the job it is about (from the root). */
export interface NoticeModel {
  timestamp: number;
  kind: NoticeRow['kind'];
  /** Idents from the root of the job (or layer) it is about. */
  path: string[];
  message: string;
}

export interface NodeModel {
  /** Idents from the root (the root's own first). */
  path: string[];
  ident: string;
  /** `job` for a !Job (wrapper layer), `tier` for a !JobGroup/!JobArray. */
  kind: 'job' | 'tier';
  dir: string;
  /** The layer's database; null when the layer never started. */
  dbFile: string | null;
  state: NodeState;
  /** The one outcome of a job (docs/run-model.md); a tier's is its own result. */
  outcome: JobOutcome;
  /** FailureKind of a failed job, SkipKind of a skipped one, when known. */
  outcomeKind: string | null;
  result: ResultName | null;
  /** Exit code of the job process (jobs only). */
  exit: number | null;
  reason: string | null;
  /** Unix seconds. */
  started: number | null;
  stopped: number | null;
  /** Seconds; for a running layer, up to now. */
  duration: number | null;
  /** A job's own messages (never Gator's notices); a tier's whole subtree. */
  messages: MessageCounts;
  /** Job-defined metrics (jobs) or the subtree's non-built-in metrics (tiers). */
  metrics: Record<string, number>;
  /** First ERROR/CRITICAL lines of its own (failed jobs). */
  errors: string[];
  /** Where its messages live: messages.log, else the layer directory. */
  log: string | null;
  attempts: AttemptModel[];
  /** Tiers: jobs under it by outcome (tiers never counted). */
  totals?: JobTally;
  /** Tiers: from the stored roll-up. */
  buckets?: Bucket[];
  stats?: Record<string, MetricStats & { mean: number }>;
  children?: NodeModel[];
}

export interface RunModel {
  /** Root tracking directory. */
  tracking: string;
  dbFile: string;
  ident: string;
  /** True while the run goes on: the root has not recorded `stopped` and is not known dead. */
  live: boolean;
  /** The root has not recorded its end and its process is gone (or silent too long). */
  interrupted: boolean;
  /** Newest modification time of the root's files (Unix seconds): when it was last heard of. */
  lastHeard: number | null;
  /** The verdict (`runVerdict` of the contract) of the whole run. */
  verdict: RunVerdict;
  outcome: RunOutcome;
  state: NodeState;
  result: ResultName | null;
  reason: string | null;
  started: number | null;
  stopped: number | null;
  duration: number | null;
  totals: JobTally;
  messages: MessageCounts;
  /** Failed and lost jobs, in tree order. */
  failures: Failure[];
  /** Every notice of every layer, oldest first (paths from the root). */
  notices: NoticeModel[];
  buckets: Bucket[];
  stats: Record<string, MetricStats & { mean: number }>;
  /** The root's own stored roll-up (null for a lone !Job root or a Python run). */
  summary: Summary | null;
  root: NodeModel;
}

export interface RunModelOptions {
  /** Error lines kept per failed job (default 5). */
  errorLines?: number;
  /** Now, in Unix seconds, for durations of running layers (tests pin it). */
  now?: number;
  /** A root without a `pid` on this host is dead after this long without a write (default 600 s). */
  silentAfter?: number;
}

const BUILTIN = new Set<string>([...BUILTIN_METRICS, 'jobs_total', 'jobs_passed', 'jobs_failed']);

/** Gator's own metrics (counts), not a job's (package-internal: recorded-run.ts). */
export function isBuiltinMetric(name: string): boolean {
  return BUILTIN.has(name);
}
/** The line a wrapper logged, before notices, when its job failed (not a message of the job). */
const OLD_FAILED_LINE = /^Job failed: /;
/** The lines a tier logged, before notices, about its children. */
const OLD_TIER_LINE = /^(Skipping|Cannot launch|Not running) |^Tier '[^']*' failed: /;

/** True for a message Gator itself logged before it had notices (a fallback for older and Python runs). */
export function isOldNoticeLine(kind: 'tier' | 'wrapper', message: string): boolean {
  return kind === 'wrapper' ? OLD_FAILED_LINE.test(message) : OLD_TIER_LINE.test(message);
}

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

function addCounts(into: MessageCounts, from: MessageCounts): void {
  into.debug += from.debug;
  into.info += from.info;
  into.warning += from.warning;
  into.error += from.error;
  into.critical += from.critical;
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
    const own = countsOfMetrics(reader.metrics(METRIC_SCOPES.own));
    if (own) return own;
  }
  return countMessages(reader);
}

/** A layer's final message counts from its msg_* metrics, when they are all there (package-internal). */
export function countsOfMetrics(own: Record<string, number>): MessageCounts | undefined {
  if (own.msg_error === undefined || own.msg_warning === undefined || own.msg_info === undefined) return undefined;
  return {
    debug: own.msg_debug ?? 0,
    info: own.msg_info,
    warning: own.msg_warning,
    error: own.msg_error,
    critical: own.msg_critical ?? 0,
  };
}

/**
 * The lines Gator logged as messages before it had notices (a wrapper's `Job
 * failed: …`, a tier's `Skipping …`) are Gator's, not the layer's: take them
 * out of its counts (layers without notices only).
 */
function withoutOldNoticeLines(reader: LayerReader, kind: 'tier' | 'wrapper', counts: MessageCounts): MessageCounts {
  const grep = kind === 'wrapper' ? OLD_FAILED_LINE : OLD_TIER_LINE;
  const out = { ...counts };
  const levels: [keyof MessageCounts, number, number][] = [
    ['critical', Severity.CRITICAL, Infinity],
    ['error', Severity.ERROR, Severity.CRITICAL],
    ['warning', Severity.WARNING, Severity.ERROR],
    ['info', Severity.INFO, Severity.WARNING],
  ];
  for (const [name, low, high] of levels) {
    const n = reader.countMessages({ minSeverity: low, grep }) - (high === Infinity ? 0 : reader.countMessages({ minSeverity: high, grep }));
    out[name] = Math.max(0, out[name] - n);
  }
  return out;
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
 * Why a tier skipped children, from the lines older tiers (and Python) log
 * (`Skipping job 'report': dependency 'tests' failed`, `Cannot launch array
 * 'x': …`, `Skipping 3 children that had not been launched: run stopped`,
 * `Not running 'x': not selected for rerun`). Only for layers without
 * notices. Key '' holds the reason for all the rest.
 */
function skipReasonsFromLines(reader: LayerReader): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of reader.messages({ grep: /^(Skipping|Cannot launch|Not running) / })) {
    const said = skipSentence(m.message);
    if (!said) continue;
    if (said.ident !== undefined) out.set(said.ident, said.reason);
    else if (!out.has('')) out.set('', said.reason);
  }
  return out;
}

/**
 * A tier's skip sentence (`Skipping job 'report': dependency 'tests' failed`,
 * `Cannot launch array 'x' (3 copies): …`, `Not running 'x': not selected for
 * rerun`, `Skipping 3 children that had not been launched: run stopped`): who
 * (no ident: all the rest) and why, as the live lines say it.
 */
function skipSentence(text: string): { ident?: string; reason: string } | undefined {
  const named = /^(?:Skipping|Cannot launch) (?:job|group|array) '([^']+)'(?: \(\d+ copies\))?: (.*)$/s.exec(text) ?? /^Not running '([^']+)': (.*)$/s.exec(text);
  if (named) return { ident: named[1]!, reason: named[2]! };
  const rest = /^Skipping \d+ child(?:ren)? that had not been launched: (.*)$/s.exec(text);
  return rest ? { reason: rest[1]! } : undefined;
}

/** Why a tier skipped children, from its skipped notices (path = the child's path below the tier). */
function skipReasonsFromNotices(notices: NoticeRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of notices) if (n.kind === 'skipped' && !out.has(n.path)) out.set(n.path, skipSentence(n.message)?.reason ?? n.message);
  return out;
}


function skipReasonFor(skips: Map<string, string>, ident: string): string | undefined {
  const direct = skips.get(ident);
  if (direct) return direct;
  // An array copy (`seed_3`) is skipped under its base id (`seed`).
  const base = ident.replace(/_\d+$/, '');
  return skips.get(base) ?? skips.get('');
}

/** The skip kind a reason tells (older runs record no `outcome_kind`; package-internal, also for recorded-trials.ts). */
export function skipKindOf(reason: string | null): string | null {
  if (!reason) return null;
  if (reason === NOT_SELECTED) return 'not_selected';
  if (/stopped|interrupted|the run ended first/.test(reason)) return 'stopped';
  if (/dependency|depend/.test(reason)) return 'dependency';
  return null;
}

/** The failure kind a reason tells (older runs record no `outcome_kind`). */
function failureKindOf(reason: string | null, exit: number | null): string | null {
  if (reason && /time ?limit|timed out|timeout/i.test(reason)) return 'timeout';
  if (reason && /no sign of life|hang/i.test(reason)) return 'hang';
  if (reason && /budget/i.test(reason)) return 'budget';
  if (reason && /could not be (started|launched)|cannot launch|failed to launch/i.test(reason)) return 'launch';
  if (exit !== null && exit !== 0) return 'exit';
  if (reason && /error|critical/i.test(reason)) return 'errors';
  return null;
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
  /** The root recorded `stopped`, or is dead: whatever has not finished never will. */
  runOver: boolean;
  /** The root is dead without recording its end. */
  interrupted: boolean;
  notices: NoticeModel[];
  /** The run's spec (the root's spec.yaml), to list the jobs of subtrees that never started. */
  spec: Spec | undefined;
  /** A node already known without opening its layer (recorded-run.ts: a job its tier's records say passed). */
  known?: (node: RunNode) => NodeModel | undefined;
}

/** The root's spec, or undefined when it cannot be read (a Python run, a damaged file). */
function readRootSpec(dir: string): Spec | undefined {
  try {
    return loadSpec(fs.readFileSync(layerFile(dir, 'spec'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The spec of the layer at `path` (idents from the root), found by walking the root's spec. */
function specAt(root: Spec | undefined, path: readonly string[]): Spec | undefined {
  let spec = root;
  for (const id of path.slice(1)) {
    if (!spec || spec.kind === 'job') return undefined;
    // Seeds are not needed to find a child: no randomness spent.
    spec = childEntries(spec, { random: () => 0 }).find((e) => e.id === id)?.spec;
  }
  return spec;
}

/**
 * The layers under a subtree that never started (pruned by a dependency or a
 * stop): each of its jobs is a job of the run, skipped for the subtree's reason.
 */
function neverStarted(parent: NodeModel, spec: Spec): NodeModel[] {
  if (spec.kind === 'job') return [];
  return childEntries(spec, { random: () => 0 }).map((entry) => {
    const node: NodeModel = {
      ...parent,
      path: [...parent.path, entry.id],
      ident: entry.id,
      kind: entry.spec.kind === 'job' ? 'job' : 'tier',
      dir: path.join(parent.dir, entry.trackingSubdir ?? entry.id),
      dbFile: null,
      messages: emptyCounts(),
      metrics: {},
      errors: [],
      attempts: [],
      children: undefined,
      totals: undefined,
    };
    if (node.kind === 'tier') {
      node.children = neverStarted(node, entry.spec);
      const totals = emptyTally();
      for (const child of node.children) addTally(totals, child.totals ?? tallyOfNode(child));
      node.totals = totals;
    } else delete node.children, delete node.totals;
    return node;
  });
}

/** A layer given up on before it wrote anything, and the jobs under it. */
function markLost(node: NodeModel, reason: string): void {
  node.state = 'lost';
  node.outcome = 'lost';
  node.outcomeKind = null;
  node.result = 'FAILURE';
  node.reason = reason;
  if (node.kind !== 'tier') return;
  const totals = emptyTally();
  for (const child of node.children ?? []) {
    markLost(child, reason);
    addTally(totals, child.totals ?? tallyOfNode(child));
  }
  node.totals = node.children?.length ? totals : { ...emptyTally(), total: node.totals?.total ?? 0, lost: node.totals?.total ?? 0 };
}

/** Under a tier its parent gave up on, every layer that never started is lost too; the tier's totals follow. */
function markNeverStartedLost(node: NodeModel, reason: string): void {
  if (!node.children?.length) return;
  const totals = emptyTally();
  for (const child of node.children) {
    if (!child.dbFile && child.outcome === 'skipped' && child.outcomeKind === 'stopped') markLost(child, reason);
    else if (child.kind === 'tier') markNeverStartedLost(child, reason);
    if (child.outcome === 'skipped' && (child.outcomeKind === 'not_selected' || child.reason === NOT_SELECTED)) continue;
    addTally(totals, child.totals ?? tallyOfNode(child));
  }
  node.totals = totals;
}

/** The jobs of a subtree that never started were skipped for the subtree's reason. */
function inheritSkip(node: NodeModel): void {
  for (const child of node.children ?? []) {
    if (child.dbFile) continue;
    child.reason = node.reason;
    child.outcomeKind = node.outcomeKind;
    inheritSkip(child);
  }
}

function tallyOfNode(node: NodeModel): JobTally {
  const t = emptyTally();
  t.total = 1;
  t[node.outcome] = 1;
  return t;
}

function outcomeOf(state: NodeState, result: ResultName | null): JobOutcome {
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

function recordedOutcome(value: string | undefined): FinalOutcome | null {
  return value !== undefined && (FINAL_OUTCOMES as readonly string[]).includes(value) ? (value as FinalOutcome) : null;
}

function recordedKind(outcome: JobOutcome, value: string | undefined): string | null {
  if (!value) return null;
  if (outcome === 'failed' && (FAILURE_KINDS as readonly string[]).includes(value)) return value;
  if (outcome === 'skipped' && (SKIP_KINDS as readonly string[]).includes(value)) return value;
  return outcome === 'failed' || outcome === 'skipped' ? null : value;
}

function stateFor(outcome: FinalOutcome): NodeState {
  switch (outcome) {
    case 'lost':
      return 'lost';
    case 'skipped':
      return 'skipped';
    default:
      return 'complete';
  }
}

/** The notice of a layer about itself that says how it ended (failed, lost, stopped). */
function ownEndNotice(notices: NoticeRow[]): NoticeRow | undefined {
  return [...notices].reverse().find((n) => n.path === '' && n.kind !== 'skipped' && n.kind !== 'problem');
}

function buildNode(node: RunNode, ctx: Context, parentFailures: Map<string, Failure>): NodeModel {
  try {
    return buildNodeOpen(node, ctx, parentFailures);
  } finally {
    // One layer's connection at a time (plus its ancestors'): see walk.ts `expand`.
    closeReaderOf(node);
  }
}

function closeReaderOf(node: RunNode): void {
  (node as { closeReader?: () => void }).closeReader?.();
}

function buildNodeOpen(node: RunNode, ctx: Context, parentFailures: Map<string, Failure>): NodeModel {
  const entry = node.entry;
  const kind: 'job' | 'tier' = node.exists ? (node.kind === 'tier' ? 'tier' : 'job') : entry && entry.expectedChildren > 0 ? 'tier' : 'job';
  const known = parentFailures.get(node.path.join('.'));
  const report: NodeModel = {
    path: node.path,
    ident: node.ident,
    kind,
    dir: node.dir,
    dbFile: node.exists ? node.dbFile : null,
    state: 'pending',
    outcome: 'pending',
    outcomeKind: null,
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
  let notices: NoticeRow[] = [];
  let recorded: FinalOutcome | null = null;
  let attrs: Record<string, string> = {};
  if (!node.exists) {
    // Never wrote a database: pruned (ABORTED) or not launched yet.
    report.state = entry?.result === JobResult.ABORTED || ctx.runOver ? 'skipped' : 'pending';
    if (report.state === 'skipped') {
      report.result = 'ABORTED';
      report.reason =
        known?.reason ??
        (ctx.runOver && entry?.result !== JobResult.ABORTED ? (ctx.interrupted ? 'never ran: the run was interrupted first' : 'never ran: the run ended first') : 'never ran (skipped)');
      if (ctx.runOver && entry?.result !== JobResult.ABORTED) report.outcomeKind = 'stopped';
    }
  } else if (openError(node) !== undefined) {
    // A damaged file must not hide the rest of the run: this layer has no known result.
    report.state = 'lost';
    report.reason = `its database could not be read: ${openError(node)}`;
    report.log = layerFile(node.dir, 'messages');
  } else {
    const reader = node.reader;
    attrs = safe(() => reader.attributes(), {} as Record<string, string>);
    notices = safe(() => reader.notices(), [] as NoticeRow[]);
    for (const n of notices) {
      ctx.notices.push({ timestamp: n.timestamp, kind: n.kind, path: n.path ? [...node.path, ...n.path.split('.')] : node.path, message: n.message });
    }
    report.started = num(attrs.started) ?? report.started;
    const ownStop = num(attrs.stopped);
    report.stopped = ownStop ?? report.stopped;
    const result = num(attrs.result);
    report.result = result !== null ? resultName(result) : null;
    report.exit = num(attrs.exit);
    const endNotice = ownEndNotice(notices);
    report.reason = attrs.reason || endNotice?.message || known?.reason || null;
    recorded = ownStop !== null ? recordedOutcome(attrs.outcome) : null;
    if (ownStop !== null) {
      report.state = recorded ? stateFor(recorded) : 'complete';
      report.result ??= resultName(entry?.result ?? JobResult.UNKNOWN);
    } else if (report.stopped !== null) {
      // The parent closed its entry but the layer never recorded its end: it died.
      report.state = 'lost';
      report.result ??= resultName(entry?.result ?? JobResult.UNKNOWN);
      report.reason ??= 'lost: the layer never recorded its end';
    } else if (ctx.runOver) {
      // Started but never recorded its end although the run is over: lost (or, in a dead run, cut off).
      report.state = report.started !== null ? 'lost' : 'skipped';
      if (report.state === 'skipped') report.outcomeKind = 'stopped';
      report.reason ??=
        report.started !== null
          ? ctx.interrupted
            ? 'lost: the run was interrupted while it ran'
            : 'lost: the layer never recorded its end'
          : ctx.interrupted
            ? 'never ran: the run was interrupted first'
            : 'never ran: the run ended first';
    } else {
      report.state = report.started !== null ? 'running' : 'pending';
    }
    let counts = safe(() => messageCounts(reader, report.state === 'complete'), emptyCounts());
    // A job that passed never logged `Job failed`; a layer with notices logs none of these lines.
    if (notices.length === 0 && (kind === 'tier' || report.result !== 'SUCCESS')) {
      counts = safe(() => withoutOldNoticeLines(reader, node.kind, counts), counts);
    }
    report.messages = counts;
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
      report.errors = safe(() => reader.messages({ minSeverity: Severity.ERROR, limit: ctx.errorLines + 1 }), [])
        .filter((m) => !OLD_FAILED_LINE.test(m.message))
        .slice(0, ctx.errorLines)
        .map((m) => m.message);
      if (report.errors.length === 0 && known?.errors) report.errors = known.errors.slice(0, ctx.errorLines);
    }
  }
  if (report.started !== null) {
    const end = report.stopped ?? (report.state === 'running' ? ctx.now : null);
    report.duration = end !== null ? Math.max(0, end - report.started) : null;
  }
  report.outcome = recorded ?? outcomeOf(report.state, report.result);
  report.outcomeKind ??= recordedKind(report.outcome, attrs.outcome_kind);
  if (report.outcome === 'failed' && !report.reason) {
    report.reason = report.exit !== null && report.exit !== 0 ? `exited with code ${report.exit}` : `result ${report.result ?? 'UNKNOWN'}`;
  }
  if (report.outcome === 'failed' && kind === 'job') report.outcomeKind ??= failureKindOf(report.reason, report.exit);

  if (kind === 'tier') {
    const failures = new Map(parentFailures);
    // A tier's roll-up paths start at its own ident.
    for (const f of summary?.failures ?? []) failures.set([...node.path.slice(0, -1), ...f.path].join('.'), f);
    // Why children were skipped: the tier's notices, else its roll-up's list, else the lines it logged.
    const listed = new Map<string, string>();
    for (const sk of summary?.skipped ?? []) listed.set([...node.path.slice(0, -1), ...sk.path].join('.'), sk.reason);
    const fromNotices = skipReasonsFromNotices(notices);
    const lostChildren = new Map<string, string>();
    for (const n of notices) if (n.kind === 'lost' && n.path) lostChildren.set(n.path, `lost: ${/^Child '[^']+' lost: (.*)$/s.exec(n.message)?.[1] ?? n.message}`);
    const logged = node.exists && notices.length === 0 ? safe(() => skipReasonsFromLines(node.reader), new Map<string, string>()) : new Map<string, string>();
    report.children = node.children.map((child) => {
      const built = ctx.known?.(child) ?? buildNode(child, ctx, failures);
      if (built.state === 'skipped' && !failures.has(built.path.join('.'))) {
        const why = skipReasonFor(fromNotices, child.ident) ?? listed.get(built.path.join('.')) ?? skipReasonFor(logged, child.ident);
        if (why && (!built.reason || /^never ran/.test(built.reason) || !built.dbFile)) built.reason = why;
        if (why) built.outcomeKind = skipKindOf(why) ?? built.outcomeKind;
      }
      if (built.outcome === 'skipped') built.outcomeKind ??= skipKindOf(built.reason);
      // A child that never wrote its database and that the tier gave up on: lost, with every job under it (as its tally says).
      const lost = lostChildren.get(child.ident);
      if (lost !== undefined && !built.dbFile) markLost(built, lost);
      // A sub-tier given up on that did start: what never started under it is lost with it, as its tally counts it (lostTally).
      else if (lost !== undefined && built.kind === 'tier') markNeverStartedLost(built, 'lost: its tier was lost before it started');
      else if (!built.dbFile && built.outcome === 'skipped') inheritSkip(built);
      return built;
    });
    const totals = emptyTally();
    const counts = { ...report.messages };
    for (const child of report.children) {
      addCounts(counts, child.messages);
      // A rerun leaves what it did not select alone: not part of this run's totals.
      if (child.outcome === 'skipped' && (child.outcomeKind === 'not_selected' || child.reason === NOT_SELECTED)) continue;
      if (child.totals) addTally(totals, child.totals);
      else {
        totals.total += 1;
        totals[child.outcome] += 1;
      }
    }
    // A sub-tier that never started: its jobs, from the spec, are the run's jobs too (skipped for its reason).
    const pruned = !node.exists && report.children.length === 0 ? specAt(ctx.spec, node.path) : undefined;
    if (pruned) {
      report.children = neverStarted(report, pruned);
      for (const child of report.children) if (!(child.outcome === 'skipped' && (child.outcomeKind === 'not_selected' || child.reason === NOT_SELECTED))) addTally(totals, child.totals ?? tallyOfNode(child));
    }
    // Without a spec to list them, its expected jobs count as skipped.
    if (!pruned && !node.exists && entry && entry.expectedChildren > 0 && report.children.length === 0 && report.reason !== NOT_SELECTED) {
      totals.total += entry.expectedChildren;
      totals[report.state === 'skipped' ? 'skipped' : 'pending'] += entry.expectedChildren;
    }
    // The tier's own tally (summary.jobs) knows jobs whose files are gone; the files know each job.
    const own = summary?.jobs;
    report.totals = own && report.state === 'complete' && own.total > totals.total ? { ...own } : totals;
    report.messages = counts;
    if (summary?.buckets?.length) report.buckets = summary.buckets;
    if (summary?.stats && Object.keys(summary.stats).length > 0) report.stats = withMean(summary.stats);
    if (report.state === 'complete' && report.result !== 'SUCCESS' && !report.reason) {
      const bad = report.totals.failed + report.totals.lost;
      report.reason = bad > 0 ? `${bad} job${bad === 1 ? '' : 's'} failed` : null;
    }
  }
  return report;
}

/** Every node of the tree, depth first, parents before children. */
export function* eachNode(node: NodeModel): Generator<NodeModel> {
  yield node;
  for (const child of node.children ?? []) yield* eachNode(child);
}

export function jobsOf(root: NodeModel): NodeModel[] {
  return [...eachNode(root)].filter((n) => n.kind === 'job');
}

/** The failure record of a failed or lost job. */
export function failureOf(job: NodeModel): Failure {
  const f: Failure = { path: job.path, reason: job.reason ?? job.outcome };
  if (job.errors.length > 0) f.errors = job.errors;
  if (job.log) f.log = job.log;
  const last = job.attempts[job.attempts.length - 1];
  if (last && job.attempts.length > 1) f.attempt = last.attempt;
  return f;
}

/** Newest modification time (Unix seconds) of a layer's database files and log. */
function newestWrite(dbFile: string): number | null {
  let newest: number | null = null;
  for (const file of [dbFile, `${dbFile}-wal`, layerFile(dbFile.replace(/[\\/][^\\/]+$/, ''), 'messages')]) {
    try {
      const t = fs.statSync(file).mtimeMs / 1000;
      if (newest === null || t > newest) newest = t;
    } catch {
      // not there: fine
    }
  }
  return newest;
}

/** Whether a process of this machine is alive (EPERM: alive, someone else's). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a root that has not recorded `stopped` is gone: its `pid` on this
 * host is not alive, else (another host, or no pid recorded) its files have
 * not been written for `silentAfter` seconds (the root writes its summary
 * with every change, a root job its resource samples).
 */
export function rootIsGone(kind: 'tier' | 'wrapper', attrs: Record<string, string>, lastHeard: number | null, now: number, silentAfter = 600): boolean {
  // A wrapper's `pid` is its job's (Python's meaning), which comes and goes between attempts: only `layer_pid` tells.
  const pid = num(attrs.layer_pid) ?? (kind === 'tier' ? num(attrs.pid) : null);
  if (pid !== null && pid > 0 && attrs.host === os.hostname()) return !pidAlive(pid);
  return lastHeard !== null && now - lastHeard > silentAfter;
}

/**
 * Read a run (its root tracking directory or root db.sqlite) into the run
 * model. Throws DatabaseError (GATOR_DB_READ) when the root cannot be read.
 */
export function loadRunModel(trackingDir: string, options: RunModelOptions = {}): RunModel {
  const walked = walkRun(trackingDir);
  try {
    return modelOfWalk(walked, options);
  } finally {
    closeRun(walked);
  }
}

/**
 * The run model of a walked run (package-internal: recorded-run.ts walks a
 * finished run from its tiers' records and knows its passed jobs already).
 */
export function modelOfWalk(walked: RunNode, options: RunModelOptions = {}, known?: (node: RunNode) => NodeModel | undefined): RunModel {
  const rootAttrs = walked.reader.attributes();
  const now = options.now ?? Date.now() / 1000;
  const recordedEnd = num(rootAttrs.stopped) !== null;
  const lastHeard = newestWrite(walked.dbFile);
  const interrupted = !recordedEnd && rootIsGone(walked.kind, rootAttrs, lastHeard, now, options.silentAfter);
  const ctx: Context = {
    errorLines: options.errorLines ?? 5,
    now: interrupted && lastHeard !== null ? lastHeard : now,
    runOver: recordedEnd || interrupted,
    interrupted,
    notices: [],
    spec: readRootSpec(walked.dir),
    ...(known ? { known } : {}),
  };
  const summary = parseSummary(rootAttrs.summary);
  const root = buildNode(walked, ctx, new Map());
  const totals = root.totals ?? (() => {
    const t = emptyTally();
    t.total = 1;
    t[root.outcome] = 1;
    return t;
  })();
  const failures = jobsOf(root)
    .filter((j) => j.outcome === 'failed' || j.outcome === 'lost')
    .map(failureOf);
  const problems: string[] = [];
  // A tier that failed for a reason of its own (a budget, a database), not because of a job.
  if (root.kind === 'tier' && root.state === 'complete' && root.result !== 'SUCCESS' && totals.failed + totals.lost === 0 && root.outcome !== 'stopped') {
    problems.push(root.reason ?? `the run recorded ${root.result ?? 'UNKNOWN'}`);
  }
  const stopped = root.outcome === 'stopped' || rootAttrs.outcome === 'stopped';
  const verdict = runVerdict({ tally: totals, stopped, interrupted, problems });
  if (interrupted) {
    const heard = lastHeard !== null ? `; last heard of at ${new Date(lastHeard * 1000).toISOString()}` : '';
    verdict.reason = `${verdict.reason}${heard}`;
    // The root itself is not a lost job: it is the run, and the run is interrupted.
    root.reason = `interrupted: the root is gone without recording its end${heard}`;
  }
  ctx.notices.sort((a, b) => a.timestamp - b.timestamp);
  return {
    tracking: walked.dir,
    dbFile: walked.dbFile,
    ident: root.ident,
    live: !ctx.runOver,
    interrupted,
    lastHeard,
    verdict,
    outcome: verdict.outcome,
    state: root.state,
    result: root.result,
    reason: root.reason,
    started: root.started,
    stopped: root.stopped,
    duration: root.duration,
    totals,
    messages: root.messages,
    failures,
    notices: ctx.notices,
    buckets: summary?.buckets ?? root.buckets ?? [],
    stats: root.stats ?? {},
    summary,
    root,
  };
}

/**
 * The hub's counts of a run come from the one run model (@gator/db
 * `loadRunModel`, docs/run-model.md), never from the `sub_*` metrics (which
 * count tiers as jobs): the job tally of every node, its one outcome and the
 * run's verdict. A finished run's model is read from its tiers' records
 * (`loadRecordedRunModel`: the tiers' files and the jobs that did not pass,
 * not every job's database), else loaded whole. A finished run's model is read
 * once; a live one's at most every few seconds (its files are committed every
 * ~100 ms).
 *
 * The runs list and a spec's trend show only a run's headline (its verdict
 * and its jobs by outcome): a finished run's root tier stores both (its
 * `outcome` and its roll-up's `jobs`, written from the same tally the model
 * counts), so those are read from the root's attributes alone, and the whole
 * model only where the root does not hold them (a live run, a root job, an
 * older or Python run).
 */
import { eachNode, loadRecordedRunModel, loadRunModel, openLayerReader, type MessageCounts, type NodeModel } from '@gator/db';
import { failureSignature, JobTallySchema, tallyOf, trialOutcome, type Failure, type JobOutcome, type JobTally, type RunOutcome } from '@gator/protocol';
import { isFile } from './files.js';
import type { RunRecord } from './repository/index.js';

export interface NodeTally {
  jobs: JobTally;
  outcome: JobOutcome;
  /** Its own messages (a tier's: its subtree's), never Gator's notices. */
  messages: MessageCounts;
  /** Why it did not pass (the model's reason: the same words `gator show` prints). */
  reason: string | null;
  /** A job that passed only on a retry (docs/run-model.md: flaky, counted as passed). */
  flaky?: true;
  /**
   * A subtree that never started has no database to list its children: the
   * model lists them from the spec (their idents and kinds, in order).
   */
  neverStarted?: { ident: string; kind: 'job' | 'tier' }[];
}

/** A failed or lost job, as the triage views list it (run-triage.ts). */
export interface FailedJob {
  /** Idents from the root (the root's first), as in a roll-up. */
  path: string[];
  outcome: JobOutcome;
  /** FailureKind (`exit`, `timeout`, …) when known. */
  kind: string | null;
  reason: string;
  /** Seconds. */
  duration: number | null;
  /** Its failure bucket: the masked first error line (else its reason), as the wrapper signs it. */
  signature: string;
  /** Its first error line. */
  error: string | null;
}

/** A layer with a database, in tree order: what a search across the run reads. */
export interface RunLayer {
  /** Idents below the root (the root itself is []). */
  path: string[];
  dbFile: string;
  kind: 'tier' | 'wrapper';
}

export interface RunTallies {
  /** By the node's idents below the root, dotted ('' is the root). */
  nodes: Map<string, NodeTally>;
  outcome: RunOutcome;
  /** Why, in words (empty when it passed). */
  reason: string;
  interrupted: boolean;
  /** Unix seconds. */
  lastHeard: number | null;
  /** Failed and lost jobs in tree order (paths from the root's ident, as in a roll-up). */
  failures: Failure[];
  /** Every failed and lost job, with its bucket's signature. */
  failed: FailedJob[];
  layers: RunLayer[];
}

/** What the runs list and a spec's trend show of a run (runs.ts, spec-trend.ts). */
export interface RunHeadline {
  outcome: RunOutcome;
  interrupted: boolean;
  /** Unix seconds (interrupted runs). */
  lastHeard: number | null;
  /** The run's jobs by outcome (tiers never counted). */
  jobs: JobTally | null;
}

/** The headline of a run's full tallies. */
export function headlineOf(t: RunTallies): RunHeadline {
  return { outcome: t.outcome, interrupted: t.interrupted, lastHeard: t.lastHeard, jobs: t.nodes.get('')?.jobs ?? null };
}

/** Verdicts a finished root tier records (`outcome`): never running or interrupted. */
const RECORDED_VERDICTS: readonly RunOutcome[] = ['passed', 'failed', 'stopped'];

/**
 * A finished root tier's headline from its own attributes: its recorded end
 * (`stopped`), verdict (`outcome`) and final roll-up's `jobs`, with nothing
 * running or pending. Undefined when it does not hold all of them (then the
 * model says).
 */
export function recordedHeadline(dbFile: string): RunHeadline | undefined {
  const reader = openLayerReader(dbFile);
  let attrs: Record<string, string>;
  try {
    attrs = reader.attributes();
  } finally {
    reader.close();
  }
  const outcome = attrs.outcome as RunOutcome | undefined;
  if (attrs.stopped === undefined || !Number.isFinite(Number(attrs.stopped)) || !outcome || !RECORDED_VERDICTS.includes(outcome) || !attrs.summary) return undefined;
  let jobs: JobTally;
  try {
    const parsed = JobTallySchema.safeParse((JSON.parse(attrs.summary) as { jobs?: unknown }).jobs);
    if (!parsed.success) return undefined;
    jobs = parsed.data;
  } catch {
    return undefined;
  }
  if (jobs.running + jobs.pending > 0) return undefined;
  return { outcome, interrupted: false, lastHeard: null, jobs };
}

const LIVE_TTL_MS = 3000;
const KEEP = 500;

/** The key of a node: its idents below the root, dotted. */
export function nodeKey(pathFromRoot: readonly string[]): string {
  return pathFromRoot.join('.');
}

function tallyOfNode(n: NodeModel): JobTally {
  return n.totals ? { ...n.totals } : tallyOf(n.outcome);
}

export class RunTallyCache {
  private readonly entries = new Map<string, { at: number; value: RunTallies | undefined }>();
  private readonly headlines = new Map<string, RunHeadline>();

  /**
   * A run's headline: a finished tier run's from its root's attributes (read
   * once), else from its tallies (get). Undefined when its files cannot be read from here.
   */
  headline(run: RunRecord): RunHeadline | undefined {
    const dbFile = run.completion?.dbFile || run.dbFile || '';
    if (!dbFile) return undefined;
    const key = `${run.uid}:${dbFile}`;
    const full = this.entries.get(key);
    if (full?.value && run.completion !== null) return headlineOf(full.value);
    if (run.completion !== null && run.layer === 'tier') {
      const hit = this.headlines.get(key);
      if (hit) return hit;
      let recorded: RunHeadline | undefined;
      try {
        recorded = isFile(dbFile) ? recordedHeadline(dbFile) : undefined;
      } catch {
        recorded = undefined;
      }
      if (recorded) {
        this.headlines.set(key, recorded);
        if (this.headlines.size > KEEP * 10) this.headlines.delete(this.headlines.keys().next().value as string);
        return recorded;
      }
    }
    const value = this.get(run);
    return value ? headlineOf(value) : undefined;
  }

  /** The model's tallies of a run, or undefined when its files cannot be read from here. */
  get(run: RunRecord): RunTallies | undefined {
    const dbFile = run.completion?.dbFile || run.dbFile || '';
    if (!dbFile) return undefined;
    const key = `${run.uid}:${dbFile}`;
    const hit = this.entries.get(key);
    const finished = run.completion !== null;
    if (hit && (finished || Date.now() - hit.at < LIVE_TTL_MS)) return hit.value;
    let value: RunTallies | undefined;
    try {
      value = isFile(dbFile) ? this.read(dbFile) : undefined;
    } catch {
      // Not readable from here (another host's path, a file being created): the heartbeat's numbers stay.
      value = undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, { at: Date.now(), value });
    if (this.entries.size > KEEP) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  private read(dbFile: string): RunTallies {
    // One error line per failed job: its failure bucket's signature.
    const options = { errorLines: 1 };
    const model = loadRecordedRunModel(dbFile, options) ?? loadRunModel(dbFile, options);
    const nodes = new Map<string, NodeTally>();
    const failed: FailedJob[] = [];
    const layers: RunLayer[] = [];
    for (const n of eachNode(model.root)) {
      if (n.dbFile) layers.push({ path: n.path.slice(1), dbFile: n.dbFile, kind: n.kind === 'tier' ? 'tier' : 'wrapper' });
      if (n.kind === 'job' && (n.outcome === 'failed' || n.outcome === 'lost')) {
        const reason = n.reason ?? n.outcome;
        const error = n.errors[0] ?? null;
        failed.push({ path: n.path, outcome: n.outcome, kind: n.outcomeKind, reason, duration: n.duration, signature: failureSignature(error ?? reason), error });
      }
      const tally: NodeTally = { jobs: tallyOfNode(n), outcome: n.outcome, messages: n.messages, reason: n.outcome === 'passed' ? null : n.reason };
      if (n.kind === 'job' && trialOutcome(n.outcome, n.attempts[n.attempts.length - 1]?.attempt) === 'flaky') tally.flaky = true;
      if (!n.dbFile && n.children?.length) tally.neverStarted = n.children.map((c) => ({ ident: c.ident, kind: c.kind }));
      nodes.set(nodeKey(n.path.slice(1)), tally);
    }
    nodes.set('', { ...nodes.get(''), jobs: { ...model.totals }, outcome: model.root.outcome, messages: model.messages, reason: model.root.outcome === 'passed' ? null : model.root.reason });
    return { nodes, outcome: model.outcome, reason: model.verdict.reason, interrupted: model.interrupted, lastHeard: model.lastHeard, failures: model.failures, failed, layers };
  }
}

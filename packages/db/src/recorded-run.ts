/**
 * The run model of a finished run read from its tiers' records
 * (recorded-trials.ts) instead of every job's database: the hub opens a run of
 * 10,000 jobs in tiers of 1,000 by reading eleven tier files, plus the
 * databases of the jobs that did not pass.
 *
 * The tree is walked from the ChildEntry rows; every tier, and every job that
 * failed, was lost or was skipped, is built by the run model itself
 * (run-model.ts), so their outcomes, reasons, error lines, clocks and the
 * tallies and verdict are the model's. A job its tier's records say passed
 * (on its first attempt or a retry) is not opened: its node comes from its
 * ChildEntry row, its tier's roll-up and the metrics it last reported to its
 * tier (its message counts and its own metrics); its `started`/`stopped` are
 * its tier's clock (a few milliseconds wider than its own), `attempts` holds
 * only the deciding attempt, with no times, `exit` is null and `reason` is
 * `passed on attempt N` after a retry (what a wrapper records). When the
 * records cannot say (a live run, an older or Python run, a capped list, a
 * moved tree, a layer on disk the rows do not name), this returns undefined
 * and the caller loads the run model.
 */
import path from 'node:path';
import { layerFile } from '@gator/protocol';
import { databaseError } from './errors.js';
import { openLayerReader, type ChildRow, type LayerReader } from './reader.js';
import { recordedTrials, type RecordedTrial, type TierRecords } from './recorded-trials.js';
import { countsOfMetrics, isBuiltinMetric, modelOfWalk, type NodeModel, type RunModel, type RunModelOptions } from './run-model.js';
import type { RunNode } from './walk.js';
import { DB_FILE_NAME } from './schema.js';

/** A layer of the run as its parent's row places it (walk.ts's node, without the look on disk). */
class RecordedNode implements RunNode {
  readonly children: RunNode[] = [];
  private opened: LayerReader | undefined;

  constructor(
    readonly path: string[],
    readonly ident: string,
    readonly dir: string,
    readonly dbFile: string,
    readonly kind: 'tier' | 'wrapper',
    readonly exists: boolean,
    readonly entry: ChildRow | undefined,
  ) {}

  get reader(): LayerReader {
    if (!this.opened) {
      if (!this.exists) {
        throw databaseError('GATOR_DB_READ', this.dbFile, 'the layer database', Object.assign(new Error(`layer ${this.path.join('.')} never wrote a database`), { code: 'ENOENT' }));
      }
      this.opened = openLayerReader(this.dbFile);
    }
    return this.opened;
  }

  closeReader(): void {
    this.opened?.close();
    this.opened = undefined;
  }
}

function closeAll(node: RunNode): void {
  (node as RecordedNode).closeReader();
  for (const child of node.children) closeAll(child);
}

/** The node of a job its tier's records say passed; undefined when they do not hold its message counts. */
function passedJob(node: RunNode, recorded: RecordedTrial, reported: Record<string, number> | undefined): NodeModel | undefined {
  const { trial, entry } = recorded;
  if (trial.outcome !== 'passed' && trial.outcome !== 'flaky') return undefined;
  const messages = reported ? countsOfMetrics(reported) : undefined;
  if (!messages) return undefined;
  const metrics: Record<string, number> = {};
  for (const [name, value] of Object.entries(reported ?? {})) if (!isBuiltinMetric(name)) metrics[name] = value;
  const attempt = trial.attempt ?? 1;
  return {
    path: node.path,
    ident: node.ident,
    kind: 'job',
    dir: node.dir,
    dbFile: node.dbFile,
    state: 'complete',
    outcome: 'passed',
    outcomeKind: null,
    result: 'SUCCESS',
    exit: null,
    reason: trial.reason,
    started: entry.started,
    stopped: entry.stopped,
    duration: trial.duration,
    messages,
    metrics,
    errors: [],
    log: layerFile(node.dir, 'messages'),
    attempts: [{ attempt, started: null, stopped: null, exit: null, result: 'SUCCESS', reason: null }],
  };
}

/**
 * The run model of the finished run at `trackingDir` (its root tracking
 * directory or root db.sqlite) from its tiers' records, or undefined when
 * those cannot say what `loadRunModel` would (see the file's comment).
 * Throws DatabaseError (GATOR_DB_READ) when a layer it must open cannot be read.
 */
export function loadRecordedRunModel(trackingDir: string, options: RunModelOptions = {}): RunModel | undefined {
  const resolved = path.resolve(trackingDir);
  const runDir = path.basename(resolved) === DB_FILE_NAME ? path.dirname(resolved) : resolved;
  const tiers: TierRecords[] = [];
  const trials = recordedTrials(runDir, tiers);
  if (!trials || tiers.length === 0) return undefined;
  const byPath = new Map(tiers.map((t) => [t.path.join('.'), t]));
  const known = new Map<RunNode, NodeModel>();
  const top = tiers[0]!;
  const root = new RecordedNode(top.path, top.path[0]!, runDir, top.dbFile, 'tier', true, undefined);
  const expand = (node: RecordedNode, tier: TierRecords) => {
    for (const entry of tier.entries) {
      const childPath = [...node.path, entry.ident];
      const sub = entry.expectedChildren > 0 ? byPath.get(childPath.join('.')) : undefined;
      if (sub) {
        const child = new RecordedNode(childPath, entry.ident, path.dirname(sub.dbFile), sub.dbFile, 'tier', true, entry);
        node.children.push(child);
        expand(child, sub);
        continue;
      }
      // recordedTrials has every job of the tree, by its path below the root.
      const recorded = trials.get(childPath.slice(1).join('.'));
      if (!recorded) throw new Error(`${childPath.join('.')} is not in its tier's records`);
      const dbFile = recorded.dbFile ?? (entry.dbFile || path.join(node.dir, entry.ident, DB_FILE_NAME));
      const child = new RecordedNode(childPath, entry.ident, path.dirname(dbFile), dbFile, 'wrapper', recorded.dbFile !== null, entry);
      node.children.push(child);
      const passed = passedJob(child, recorded, tier.childMetrics.get(entry.ident));
      if (passed) known.set(child, passed);
    }
  };
  try {
    expand(root, top);
  } catch {
    return undefined;
  }
  try {
    return modelOfWalk(root, options, (node) => known.get(node));
  } finally {
    closeAll(root);
  }
}

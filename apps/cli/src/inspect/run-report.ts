/**
 * The CLI's names for the run model of @gator/db (`loadRunModel`): what `gator
 * show`, `gator export` and `gator repro` work from. The model itself, and what
 * every count means, live in one place (packages/db/src/run-model.ts).
 */
import { eachNode, loadRunModel, type NodeModel, type RunModel, type RunModelOptions } from '@gator/db';
import { jobNotFound, matchesPath } from './run-nodes.js';

export { eachNode, emptyCounts, failureOf, jobsOf, withMean, type MessageCounts, type NodeState, type ResultName } from '@gator/db';
export type { JobTally as Totals } from '@gator/protocol';
export type RunReport = RunModel;
export type NodeReport = NodeModel;
export type ReportOptions = RunModelOptions;

export function loadRunReport(trackingDir: string, options: ReportOptions = {}): RunReport {
  return loadRunModel(trackingDir, options);
}

/** The node at JOB_PATH (dotted idents, with or without the root's ident). */
export function findNode(root: NodeReport, jobPath: string): NodeReport {
  const all = [...eachNode(root)];
  const hit = all.find((n) => matchesPath(n.path, root.ident, jobPath));
  if (hit) return hit;
  throw jobNotFound(jobPath, all.map((n) => n.path), root.dir);
}

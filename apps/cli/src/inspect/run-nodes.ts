/** Finding layers of a walked run by dotted job path. */
import { GatorError } from '@gator/protocol';
import type { RunNode } from '@gator/db';

export function* eachRunNode(node: RunNode): Generator<RunNode> {
  yield node;
  for (const child of node.children) yield* eachRunNode(child);
}

/** Dotted idents, with or without the root's ident (`tests.seed_1` or `nightly.tests.seed_1`). */
export function matchesPath(nodePath: readonly string[], rootIdent: string, wanted: string): boolean {
  const key = nodePath.join('.');
  const w = wanted.trim().replace(/^\.+|\.+$/g, '');
  return key === w || key === `${rootIdent}.${w}`;
}

export function jobNotFound(jobPath: string, candidates: string[][], where: string): GatorError {
  const last = jobPath.split('.').pop() ?? jobPath;
  const near = candidates.filter((p) => p[p.length - 1] === last || p.join('.').includes(jobPath)).slice(0, 5);
  return new GatorError('GATOR_JOB_NOT_FOUND', `No job '${jobPath}' in the run at ${where}.`, {
    hint: near.length > 0 ? `Did you mean ${near.map((p) => p.join('.')).join(', ')}?` : `gator show ${where} lists the tree.`,
  });
}

export function findRunNode(root: RunNode, jobPath: string): RunNode {
  for (const n of eachRunNode(root)) if (matchesPath(n.path, root.ident, jobPath)) return n;
  throw jobNotFound(jobPath, [...eachRunNode(root)].map((n) => n.path), root.dir);
}

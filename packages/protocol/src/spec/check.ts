/**
 * Checks that relate several fields or siblings, which a per-field schema
 * cannot see: duplicate ids, dependency names, self-dependencies, cycles,
 * repeated resources, and the length of a seed list. They run on the raw
 * (not yet validated) tree and skip anything of the wrong type, so they add
 * to the schema's issues instead of repeating them.
 */
import { TAGS } from './schema.js';

export type RawPath = (string | number)[];
export interface RawIssue {
  path: RawPath;
  message: string;
}

const DEPENDENCY_FIELDS = ['on_pass', 'on_fail', 'on_done'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The base id of entry `index` of a `jobs` list: its ident, or `T<index>`. */
export function entryBaseId(entry: unknown, index: number): string {
  const ident = isObject(entry) ? entry.ident : undefined;
  return typeof ident === 'string' && ident.length > 0 ? ident : `T${index}`;
}

/** Every relational problem in the tree under `root` (whose own dependencies are not checked: it has no siblings). */
export function checkRelations(root: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  // An explicit stack: a tree built in code can be deeper than the call stack.
  const stack: { node: unknown; path: RawPath }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (!isObject(node)) continue;
    if (node.kind === 'job') checkResources(node.resources, [...path, 'resources'], issues);
    if (node.kind === 'array') checkSeed(node, path, issues);
    if ((node.kind === 'group' || node.kind === 'array') && Array.isArray(node.jobs)) {
      checkSiblings(node.jobs, [...path, 'jobs'], issues);
      for (let i = node.jobs.length - 1; i >= 0; i--) stack.push({ node: node.jobs[i], path: [...path, 'jobs', i] });
    }
  }
  return issues;
}

function checkResources(resources: unknown, path: RawPath, issues: RawIssue[]): void {
  if (!Array.isArray(resources)) return;
  let cores: number | undefined;
  let memory: number | undefined;
  const licenses = new Map<string, number>();
  resources.forEach((resource, index) => {
    if (!isObject(resource)) return;
    if (resource.kind === 'cores') {
      if (cores === undefined) cores = index;
      else issues.push({ path: [...path, index], message: `more than one ${TAGS.cores} (the first is resources[${cores}]); request cores once per job` });
    } else if (resource.kind === 'memory') {
      if (memory === undefined) memory = index;
      else issues.push({ path: [...path, index], message: `more than one ${TAGS.memory} (the first is resources[${memory}]); request memory once per job` });
    } else if (resource.kind === 'license' && typeof resource.name === 'string') {
      const name = resource.name.trim();
      const first = licenses.get(name);
      if (first === undefined) licenses.set(name, index);
      else issues.push({ path: [...path, index, 'name'], message: `license '${name}' is requested twice (the first is resources[${first}]); use one ${TAGS.license} with a count` });
    }
  });
}

function checkSeed(node: Record<string, unknown>, path: RawPath, issues: RawIssue[]): void {
  const { seed, repeats } = node;
  const count = repeats === undefined ? 1 : repeats;
  if (!Array.isArray(seed) || typeof count !== 'number' || !Number.isInteger(count) || count < 1) return;
  if (seed.length !== count) {
    issues.push({
      path: [...path, 'seed'],
      message: `expected one seed per index (${count} for repeats: ${count}), found ${seed.length} seed${seed.length === 1 ? '' : 's'}`,
    });
  }
}

function checkSiblings(entries: unknown[], path: RawPath, issues: RawIssue[]): void {
  const ids = entries.map((entry, index) => entryBaseId(entry, index));
  const firstIndex = new Map<string, number>();
  ids.forEach((id, index) => {
    const first = firstIndex.get(id);
    if (first === undefined) {
      firstIndex.set(id, index);
      return;
    }
    const named = isObject(entries[index]) && typeof entries[index].ident === 'string';
    issues.push({
      path: named ? [...path, index, 'ident'] : [...path, index],
      message: `duplicate id '${id}' (also jobs[${first}]); siblings need distinct idents (an entry without ident is named T<position>)`,
    });
  });

  // Edges of the dependency graph, by entry index; names resolve to the first entry with that id.
  const edges: { to: number; cond: string; at: number }[][] = entries.map(() => []);
  entries.forEach((entry, index) => {
    if (!isObject(entry)) return;
    for (const cond of DEPENDENCY_FIELDS) {
      const names = entry[cond];
      if (!Array.isArray(names)) continue;
      names.forEach((name, at) => {
        if (typeof name !== 'string' || name.length === 0) return;
        const where = [...path, index, cond, at];
        if (name === ids[index]) {
          issues.push({ path: where, message: `'${name}' depends on itself, so it could never start` });
          return;
        }
        const target = firstIndex.get(name);
        if (target === undefined) {
          const others = ids.filter((_, i) => i !== index);
          issues.push({
            path: where,
            message: `no sibling named '${name}' (dependencies name entries of the same jobs list; siblings: ${others.length ? others.join(', ') : 'none'})`,
          });
          return;
        }
        edges[index]!.push({ to: target, cond, at });
      });
    }
  });

  for (const cycle of findCycles(edges.map((list) => list.map((e) => e.to)))) {
    const start = cycle[0]!;
    const next = cycle[1 % cycle.length]!;
    const edge = edges[start]!.find((e) => e.to === next)!;
    const names = [...cycle, start].map((i) => ids[i]);
    issues.push({
      path: [...path, start, edge.cond, edge.at],
      message: `dependency cycle ${names.join(' -> ')}: these entries would wait for each other forever`,
    });
  }
}

/**
 * One cycle per strongly connected component of more than one node (Tarjan,
 * iterative), listed in the order the edges walk it, starting at its lowest index.
 */
export function findCycles(adjacency: number[][]): number[][] {
  const n = adjacency.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; edge: number }[] = [{ v: root, edge: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const successors = adjacency[frame.v]!;
      if (frame.edge < successors.length) {
        const w = successors[frame.edge++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ v: w, edge: 0 });
        } else if (onStack[w]) {
          low[frame.v] = Math.min(low[frame.v]!, index[w]!);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low[parent] = Math.min(low[parent]!, low[frame.v]!);
      }
      if (low[frame.v] === index[frame.v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== frame.v);
        if (component.length > 1) components.push(component);
      }
    }
  }
  return components.map((component) => cycleWithin(component, adjacency)).sort((a, b) => a[0]! - b[0]!);
}

/** A simple cycle through the lowest member of a strongly connected component (BFS back to it). */
function cycleWithin(component: number[], adjacency: number[][]): number[] {
  const members = new Set(component);
  const start = Math.min(...component);
  const previous = new Map<number, number>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of adjacency[v]!) {
      if (!members.has(w)) continue;
      if (w === start) {
        const cycle = [v];
        let at = v;
        while (at !== start) {
          at = previous.get(at)!;
          cycle.push(at);
        }
        return cycle.reverse();
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component.sort((a, b) => a - b);
}

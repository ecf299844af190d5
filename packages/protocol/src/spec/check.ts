/**
 * Checks that relate several fields or siblings, which a per-field schema
 * cannot see: duplicate ids, dependency names, self-dependencies, cycles,
 * repeated resources, the length of a seed list, and how many jobs and tiers
 * the whole tree expands to. They run on the raw (not yet validated) tree and
 * skip anything of the wrong type, so they add to the schema's issues instead
 * of repeating them.
 */
import { SpecError } from '../errors.js';
import { SPEC_BOUNDS } from './bounds.js';
import { identProblem } from './ident.js';
import { JobSchema, SpecSchema, TAGS, type Spec } from './schema.js';

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

/**
 * The one check of a spec tree, shared by the loader (`gator validate` and
 * `gator run` both load through it), `validateSpec` and every layer: the
 * per-field schema, then the relations. Issues of both are returned raw
 * (paths, no positions) for the caller to place.
 */
export function checkSpecTree(raw: unknown): { spec: Spec | undefined; schemaIssues: SchemaIssue[]; relationIssues: RawIssue[] } {
  // A lone `!Job` (every wrapper's spec) needs only the job schema, not the group and array ones,
  // and is one object parsed once: without zod's compiled fast path (`jitless`), which pays for
  // itself only from a schema's second parse (a tree's many jobs keep it).
  const parsed = isObject(raw) && raw.kind === 'job' ? JobSchema.safeParse(raw, { jitless: true }) : SpecSchema.safeParse(raw);
  return {
    spec: parsed.success ? parsed.data : undefined,
    schemaIssues: parsed.success ? [] : (parsed.error.issues as SchemaIssue[]),
    relationIssues: checkRelations(raw),
  };
}

/** A zod issue, as much of it as the callers read. */
export type SchemaIssue = { path: PropertyKey[]; message: string; code: string; keys?: string[] };

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
  checkSize(root, issues);
  checkTrackingPaths(root, issues);
  return issues;
}

/** How many jobs and tiers (groups, arrays) `root` expands to, counting every array copy. */
export function treeSize(root: unknown): { jobs: number; tiers: number } {
  // Post-order without recursion: a tree built in code can be deeper than the call stack.
  const totals = new Map<object, { jobs: number; tiers: number }>();
  const open = new Set<object>(); // on the current path: a cycle (only in code-built trees) is not followed
  const stack: { node: unknown; expanded: boolean }[] = [{ node: root, expanded: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const node = frame.node;
    if (!isObject(node) || totals.has(node) || (node.kind !== 'job' && node.kind !== 'group' && node.kind !== 'array')) {
      stack.pop();
      continue;
    }
    if (node.kind === 'job') {
      totals.set(node, { jobs: 1, tiers: 0 });
      stack.pop();
      continue;
    }
    const jobs = Array.isArray(node.jobs) ? node.jobs : [];
    if (!frame.expanded) {
      frame.expanded = true;
      open.add(node);
      for (const child of jobs) if (isObject(child) && !totals.has(child) && !open.has(child)) stack.push({ node: child, expanded: false });
      continue;
    }
    stack.pop();
    open.delete(node);
    let sum = { jobs: 0, tiers: 0 };
    for (const child of jobs) {
      const t = isObject(child) ? totals.get(child) : undefined;
      if (t) sum = { jobs: sum.jobs + t.jobs, tiers: sum.tiers + t.tiers };
    }
    // A `repeats` the schema refuses counts once: its own error says enough.
    const r = node.repeats;
    const repeats = node.kind === 'array' && typeof r === 'number' && Number.isInteger(r) && r > 1 && r <= SPEC_BOUNDS.repeats ? r : 1;
    totals.set(node, { jobs: sum.jobs * repeats, tiers: 1 + sum.tiers * repeats });
  }
  return totals.get(root as object) ?? { jobs: 0, tiers: 0 };
}

/**
 * The deepest tracking directory below --tracking must stay a path Linux can
 * open: every group level adds `<base id>/`, every array level
 * `<base id>/<index>/`. Reported once, at the first entry past the bound.
 */
function checkTrackingPaths(root: unknown, issues: RawIssue[]): void {
  const stack: { node: unknown; path: RawPath; bytes: number }[] = [{ node: root, path: [], bytes: 0 }];
  while (stack.length > 0) {
    const { node, path, bytes } = stack.pop()!;
    if (!isObject(node) || (node.kind !== 'group' && node.kind !== 'array') || !Array.isArray(node.jobs)) continue;
    const r = node.repeats;
    const indexBytes = node.kind === 'array' ? String(typeof r === 'number' && Number.isInteger(r) && r > 1 && r <= SPEC_BOUNDS.repeats ? r - 1 : 0).length + 1 : 0;
    for (let i = node.jobs.length - 1; i >= 0; i--) {
      const entry = node.jobs[i];
      const below = bytes + Buffer.byteLength(entryBaseId(entry, i), 'utf8') + 1 + indexBytes;
      const at = [...path, 'jobs', i];
      if (below > SPEC_BOUNDS.trackingPathBytes) {
        issues.push({ path: at, message: `this entry's tracking directory would be ${below} bytes below --tracking (its ids joined by /); at most ${SPEC_BOUNDS.trackingPathBytes} are supported: shorten the idents above it or nest less` });
        return;
      }
      stack.push({ node: entry, path: at, bytes: below });
    }
  }
}

function checkSize(root: unknown, issues: RawIssue[]): void {
  const { jobs, tiers } = treeSize(root);
  const found = (n: number) => (n > 1e15 ? 'more than 10^15' : n.toLocaleString('en-US'));
  if (jobs > SPEC_BOUNDS.jobs) {
    issues.push({ path: [], message: `the spec expands to ${found(jobs)} jobs (counting every array copy); at most ${SPEC_BOUNDS.jobs.toLocaleString('en-US')} are supported` });
  }
  if (tiers > SPEC_BOUNDS.tiers) {
    issues.push({ path: [], message: `the spec expands to ${found(tiers)} groups and arrays (counting every array copy); at most ${SPEC_BOUNDS.tiers.toLocaleString('en-US')} are supported` });
  }
}

/**
 * The ids a tier gives its children (`childEntries`) must be distinct names
 * that are safe as `--id` and as directories. A spec that passed the loader
 * always gives such ids; a tier still checks what it is about to launch (its
 * spec may have been built in code). Throws a `SpecError` naming each bad id.
 */
export function checkChildIds(entries: readonly { id: string; baseId: string }[], file = '<spec>'): void {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const { id } of entries) {
    const problem = identProblem(id, 'id');
    if (problem) problems.push(`the child id ${JSON.stringify(id)} is not a plain name: ${problem}`);
    else if (seen.has(id)) problems.push(`two children have the id '${id}'; give sibling entries distinct idents`);
    seen.add(id);
    if (problems.length >= 20) break;
  }
  if (problems.length > 0) throw new SpecError(problems.map((message) => ({ file, line: 0, column: 0, path: 'jobs', message })));
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
  // A loop, not Math.min(...component): a component can have more members than a call takes arguments.
  let start = component[0]!;
  for (const v of component) if (v < start) start = v;
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

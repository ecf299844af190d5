// The run's job tree in the browser: loaded lazily (a page of children when a tier is
// opened), merged with the hub's pushed updates, flattened into rows for the virtual list.
import { apiPath, getJson, type Job } from './api';

export type ChildFilter = 'all' | 'failed' | 'running' | 'passed' | 'aborted' | 'pending';
/** The orders the hub sorts a tier's children in (before paging). */
export type ChildSort = 'tree' | 'name' | 'duration' | 'result';
export const CHILD_PAGE = 200;

export interface TreeNode {
  key: string;
  parent: string | undefined;
  depth: number;
  job: Job;
  /** Loaded child keys in order (undefined: not loaded). */
  children: string[] | undefined;
  childrenTotal: number | undefined;
  expanded: boolean;
  loading: boolean;
  error: string | undefined;
}

export type Row = { kind: 'node'; key: string; depth: number } | { kind: 'more'; key: string; depth: number; remaining: number };

export function isTier(job: Job): boolean {
  return job.layer === 'tier' || (typeof job.expected_children === 'number' && job.expected_children > 0) || job.expected_children === true;
}

function matches(job: Job, only: ChildFilter): boolean {
  switch (only) {
    case 'all':
      return true;
    case 'failed':
      return job.result === 2;
    case 'passed':
      return job.result === 1;
    case 'aborted':
      return job.result === 3;
    case 'running':
      return job.result === 0 && (job.status === 1 || job.status === 2);
    case 'pending':
      return job.result === 0 && job.status === 0;
  }
}

export class Tree {
  readonly nodes = new Map<string, TreeNode>();
  rootKey: string | undefined;
  only: ChildFilter = 'all';
  sort: ChildSort = 'tree';
  desc = false;
  private listeners = new Set<() => void>();

  constructor(readonly uid: number) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  private put(key: string, parent: string | undefined, depth: number, job: Job): TreeNode {
    const { children: _ignored, ...rest } = job;
    const existing = this.nodes.get(key);
    if (existing) {
      existing.job = { ...rest, children: [] };
      return existing;
    }
    const node: TreeNode = { key, parent, depth, job: { ...rest, children: [] }, children: undefined, childrenTotal: undefined, expanded: false, loading: false, error: undefined };
    this.nodes.set(key, node);
    return node;
  }

  /** Loads the root (with its first page of children). */
  async loadRoot(): Promise<TreeNode> {
    const job = await getJson<Job>(`/api/job/${this.uid}/resolve?depth=1&limit=${CHILD_PAGE}&only=${this.only}${this.order()}`);
    const key = [String(this.uid), job.ident].map(encodeURIComponent).join('/');
    this.rootKey = key;
    const root = this.put(key, undefined, 0, job);
    this.setChildren(root, job, 0);
    root.expanded = true;
    this.changed();
    return root;
  }

  private setChildren(node: TreeNode, job: Job, offset: number): void {
    const keys = job.children.map((c) => {
      const key = `${node.key}/${encodeURIComponent(c.ident)}`;
      this.put(key, node.key, node.depth + 1, c);
      return key;
    });
    const before = offset === 0 ? [] : (node.children ?? []).slice(0, offset);
    node.children = [...before, ...keys.filter((k) => !before.includes(k))];
    node.childrenTotal = job.children_total ?? job.children.length;
  }

  async loadChildren(key: string, more = false): Promise<void> {
    const node = this.nodes.get(key);
    if (!node || node.loading) return;
    node.loading = true;
    this.changed();
    const offset = more ? (node.children?.length ?? 0) : 0;
    try {
      const job = await getJson<Job>(`${apiPath('resolve', key)}?depth=1&offset=${offset}&limit=${CHILD_PAGE}&only=${this.only}${this.order()}`);
      this.put(key, node.parent, node.depth, job);
      this.setChildren(node, job, offset);
      node.error = undefined;
    } catch (e) {
      node.error = (e as Error).message;
    } finally {
      node.loading = false;
      this.changed();
    }
  }

  async toggle(key: string): Promise<void> {
    const node = this.nodes.get(key);
    if (!node) return;
    node.expanded = !node.expanded;
    this.changed();
    if (node.expanded && node.children === undefined) await this.loadChildren(key);
  }

  /** Makes a deep-linked node visible: loads and opens each ancestor, fetching the node itself if it is beyond the loaded page. */
  /** The key of `key`'s node under this tree's root (a link may name the root differently). */
  normalise(key: string): string {
    const rest = key.split('/').slice(2).filter(Boolean);
    return [this.rootKey ?? key.split('/').slice(0, 2).join('/'), ...rest].join('/');
  }

  async reveal(key: string): Promise<void> {
    if (!this.rootKey) await this.loadRoot();
    const rootKey = this.rootKey as string;
    // The root's ident in a link is not checked (Python's hub discards it too).
    const rest = key.split('/').slice(2).filter(Boolean);
    let current = rootKey;
    for (const segment of rest) {
      const parent = this.nodes.get(current) as TreeNode;
      if (parent.children === undefined) await this.loadChildren(current);
      parent.expanded = true;
      const next = `${current}/${segment}`;
      if (!this.nodes.has(next)) {
        const job = await getJson<Job>(`${apiPath('resolve', next)}?depth=0`);
        this.put(next, current, parent.depth + 1, job);
        parent.children = [...(parent.children ?? []), next];
      }
      current = next;
    }
    this.changed();
  }

  private order(): string {
    return this.sort === 'tree' ? '' : `&sort=${this.sort}${this.desc ? '&desc=1' : ''}`;
  }

  setFilter(only: ChildFilter): void {
    if (only === this.only) return;
    this.only = only;
    this.reloadOpen();
  }

  /** Children in another order: every open tier is listed again, sorted by the hub before paging. */
  setSort(sort: ChildSort, desc = false): void {
    if (sort === this.sort && desc === this.desc) return;
    this.sort = sort;
    this.desc = desc;
    this.reloadOpen();
  }

  private reloadOpen(): void {
    const reload: string[] = [];
    for (const node of this.nodes.values()) {
      if (node.children !== undefined && node.expanded) reload.push(node.key);
      node.children = undefined;
    }
    for (const key of reload) void this.loadChildren(key);
    this.changed();
  }

  /** A pushed update: the node itself plus the children that changed. */
  applyUpdate(key: string, job: Job, partial: boolean): void {
    const node = this.nodes.get(key);
    if (!node) return;
    this.put(key, node.parent, node.depth, job);
    if (node.children !== undefined) {
      const allLoaded = node.childrenTotal !== undefined && node.children.length >= node.childrenTotal;
      for (const child of job.children) {
        const ck = `${key}/${encodeURIComponent(child.ident)}`;
        if (this.nodes.has(ck)) {
          this.put(ck, key, node.depth + 1, child);
          if (!node.children.includes(ck) && allLoaded && matches(child, this.only)) node.children.push(ck);
        } else if (allLoaded && matches(child, this.only)) {
          this.put(ck, key, node.depth + 1, child);
          node.children.push(ck);
        }
      }
      if (this.only === 'all' && job.children_total !== undefined) node.childrenTotal = Math.max(job.children_total, node.children.length);
      else if (node.childrenTotal !== undefined) node.childrenTotal = Math.max(node.childrenTotal, node.children.length);
    }
    void partial;
    this.changed();
  }

  rows(): Row[] {
    const out: Row[] = [];
    const visit = (key: string): void => {
      const node = this.nodes.get(key);
      if (!node) return;
      out.push({ kind: 'node', key, depth: node.depth });
      if (!node.expanded || !node.children) return;
      for (const child of node.children) visit(child);
      const remaining = (node.childrenTotal ?? 0) - node.children.length;
      if (remaining > 0) out.push({ kind: 'more', key, depth: node.depth + 1, remaining });
    };
    if (this.rootKey) visit(this.rootKey);
    return out;
  }

  /** Keys worth watching live: the root, open tiers, and the selection. */
  watchKeys(selected: string | undefined): string[] {
    const keys = new Set<string>();
    if (this.rootKey) keys.add(this.rootKey);
    for (const node of this.nodes.values()) if (node.expanded && node.job.status !== 3) keys.add(node.key);
    if (selected && this.nodes.has(selected)) keys.add(selected);
    return [...keys].slice(0, 60);
  }
}

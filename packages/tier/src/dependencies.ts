/**
 * Dependencies between the children of one tier (spec-format.md §8): siblings
 * only, named by base id, `on_pass`/`on_fail`/`on_done` ANDed. All copies of an
 * array entry are decided together (launched together or skipped together),
 * and a dependency on an array entry waits for every copy.
 *
 * Differences from Python Gator, on purpose:
 * - `on_pass` on an array entry needs every copy to pass (Python looks only at
 *   the last copy); `on_fail` is met when any copy did not pass.
 * - An unknown name, a self-dependency or a cycle skips only the entries
 *   involved and their dependants, never unrelated siblings (Python launches
 *   nothing, or hangs on a cycle).
 * - A dependency that was itself skipped skips its dependants, whatever the
 *   kind (Python would run an `on_fail` dependant of a pruned job).
 * - An unmet `on_pass` is known as soon as one copy fails: the dependant is
 *   skipped at once instead of after the other copies.
 */
import { JobResult } from '@gator/protocol';

export type DependencyKind = 'on_pass' | 'on_fail' | 'on_done';
export const DEPENDENCY_KINDS: readonly DependencyKind[] = ['on_pass', 'on_fail', 'on_done'];

export interface DependencyNode {
  /** Child id (`sim_3`). */
  id: string;
  /** The entry's base id (`sim`): what siblings name in their dependency lists. */
  baseId: string;
  dependencies: { on_pass: readonly string[]; on_fail: readonly string[]; on_done: readonly string[] };
}

/** An entry whose dependencies can never be met, and why. */
export interface SkipDecision {
  id: string;
  baseId: string;
  /** e.g. `dependency 'build' failed`. */
  reason: string;
  /** True when the spec itself is wrong (unknown name, self-dependency, cycle), not a result. */
  specProblem: boolean;
}

export interface Decisions {
  /** Children whose dependencies are all met: launch them. */
  launch: string[];
  /** Children that will never run. They are already counted as complete here. */
  skip: SkipDecision[];
}

interface Base {
  baseId: string;
  ids: string[];
  deps: { base: string; kind: DependencyKind }[];
  /** Set when the spec makes this entry unrunnable. */
  problem?: string;
  decided: 'launch' | 'skip' | undefined;
  completed: number;
  /** Copies that completed with a result other than SUCCESS. */
  notPassed: number;
  skipped: boolean;
  /** Bases that name this one (re-evaluated when this one changes). */
  dependants: Set<string>;
}

export class DependencyGraph {
  private readonly bases = new Map<string, Base>();
  private readonly baseOf = new Map<string, string>();
  private readonly done = new Set<string>();
  /** Bases to (re-)evaluate at the next `take()`. */
  private dirty = new Set<string>();
  private undecided = 0;

  constructor(nodes: Iterable<DependencyNode>) {
    for (const node of nodes) {
      if (this.baseOf.has(node.id)) throw new Error(`DependencyGraph: duplicate child id '${node.id}'`);
      this.baseOf.set(node.id, node.baseId);
      let base = this.bases.get(node.baseId);
      if (!base) {
        base = { baseId: node.baseId, ids: [], deps: [], decided: undefined, completed: 0, notPassed: 0, skipped: false, dependants: new Set() };
        for (const kind of DEPENDENCY_KINDS) {
          for (const name of node.dependencies[kind] ?? []) base.deps.push({ base: name, kind });
        }
        this.bases.set(node.baseId, base);
        this.undecided++;
      }
      base.ids.push(node.id);
    }
    for (const base of this.bases.values()) {
      for (const dep of base.deps) {
        if (dep.base === base.baseId) base.problem ??= `it depends on itself`;
        else if (!this.bases.has(dep.base)) base.problem ??= `dependency '${dep.base}' does not exist`;
        else this.bases.get(dep.base)!.dependants.add(base.baseId);
      }
    }
    for (const cycle of this.cycles()) {
      const text = [...cycle, cycle[0]].map((b) => `'${b}'`).join(' -> ');
      for (const b of cycle) this.bases.get(b)!.problem ??= `dependency cycle ${text}`;
    }
    this.dirty = new Set(this.bases.keys());
  }

  /** Children not yet launched or skipped. */
  get pending(): number {
    let n = 0;
    for (const base of this.bases.values()) if (base.decided === undefined) n += base.ids.length;
    return n;
  }

  /** Entries (base ids) not yet decided. */
  get undecidedEntries(): number {
    return this.undecided;
  }

  /** The base id of a child. */
  baseIdOf(id: string): string | undefined {
    return this.baseOf.get(id);
  }

  /** Record a child's final result. Idempotent; unknown ids are ignored. */
  complete(id: string, result: JobResult | number): void {
    const baseId = this.baseOf.get(id);
    if (baseId === undefined || this.done.has(id)) return;
    this.done.add(id);
    const base = this.bases.get(baseId)!;
    base.completed++;
    if (result !== JobResult.SUCCESS) base.notPassed++;
    for (const d of base.dependants) this.dirty.add(d);
  }

  /**
   * What can be decided now: children to launch, and children to skip (with
   * the skips they cause in turn). Each child is returned once, ever.
   */
  take(): Decisions {
    const out: Decisions = { launch: [], skip: [] };
    while (this.dirty.size > 0) {
      const batch = this.dirty;
      this.dirty = new Set();
      for (const baseId of batch) {
        const base = this.bases.get(baseId)!;
        if (base.decided !== undefined) continue;
        const verdict = this.evaluate(base);
        if (verdict === 'wait') continue;
        if (verdict === 'launch') {
          base.decided = 'launch';
          this.undecided--;
          // A loop, not push(...ids): an array entry can have more copies than a call takes arguments.
          for (const id of base.ids) out.launch.push(id);
        } else {
          this.skipBase(base, verdict.reason, verdict.specProblem, out.skip);
        }
      }
    }
    return out;
  }

  /** Skip every undecided child (the run was stopped, or nothing else can happen). */
  abandon(reason: string): SkipDecision[] {
    const out: SkipDecision[] = [];
    for (const base of this.bases.values()) {
      if (base.decided === undefined) this.skipBase(base, reason, false, out);
    }
    this.dirty.clear();
    return out;
  }

  private skipBase(base: Base, reason: string, specProblem: boolean, out: SkipDecision[]): void {
    base.decided = 'skip';
    base.skipped = true;
    this.undecided--;
    for (const id of base.ids) {
      out.push({ id, baseId: base.baseId, reason, specProblem });
      this.done.add(id);
    }
    base.completed = base.ids.length;
    base.notPassed = base.ids.length;
    for (const d of base.dependants) this.dirty.add(d);
  }

  private evaluate(base: Base): 'launch' | 'wait' | { reason: string; specProblem: boolean } {
    if (base.problem) return { reason: base.problem, specProblem: true };
    let waiting = false;
    for (const { base: name, kind } of base.deps) {
      const dep = this.bases.get(name)!;
      if (dep.skipped) return { reason: `dependency '${name}' was skipped`, specProblem: false };
      const all = dep.completed === dep.ids.length;
      if (kind === 'on_pass') {
        if (dep.notPassed > 0) return { reason: `dependency '${name}' failed`, specProblem: false };
        if (!all) waiting = true;
      } else if (kind === 'on_fail') {
        if (!all) waiting = true;
        else if (dep.notPassed === 0) return { reason: `dependency '${name}' passed`, specProblem: false };
      } else if (!all) {
        waiting = true;
      }
    }
    return waiting ? 'wait' : 'launch';
  }

  /** Strongly connected components with more than one member (self-loops are reported separately). */
  private cycles(): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const found: string[][] = [];
    let counter = 0;
    const edges = (b: string) =>
      this.bases
        .get(b)!
        .deps.map((d) => d.base)
        .filter((d) => d !== b && this.bases.has(d));
    // Iterative Tarjan: dependency chains can be long.
    for (const start of this.bases.keys()) {
      if (index.has(start)) continue;
      const work: { node: string; next: string[]; i: number }[] = [];
      const visit = (node: string) => {
        index.set(node, counter);
        low.set(node, counter);
        counter++;
        stack.push(node);
        onStack.add(node);
        work.push({ node, next: edges(node), i: 0 });
      };
      visit(start);
      while (work.length > 0) {
        const frame = work[work.length - 1];
        if (frame.i < frame.next.length) {
          const to = frame.next[frame.i++];
          if (!index.has(to)) visit(to);
          else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
          continue;
        }
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1].node;
          low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
        }
        if (low.get(frame.node) === index.get(frame.node)) {
          const component: string[] = [];
          let member: string;
          do {
            member = stack.pop()!;
            onStack.delete(member);
            component.push(member);
          } while (member !== frame.node);
          if (component.length > 1) found.push(component.reverse());
        }
      }
    }
    return found;
  }
}

/**
 * The tier's part of the live stream (protocol.md "Job ends"): every job's end
 * goes up the tree exactly once, however short the job. The tier takes its
 * children's ends from their updates (each sender's numbers once), adds the
 * ends it decides itself (skipped children, with every job under a skipped
 * group; the running jobs of a child given up on), and sends them with its
 * next update, keeping each until an update carrying it was accepted. Memory:
 * only the ends not yet accepted by the parent (none at the root, which emits
 * them as they come).
 */
import { childEntries, type JobEnd, type SkipKind, type Spec, type Summary } from '@gator/protocol';

/** Most ends one update carries; the rest go with the next one, sent as soon as this one is accepted. */
export const ENDS_PER_UPDATE = 1000;

export interface EndRelayOptions {
  /** The tier's ident: the first element of every path it sends. */
  ident: string;
  /** Every end, path from this tier's ident (the root's renderer listens). */
  emit: (end: JobEnd) => void;
  /** Whether a parent takes ends (a Gator parent; none at the root, never a Python Gator parent). */
  forwarding: () => boolean;
  /** Ends are waiting: ask for an update soon. */
  pending: () => void;
}

/** A sender's numbering as the tier tracks it (kept on the child's live record, dropped at its completion). */
export interface EndsCursor {
  /** The next number not yet taken from this child. */
  endsTaken?: number;
  /**
   * The jobs under a tier child whose end was taken (`pathKey`): at the child's
   * loss, every other job of its spec gets its lost end, the ones it never
   * started too, as the tally counts them (a job child needs none: `endsTaken`).
   */
  endedJobs?: Set<string>;
}

/** A job's path as one string (idents hold no NUL). */
const pathKey = (path: readonly string[]) => path.join('\0');

export class EndRelay {
  /** Ends not yet accepted by the parent, paths from this tier's child (not yet prefixed). */
  private queue: JobEnd[] = [];
  /** The number of `queue[0]`. */
  private first = 0;

  constructor(private readonly o: EndRelayOptions) {}

  /** Ends waiting for the parent to accept them (memory checks). */
  get unsent(): number {
    return this.queue.length;
  }

  /** The ends of a child's `update` or `complete`, each number once (paths from the child's ident). */
  takeFrom(cursor: EndsCursor, summary: Summary): void {
    const ends = summary.ends;
    if (!ends || ends.length === 0) return;
    const from = summary.ends_from;
    const take = (end: JobEnd) => {
      if (end.path.length > 1) (cursor.endedJobs ??= new Set()).add(pathKey(end.path));
      this.add(end);
    };
    if (from === undefined) {
      // A sender that does not number its ends: each arrives once.
      for (const end of ends) take(end);
      return;
    }
    const taken = cursor.endsTaken ?? 0;
    ends.forEach((end, i) => {
      if (from + i >= taken) take(end);
    });
    cursor.endsTaken = Math.max(taken, from + ends.length);
  }

  /** An end (path from this tier's child, e.g. `[childId]` or `[childId, ...]`). */
  add(end: JobEnd): void {
    this.o.emit({ ...end, path: [this.o.ident, ...end.path] });
    if (!this.o.forwarding()) return;
    this.queue.push(end);
    this.o.pending();
  }

  /** Skipped: the child itself when it is a job, every job under it when it is a group or array. */
  skipped(childId: string, spec: Spec | undefined, kind: SkipKind, reason: string): void {
    const at = Date.now() / 1000;
    for (const path of jobPaths(childId, spec)) this.add({ path, outcome: 'skipped', kind, reason, at });
  }

  /** A child the scheduler could not launch: every job under it failed (kind `launch`), as the tally counts it. */
  failedToLaunch(childId: string, spec: Spec | undefined, reason: string): void {
    const at = Date.now() / 1000;
    for (const path of jobPaths(childId, spec)) this.add({ path, outcome: 'failed', kind: 'launch', reason, at });
  }

  /**
   * A child given up on: a job whose end never came is lost; below a tier, every
   * job whose end never came (running or never started: lost, as the tally
   * counts them). Without the tier's spec, the jobs its last summary had running.
   */
  lost(child: { id: string; kind: 'job' | 'tier' }, cursor: (EndsCursor & { spec?: Spec | undefined }) | undefined, last: Summary | undefined, reason: string): void {
    const at = Date.now() / 1000;
    if (child.kind === 'job') {
      if ((cursor?.endsTaken ?? 0) === 0) this.add({ path: [child.id], outcome: 'lost', reason, at });
      return;
    }
    const ended = cursor?.endedJobs;
    const paths = cursor?.spec ? jobPaths(child.id, cursor.spec).filter((path) => !ended?.has(pathKey(path))) : (last?.running_ids ?? []);
    for (const path of paths) this.add({ path, outcome: 'lost', reason, at });
  }

  /** `summary` with the waiting ends (at most `ENDS_PER_UPDATE`), for the parent. */
  attach(summary: Summary): Summary {
    if (this.queue.length === 0 || !this.o.forwarding()) return summary;
    const ends = this.queue.slice(0, ENDS_PER_UPDATE).map((end) => ({ ...end, path: [this.o.ident, ...end.path] }));
    return { ...summary, ends, ends_from: this.first };
  }

  /** Every waiting end, for the final report (the parent takes them all at once). */
  attachAll(summary: Summary): Summary {
    if (this.queue.length === 0 || !this.o.forwarding()) return summary;
    return { ...summary, ends: this.queue.map((end) => ({ ...end, path: [this.o.ident, ...end.path] })), ends_from: this.first };
  }

  /** The parent accepted an update: the ends it carried have arrived. */
  accepted(summary: Summary): void {
    const from = summary.ends_from;
    const n = summary.ends?.length ?? 0;
    if (from === undefined || n === 0) return;
    const drop = from + n - this.first;
    if (drop <= 0) return;
    this.queue.splice(0, drop);
    this.first += drop;
    if (this.queue.length > 0) this.o.pending();
  }
}

/** The paths of the jobs of `spec` (a child called `id`): `[id]` for a job, `[id, ...]` below a group. */
export function jobPaths(id: string, spec: Spec | undefined): string[][] {
  if (!spec || spec.kind === 'job') return [[id]];
  const out: string[][] = [];
  const walk = (prefix: string[], node: Spec) => {
    if (node.kind === 'job') {
      out.push(prefix);
      return;
    }
    for (const entry of childEntries(node)) walk([...prefix, entry.id], entry.spec);
  };
  walk([id], spec);
  return out;
}

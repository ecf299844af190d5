/**
 * The tier's record of its children: one small record per child for the
 * whole run (its ChildEntry row, state, result, last metrics), plus the live
 * part (spec, connection, scheduler handle, last summary) while it has not
 * completed. Finished children keep only the small record, so a 10,000-job
 * array does not hold 10,000 summaries.
 */
import path from 'node:path';
import { JobResult, JobState, layerFile, type ApiJob, type Connection, type LaunchedChild, type LayerPlace, type Metrics, type Spec, type Summary } from '@gator/protocol';

export interface LiveChild {
  spec: Spec | undefined;
  connection: Connection | undefined;
  handle: LaunchedChild | undefined;
  summary: Summary | undefined;
  /** Metrics not yet written to the store. */
  dirty: boolean;
  /** ms: last register/update. */
  lastHeard: number;
  /** ms: when the scheduler started the process. */
  processStarted: number | undefined;
  /** Silence (ms) after which this started child is lost, when longer than the tier's (Python Gator children). */
  lostAfterMs?: number;
  /** The next number of the child's job ends not yet taken (`ends.ts`). */
  endsTaken?: number;
}

export interface ChildRecord {
  id: string;
  baseId: string;
  index: number | undefined;
  arraySize: number | undefined;
  uidx: number;
  kind: 'job' | 'tier';
  specKind: Spec['kind'];
  /** Jobs under this child (0 for a job): ChildEntry.expected_children. */
  expected: number;
  subdir: string;
  state: JobState;
  result: JobResult;
  serverUrl: string;
  started: number | null;
  updated: number | null;
  stopped: number | null;
  reason: string | undefined;
  /** Last (then final) metrics, for `children` and shallow `resolve`. */
  metrics: Metrics | undefined;
  /** Present until the child completes, then dropped. */
  live: LiveChild | undefined;
}

/** How a child ended, as the tier's events and records say it. */
export type ChildEnd = 'passed' | 'failed' | 'lost' | 'skipped' | 'stopped';

export class ChildTable {
  private readonly records = new Map<string, ChildRecord>();
  /** Children not yet complete. */
  readonly live = new Set<ChildRecord>();
  private readonly byConnection = new Map<Connection, ChildRecord>();

  constructor(private readonly tracking: string) {}

  get size(): number {
    return this.records.size;
  }

  add(rec: ChildRecord): void {
    this.records.set(rec.id, rec);
    this.live.add(rec);
  }

  get(id: string): ChildRecord | undefined {
    return this.records.get(id);
  }

  /** The record of a child a peer named; the error is Python's. */
  lookup(ident: string): ChildRecord {
    const rec = this.records.get(ident);
    if (!rec) throw new Error(`Bad child ident ${ident}`);
    return rec;
  }

  values(): IterableIterator<ChildRecord> {
    return this.records.values();
  }

  /** The child that registered on this connection. */
  onConnection(connection: Connection): ChildRecord | undefined {
    return this.byConnection.get(connection);
  }

  /** This connection is now the child's channel (its `register` came on it). */
  attach(rec: ChildRecord, connection: Connection): void {
    const live = rec.live!;
    if (live.connection && live.connection !== connection) this.byConnection.delete(live.connection);
    live.connection = connection;
    this.byConnection.set(connection, rec);
    connection.once('close', () => {
      if (this.byConnection.get(connection) === rec) this.byConnection.delete(connection);
      if (rec.live?.connection === connection) rec.live.connection = undefined;
    });
  }

  /** The child completed: drop its live part. */
  retire(rec: ChildRecord): void {
    const live = rec.live;
    if (live?.connection) this.byConnection.delete(live.connection);
    rec.live = undefined;
    this.live.delete(rec);
  }

  /** The child's tracking directory. */
  dirOf(rec: ChildRecord): string {
    return path.join(this.tracking, rec.subdir);
  }

  dbFileOf(rec: ChildRecord): string {
    return layerFile(this.dirOf(rec), 'db');
  }

  /** A started child that answers on its connection. */
  reachable(rec: ChildRecord): Connection | undefined {
    const connection = rec.live?.connection;
    return rec.state === JobState.STARTED && connection?.isOpen ? connection : undefined;
  }

  /** A child as `children` and a shallow `resolve` describe it (protocol.md §5.1). */
  shallow(rec: ChildRecord, parent: LayerPlace & { ident: string }): ApiJob {
    return {
      uidx: rec.uidx,
      root: parent.root,
      path: [...parent.path, parent.ident],
      ident: rec.id,
      status: rec.state,
      metrics: rec.metrics ?? {},
      server_url: rec.serverUrl,
      db_file: this.dbFileOf(rec),
      owner: null,
      started: rec.started,
      updated: rec.updated,
      stopped: rec.stopped,
      result: rec.result,
      children: [],
      expected_children: rec.expected,
    };
  }

  /** Direct children: pending first, then launched/started, then completed (Python's order). */
  list(parent: LayerPlace & { ident: string }): ApiJob[] {
    const rank = (state: JobState) => (state === JobState.PENDING ? 0 : state === JobState.COMPLETE ? 2 : 1);
    const out: ApiJob[] = [];
    for (const group of [0, 1, 2]) {
      for (const rec of this.records.values()) if (rank(rec.state) === group) out.push(this.shallow(rec, parent));
    }
    return out;
  }

  /** A live child already reported a failure. */
  anyLiveFailed(): boolean {
    for (const rec of this.live) if (rec.result === JobResult.FAILURE) return true;
    return false;
  }

  /** Sizes of the live state (diagnostics and memory tests). */
  sizes(): { children: number; live: number; specs: number; summaries: number; connections: number; handles: number } {
    let specs = 0;
    let summaries = 0;
    let handles = 0;
    let connections = 0;
    for (const rec of this.live) {
      if (rec.live?.spec) specs++;
      if (rec.live?.summary) summaries++;
      if (rec.live?.handle) handles++;
      if (rec.live?.connection) connections++;
    }
    return { children: this.records.size, live: this.live.size, specs, summaries, connections: Math.max(connections, this.byConnection.size), handles };
  }
}

/**
 * The registry of runs: what the hub stores. Two implementations share this
 * interface and the same tables (Python's hub tables `registration`, `completion`,
 * `metric`, plus Gator's extra columns on `registration`): SQLite (default) and
 * PostgreSQL (when given a `postgres://` URL).
 */
import type { Summary } from '@gator/protocol';
import type { RunQuery } from '../schemas.js';

export interface Completion {
  uid: number;
  dbFile: string;
  /** Unix seconds. */
  timestamp: number;
  /** JobResult integer. */
  result: number;
}

export interface RunRecord {
  uid: number;
  /** `tier` or `wrapper`. */
  layer: string;
  ident: string;
  /** Websocket address of the root layer (`host:port`). */
  serverUrl: string;
  owner: string | null;
  /** Registration time, Unix seconds (integer, as Python's hub). */
  timestamp: number;
  /** Last heartbeat, Unix seconds; null before the first. */
  heartbeat: number | null;
  /** The last heartbeat's Summary (with Gator's extensions when the run sent them). */
  summary: Summary | null;
  /** Root db.sqlite announced at registration (Gator extension), for runs that die without completing. */
  dbFile: string | null;
  /** The run's secret for its live layers. Never sent to a browser. */
  token: string | null;
  completion: Completion | null;
  /** Latest metrics of the root (one row per name in `metric`). */
  metrics: Record<string, number>;
}

export interface NewRegistration {
  layer: string;
  ident: string;
  serverUrl: string;
  owner: string | null;
  timestamp: number;
  token: string | null;
  dbFile: string | null;
}

export interface RunPage {
  runs: RunRecord[];
  /** Runs matching the filters (ignoring the after/before window and the limit). */
  total: number;
}

export interface HubRepository {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data is (file path, or the URL without its password). */
  readonly location: string;
  register(registration: NewRegistration): Promise<number>;
  /** Stores the summary and upserts one metric row per numeric metric. False when the uid is unknown. */
  heartbeat(uid: number, summary: Summary, at: number): Promise<boolean>;
  /** Inserts a completion row and links it. False when the uid is unknown. */
  complete(uid: number, completion: Omit<Completion, 'uid'>): Promise<boolean>;
  get(uid: number): Promise<RunRecord | undefined>;
  list(query: RunQuery): Promise<RunPage>;
  close(): Promise<void>;
}

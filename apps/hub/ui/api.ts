// The hub's JSON API as the browser uses it, and the event stream.

export interface Job {
  uidx: number;
  root: number;
  path: string[];
  ident: string;
  status: number;
  metrics: Record<string, number>;
  server_url: string;
  db_file: string;
  owner: string | null;
  started: number | null;
  updated: number | null;
  stopped: number | null;
  result: number;
  children: Job[];
  expected_children: number | boolean;
  children_total?: number;
  layer?: 'tier' | 'wrapper';
  live?: boolean;
  /** Its jobs by outcome (the run model: tiers never counted). */
  jobs?: JobTally;
  /** Its one outcome in the run model. */
  outcome?: string;
  /** Passed only on a retry (the run model: flaky, counted as passed). */
  flaky?: boolean;
  /** Why it did not pass, in the run model's words. */
  reason?: string;
  /** Its messages by severity in the run model (a tier's: its subtree's; never Gator's notices). */
  messages?: { debug: number; info: number; warning: number; error: number; critical: number };
}

/** Jobs by outcome (JobTally of @gator/protocol, docs/run-model.md). */
export interface JobTally {
  total: number;
  passed: number;
  failed: number;
  lost: number;
  skipped: number;
  stopped: number;
  running: number;
  pending: number;
}

export interface Bucket {
  signature: string;
  count: number;
  examples: string[][];
}

export interface Failure {
  path: string[];
  reason: string;
  errors?: string[];
  signature?: string;
}

export interface Summary {
  metrics: Record<string, number>;
  failed_ids: string[][];
  running_ids: string[][];
  failures?: Failure[];
  buckets?: Bucket[];
  stats?: Record<string, { count: number; sum: number; min: number; max: number }>;
  sub_skipped?: number;
  sub_lost?: number;
  jobs?: JobTally;
}

export interface RunJob extends Job {
  layer: 'tier' | 'wrapper';
  heartbeat: number | null;
  live: boolean;
  stale: boolean;
  summary: { buckets?: Bucket[]; sub_skipped?: number; sub_lost?: number; failures?: number; jobs?: JobTally };
  /** The run model's verdict: passed, failed, stopped, running, interrupted. */
  outcome?: string;
  last_heard?: number | null;
}

export interface Message {
  uid: number;
  severity: number;
  message: string;
  timestamp: number;
}

export interface MessagesReply {
  messages: Message[];
  total: number;
  status: number;
  matched?: number;
  next_after: number;
  /** Read from the end (`tail=1`): page back with `before=prev_before` (0: nothing before). */
  prev_before?: number;
}

/** A failed or lost job (`/api/job/<uid>/failed/...`): its reason and its failure bucket. */
export interface FailedJob {
  path: string[];
  outcome: string;
  kind: string | null;
  reason: string;
  duration: number | null;
  signature: string;
  error: string | null;
}

/** A message found by a search across the run (`/api/job/<uid>/search/...`). */
export interface SearchMatch extends Message {
  /** Idents below the root of the job that printed it. */
  path: string[];
}

export interface SearchReply {
  matches: SearchMatch[];
  next_cursor: string | null;
  layers: number;
  scanned: number;
  unreadable: string[][];
}

export interface Detail {
  job: Job;
  run: RunJob;
  attributes: Record<string, string>;
  summary: Summary | null;
  repro: { cmd: string; cwd: string | null; env: Record<string, string>; line: string } | null;
  errors: Message[];
  procStats: { nproc: number; cpu: number; mem: number; vmem: number; timestamp: number }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `The hub answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const e = body as { reason?: string; hint?: string };
    throw new ApiError(res.status, e.reason ?? `HTTP ${res.status}`, e.hint);
  }
  return body as T;
}

/** `uid/rootIdent/child/...`: a node's key, also its URL path under /runs/ and the event stream's watch key. */
export function nodeKey(uid: number, rootIdent: string, rootPath: string[]): string {
  return [String(uid), rootIdent, ...rootPath].map(encodeURIComponent).join('/');
}

export function parseKey(key: string): { uid: number; rootIdent: string; rootPath: string[] } {
  const [uid, rootIdent, ...rest] = key.split('/').map(decodeURIComponent);
  return { uid: Number(uid), rootIdent: rootIdent ?? '', rootPath: rest };
}

/** `/api/job/<uid>/<action>/<rootIdent>/<path...>` */
export function apiPath(action: 'resolve' | 'messages' | 'detail' | 'failed' | 'search', key: string): string {
  const [uid, ...rest] = key.split('/');
  return `/api/job/${uid}/${action}${rest.length > 0 ? `/${rest.join('/')}` : ''}`;
}

export type StreamEvent =
  | { event: 'run'; data: { job: RunJob } }
  | { event: 'node'; data: { key: string; partial: boolean; job: Job } }
  | { event: 'messages'; data: MessagesReply & { key: string } }
  | { event: 'error'; data: { key?: string; reason: string } }
  | { event: 'hello'; data: { time: number } };

/** One EventSource for what the page shows; reopened (by the caller) when that changes. */
export function openStream(params: URLSearchParams, onEvent: (e: StreamEvent) => void, onState: (connected: boolean) => void): () => void {
  const source = new EventSource(`/api/events?${params.toString()}`);
  for (const name of ['run', 'node', 'messages', 'error', 'hello'] as const) {
    source.addEventListener(name, (e) => {
      try {
        onEvent({ event: name, data: JSON.parse((e as MessageEvent<string>).data) } as StreamEvent);
      } catch {
        // A malformed event is skipped; the next one carries the full state again.
      }
    });
  }
  source.onopen = () => onState(true);
  source.onerror = () => onState(source.readyState === EventSource.OPEN);
  return () => source.close();
}

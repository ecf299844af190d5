/**
 * What a child may send its parent. A Gator parent (protocol ≥ 1) takes every
 * Gator extension; a Python Gator parent (protocol 0) takes only its own
 * fields: its tier builds `Summary(**summary)` from each `update` and
 * `complete` and raises TypeError on any other key (`running_since`,
 * `failures`, `sub_skipped`, …), which rejects the request, so the child's
 * heartbeats fail and the Python root never finishes.
 *
 * The version is exchanged once, at `register`: the child sends `protocol`
 * (a Python parent ignores it), a Gator parent answers with its own, and a
 * parent that answers without one is Python Gator. Until the answer is known
 * (messages logged before registering) the child speaks version 0, which
 * every parent accepts.
 */
import { JobResult, PROTOCOL_VERSION } from './constants.js';
import { once } from './lazy.js';
import { PYTHON_REQUESTS, PythonSummarySchema, type RequestPayload, type ResponsePayload } from './messages.js';

/** What the parent understands. */
export interface ParentDialect {
  /** The protocol both sides speak: min(the parent's, ours); 0 = Python Gator. */
  readonly version: number;
  /** Whether the parent takes Gator's extensions (summary keys, `reason`, `path`). */
  readonly extensions: boolean;
}

/**
 * Python Gator's tiers send a heartbeat every 5 s whatever `--interval` they are
 * given, so a parent must not call a Python child silent sooner than a few of these.
 */
export const PYTHON_HEARTBEAT_SECONDS = 5;

/** A Python Gator parent, and any parent before its `register` reply is known. */
export const PYTHON_DIALECT: ParentDialect = Object.freeze({ version: 0, extensions: false });

/** The actions a child sends up to its parent (besides `spec`, which is the same in every dialect). */
export type UpwardAction = keyof typeof PYTHON_REQUESTS;

/** The dialect of a parent, from its reply to `register` (Python Gator's reply has no `protocol`). */
export function dialectFromRegister(reply: ResponsePayload<'register'>): ParentDialect {
  const theirs = reply.protocol;
  if (typeof theirs !== 'number' || !Number.isInteger(theirs) || theirs < 1) return PYTHON_DIALECT;
  const version = Math.min(theirs, PROTOCOL_VERSION);
  return { version, extensions: version >= 1 };
}

/** The keys of each request (and of the summary) a Python parent names. */
const pythonKeys = once(() => ({
  requests: Object.fromEntries(
    Object.entries(PYTHON_REQUESTS).map(([action, schema]) => [action, Object.keys(schema.shape)]),
  ) as Record<UpwardAction, string[]>,
  summary: Object.keys(PythonSummarySchema.shape),
}));

function pick(value: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * `payload` as the parent of `dialect` takes it: unchanged for a Gator
 * parent; for a Python parent only the keys its handler names (and a summary
 * of only `metrics`, `failed_ids`, `running_ids`). `register` always keeps
 * `protocol` (how the parent learns the child's version) and `started`: Python's
 * handler swallows both (`**_`).
 */
export function payloadForParent<A extends UpwardAction>(
  dialect: ParentDialect,
  action: A,
  payload: RequestPayload<A>,
): RequestPayload<A> {
  if (dialect.extensions) return payload;
  const known = pythonKeys();
  const keys = action === 'register' ? [...known.requests.register, 'protocol', 'started'] : known.requests[action];
  const out = pick(payload, keys);
  if ('summary' in out && out.summary && typeof out.summary === 'object') out.summary = pick(out.summary, known.summary);
  // A layer the user stopped is ABORTED here; Python's tier fails only on a child's FAILURE (its
  // own stopped layers report that), so a stopped child says FAILURE to a Python parent.
  if (out.result === JobResult.ABORTED && (action === 'update' || action === 'complete')) out.result = JobResult.FAILURE;
  return out as RequestPayload<A>;
}

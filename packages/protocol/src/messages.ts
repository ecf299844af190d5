/**
 * The websocket wire of Gator, as zod schemas: the envelope, every action's
 * request and response payloads (protocol.md §2–§5), and `encode`/`decode`
 * that never throw. Types are inferred from the schemas so the wire and the
 * types cannot drift.
 *
 * Payload schemas are loose (unknown keys kept, not rejected), and Gator's own
 * extensions travel as optional keys. A Python Gator parent ignores extra keys
 * at the top level of a payload but NOT inside a summary (its tier builds
 * `Summary(**summary)`, which raises TypeError on any other key): what a
 * Python peer accepts is kept apart (`PYTHON_REQUESTS`, `PythonSummarySchema`)
 * so `dialect.ts` can send it exactly that.
 */
import { z } from 'zod';
import { IDENTIFY_PAYLOAD } from './constants.js';
import { ProtocolError } from './errors.js';
import { lazyProps, lazySchema, once } from './lazy.js';
import { JobEndSchema, JobTallySchema } from './outcome.js';

// Every schema here is built on first use (lazy.ts): a child layer parses a few of them.
const numbers = once(() => ({ int: z.number().int(), num: z.number() }));
const int = () => numbers().int;
const num = () => numbers().num;

// ---------------------------------------------------------------- shared shapes

export const MetricsSchema = lazySchema(() => z.record(z.string(), num()));
export type Metrics = z.infer<typeof MetricsSchema>;

/** Per-metric statistics of a subtree (Gator extension: count, sum, min, max; mean = sum / count). */
export const MetricStatsSchema = lazySchema(() => z.object({ count: int(), sum: num(), min: num(), max: num() }));
export type MetricStats = z.infer<typeof MetricStatsSchema>;

/** A failing job as reported up the tree (Gator extension). */
export const FailureSchema = lazySchema(() =>
  z.looseObject({
    path: z.array(z.string()),
    reason: z.string(),
    /** The first error lines of the job, for summaries. */
    errors: z.array(z.string()).optional(),
    /** Where the job's messages live (its tracking directory). */
    log: z.string().optional(),
    /** Masked signature of the first error line (failure bucket). */
    signature: z.string().optional(),
    attempt: int().optional(),
    /** FailureKind (`outcome.ts`); `lost` for a job given up on. */
    kind: z.string().optional(),
  }),
);
export type Failure = z.infer<typeof FailureSchema>;

/** A failure bucket: failing jobs grouped by the masked signature of their first error. */
export const BucketSchema = lazySchema(() =>
  z.object({
    signature: z.string(),
    count: int(),
    /** Up to a few example job paths. */
    examples: z.array(z.array(z.string())),
  }),
);
export type Bucket = z.infer<typeof BucketSchema>;

/** A job that needed more than one attempt (Gator extension). */
export const RetriedSchema = lazySchema(() =>
  z.looseObject({
    path: z.array(z.string()),
    /** The attempt that decided the job's result (1-based). */
    attempt: int(),
    /** The job's result (JobResult): SUCCESS for "passed on attempt N". */
    result: int(),
  }),
);
export type Retried = z.infer<typeof RetriedSchema>;

/**
 * Python Gator's Summary: exactly the fields of its `Summary` dataclass
 * (`gator/common/summary.py`). A Python tier builds `Summary(**summary)` from
 * every `update` and `complete`, so any other key is a TypeError there.
 */
export const PythonSummarySchema = lazySchema(() =>
  z.looseObject({
    metrics: MetricsSchema,
    failed_ids: z.array(z.array(z.string())),
    running_ids: z.array(z.array(z.string())),
  }),
);
export type PythonSummary = z.infer<typeof PythonSummarySchema>;

/**
 * Summary: sent in `update`, `complete` and hub heartbeats. Python Gator's
 * three fields plus optional Gator extensions, which only a Gator parent
 * (protocol ≥ 1) is sent (see `dialect.ts`).
 */
export const SummarySchema = lazySchema(() =>
  PythonSummarySchema.extend({
    /** Unix seconds at which each running id started (same order as running_ids). */
    running_since: z.array(num()).optional(),
    failures: z.array(FailureSchema).optional(),
    stats: z.record(z.string(), MetricStatsSchema).optional(),
    buckets: z.array(BucketSchema).optional(),
    /** Failure records left out of `failures` by the cap (the counts stay exact). */
    failures_dropped: int().optional(),
    /** Jobs that ran more than one attempt (`retries`), with the attempt that decided and its result (capped like `failures`). */
    retried: z.array(RetriedSchema).optional(),
    /** Records left out of `retried` by the cap. */
    retried_dropped: int().optional(),
    /** Jobs that never ran because a dependency could not be met, or the run stopped. */
    sub_skipped: int().optional(),
    /** Which children were skipped and why (capped like `failures`). */
    skipped: z.array(z.looseObject({ path: z.array(z.string()), reason: z.string(), kind: z.string().optional() })).optional(),
    /** Jobs given up on: their process ended or went silent without completing. */
    sub_lost: int().optional(),
    /** Jobs not run because `--rerun-failed` did not select them. */
    sub_unselected: int().optional(),
    /** The subtree's !Jobs by outcome (`outcome.ts`): the numbers every view shows. */
    jobs: JobTallySchema.optional(),
    /** Jobs that ended since the previous update, passed up the tree for the live stream. */
    ends: z.array(JobEndSchema).optional(),
    /**
     * The sender's sequence number of the first of `ends` (it numbers its ends from 0). A sender
     * sends an end again until an update carrying it was accepted (and the final update and
     * `complete` both carry the last ones): the parent takes each number once.
     */
    ends_from: int().optional(),
  }),
);
export type Summary = z.infer<typeof SummarySchema>;

export const ApiMessageSchema = lazySchema(() =>
  z.object({
    uid: int(),
    severity: int(),
    message: z.string(),
    timestamp: num(),
  }),
);
export type ApiMessage = z.infer<typeof ApiMessageSchema>;

export interface ApiJob {
  uidx: number;
  root: number;
  path: string[];
  ident: string;
  status: number;
  metrics: Metrics;
  server_url: string;
  db_file: string;
  owner: string | null;
  started: number | null;
  updated: number | null;
  stopped: number | null;
  result: number;
  children: ApiJob[];
  expected_children: number | boolean;
  [extra: string]: unknown;
}
export const ApiJobSchema: z.ZodType<ApiJob> = z.lazy(() =>
  z.looseObject({
    uidx: int(),
    root: int(),
    path: z.array(z.string()),
    ident: z.string(),
    status: int(),
    metrics: MetricsSchema,
    server_url: z.string(),
    db_file: z.string(),
    owner: z.string().nullable(),
    started: num().nullable(),
    updated: num().nullable(),
    stopped: num().nullable(),
    result: int(),
    children: z.array(ApiJobSchema),
    expected_children: z.union([int(), z.boolean()]),
  }),
) as z.ZodType<ApiJob>;

// ---------------------------------------------------------------- actions

const Empty = lazySchema(() => z.looseObject({}));

/**
 * The requests a child sends its parent, as a Python Gator parent takes them:
 * its handlers' named arguments (`__child_started(ident, server, **_)`,
 * `__child_updated(ident, result, summary, **_)`,
 * `__child_completed(ident, result, code, summary, **_)`,
 * `handle_log(timestamp, severity, message, **_)`). Extra top-level keys are
 * swallowed by `**_`; the summary is not (see `PythonSummarySchema`).
 */
export const PYTHON_REQUESTS = lazyProps({
  register: () => z.looseObject({ ident: z.string(), server: z.string() }),
  update: () => z.looseObject({ ident: z.string(), summary: PythonSummarySchema, result: int() }),
  complete: () => z.looseObject({ ident: z.string(), code: int(), result: int(), summary: PythonSummarySchema }),
  log: () =>
    z.looseObject({
      timestamp: num().optional(),
      severity: z.string().optional(),
      message: z.string().optional(),
    }),
});

/** Request and success-response payload schemas of every action (each action's built on first use). */
export const ACTIONS = lazyProps({
  spec: () => ({
    request: z.looseObject({ ident: z.string() }),
    response: z.looseObject({ spec: z.string() }),
  }),
  register: () => ({
    request: PYTHON_REQUESTS.register.extend({
      /** Gator extension: the child's protocol version (absent from Python peers). */
      protocol: int().optional(),
      /** Gator extension: when the layer's own work started, its clock (a job wrapper: its go); the parent's clock when absent. */
      started: num().optional(),
    }),
    response: z.looseObject({
      path: z.array(z.string()),
      root: int(),
      uidx: int(),
      /** Gator extension: the parent's protocol version (a Python parent sends none: version 0). */
      protocol: int().optional(),
    }),
  }),
  update: () => ({
    request: PYTHON_REQUESTS.update.extend({ summary: SummarySchema }),
    response: Empty,
  }),
  complete: () => ({
    request: PYTHON_REQUESTS.complete.extend({
      summary: SummarySchema,
      /** Gator extension: why the layer failed, in words. */
      reason: z.string().optional(),
      /** Gator extension: when the layer's own work ended, its clock (a job wrapper: its job's end); the parent's clock when absent. */
      stopped: num().optional(),
    }),
    response: Empty,
  }),
  children: () => ({
    request: Empty,
    response: z.looseObject({ children: z.array(ApiJobSchema), status: int() }),
  }),
  log: () => ({
    request: PYTHON_REQUESTS.log.extend({
      /** Gator extension: who logged a forwarded message (root first). */
      path: z.array(z.string()).optional(),
    }),
    response: Empty,
  }),
  get_messages: () => ({
    request: z.looseObject({ after: int().optional(), limit: int().optional() }),
    response: z.looseObject({ messages: z.array(ApiMessageSchema), total: int(), status: int() }),
  }),
  resolve: () => ({
    request: z.looseObject({
      root_path: z.array(z.string()),
      nest_path: z.array(z.string()).nullable().optional(),
      depth: int().optional(),
    }),
    response: ApiJobSchema,
  }),
  metric: () => ({
    request: z.looseObject({ name: z.string().min(1), value: num() }),
    response: z.looseObject({ result: z.literal('success') }),
  }),
  stop: () => ({
    request: Empty,
    response: Empty,
  }),
  get_tree: () => ({
    request: Empty,
    response: z.record(z.string(), z.unknown()),
  }),
  update_scheduler_opts: () => ({
    request: z.looseObject({ options: z.record(z.string(), z.unknown()) }),
    response: z.record(z.string(), z.unknown()),
  }),
});

export type ActionName = keyof typeof ACTIONS;

/**
 * Which side serves which action (protocol.md §5), by direction:
 * - `wrapperServer` (job → wrapper): what a job sends to `$GATOR_PARENT`; readers
 *   (the hub, `gator logs`) use `get_messages` and `resolve` too;
 * - `tierServer` (child → parent): what a child layer sends its parent tier;
 *   readers use `children`, `get_messages` and `resolve`;
 * - `wrapperUplink`, `tierUplink` (parent → child): what a parent tier sends
 *   down the connection its child opened.
 * A layer's handler set is typed from its row (`HandlersFor`), so a missing
 * handler fails to compile; `docs/protocol.md` has one table per row.
 */
export const SERVED_BY = {
  wrapperServer: ['log', 'metric', 'get_messages', 'resolve'],
  tierServer: ['spec', 'register', 'update', 'complete', 'children', 'log', 'get_messages', 'resolve'],
  wrapperUplink: ['stop', 'get_messages', 'resolve'],
  tierUplink: ['stop', 'resolve', 'get_tree', 'update_scheduler_opts'],
} as const satisfies Record<string, readonly (keyof typeof ACTIONS)[]>;
export type ServedBy = keyof typeof SERVED_BY;

export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];
export type RequestPayload<A extends ActionName> = z.infer<(typeof ACTIONS)[A]['request']>;
export type ResponsePayload<A extends ActionName> = z.infer<(typeof ACTIONS)[A]['response']>;

export function isActionName(name: string): name is ActionName {
  return Object.prototype.hasOwnProperty.call(ACTIONS, name);
}

// ---------------------------------------------------------------- envelopes

const RequestBase = lazySchema(() =>
  z.object({
    posted: z.boolean().optional(),
    req_id: int().optional(),
  }),
);

function requestSchema<A extends ActionName>(action: A) {
  return RequestBase.extend({
    action: z.literal(action),
    payload: ACTIONS[action].request.optional().default({} as never),
  });
}

type RequestSchemaOf<A extends ActionName> = ReturnType<typeof requestSchema<A>>;

type AnyRequestSchema = z.ZodDiscriminatedUnion<{ [A in ActionName]: RequestSchemaOf<A> }[ActionName][]>;
let requestUnion: AnyRequestSchema | undefined;
function anyRequestSchema(): AnyRequestSchema {
  requestUnion ??= z.discriminatedUnion(
    'action',
    ACTION_NAMES.map((action) => requestSchema(action)) as unknown as [RequestSchemaOf<ActionName>, ...RequestSchemaOf<ActionName>[]],
  ) as unknown as AnyRequestSchema;
  return requestUnion;
}

/** One schema per action, discriminated by `action` (derived from `ACTIONS`, so none can be left out); built on first use. */
export const RequestSchema: AnyRequestSchema = lazySchema(anyRequestSchema);
export type Request = z.infer<typeof RequestSchema>;
export type RequestOf<A extends ActionName> = Extract<Request, { action: A }>;

export const SuccessResponseSchema = lazySchema(() =>
  z.looseObject({
    action: z.string(),
    rsp_id: int(),
    result: z.literal('success'),
    payload: z.unknown().optional(),
  }),
);
export type SuccessResponse = z.infer<typeof SuccessResponseSchema>;

export const ErrorResponseSchema = lazySchema(() =>
  z.looseObject({
    result: z.literal('error'),
    rsp_id: int(),
    reason: z.string(),
  }),
);
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

export const IdentifyRequestSchema = lazySchema(() =>
  z.looseObject({
    posted: z.boolean().optional(),
    req_id: int().optional(),
  }),
);

/** What one decoded frame is. */
export type Frame =
  | { kind: 'request'; request: Request }
  | { kind: 'identify'; reqId: number; posted: boolean }
  | { kind: 'response'; response: SuccessResponse }
  | { kind: 'error'; response: ErrorResponse };

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; error: ProtocolError };

/**
 * Parse options for what a process parses a few times at most (the responses to its own
 * requests, a credential file): without zod's compiled fast path, which costs a child more to
 * compile (~1 CPU ms per object schema, on its first parse) than it saves over a handful of parses.
 * Requests, the hot path of every server, keep it.
 */
const FEW_PARSES = { jitless: true } as const;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(frame)'}: ${i.message}`)
    .join('; ');
}

/**
 * Decode one frame. Never throws: bad JSON, a wrong shape, an unknown action
 * or a binary frame come back as a typed `ProtocolError` whose `rspId` (when
 * it could be recovered) lets the receiver answer with an error reply.
 */
export function decode(data: string | Buffer | ArrayBuffer | Buffer[], isBinary = false): DecodeResult {
  if (isBinary) {
    return {
      ok: false,
      error: new ProtocolError('GATOR_PROTOCOL_BINARY_FRAME', 'Binary frames are not part of the Gator protocol; send JSON text'),
    };
  }
  const text =
    typeof data === 'string'
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(data).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      error: new ProtocolError('GATOR_PROTOCOL_INVALID_JSON', `Frame is not valid JSON: ${(e as Error).message}`),
    };
  }
  return decodeValue(value);
}

/** Decode an already-parsed JSON value (see `decode`). */
export function decodeValue(value: unknown): DecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      error: new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', 'Frame must be a JSON object'),
    };
  }
  const obj = value as Record<string, unknown>;
  const reqId = typeof obj.req_id === 'number' && Number.isInteger(obj.req_id) ? obj.req_id : undefined;
  const rspIdField = typeof obj.rsp_id === 'number' && Number.isInteger(obj.rsp_id) ? obj.rsp_id : undefined;

  if (obj.result === 'success' || obj.result === 'error') {
    if (obj.result === 'error') {
      const parsed = ErrorResponseSchema.safeParse(obj, FEW_PARSES);
      if (parsed.success) return { ok: true, frame: { kind: 'error', response: parsed.data } };
      return { ok: false, error: new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', `Malformed error response: ${describeIssues(parsed.error)}`) };
    }
    const parsed = SuccessResponseSchema.safeParse(obj, FEW_PARSES);
    if (parsed.success) return { ok: true, frame: { kind: 'response', response: parsed.data } };
    return { ok: false, error: new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', `Malformed response: ${describeIssues(parsed.error)}`) };
  }

  if (!('action' in obj) || obj.action === undefined || obj.action === null) {
    const parsed = IdentifyRequestSchema.safeParse(obj);
    if (!parsed.success) {
      return {
        ok: false,
        error: new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', `Malformed frame: ${describeIssues(parsed.error)}`, obj.posted === true ? { posted: true } : { rspId: reqId ?? 0 }),
      };
    }
    return { ok: true, frame: { kind: 'identify', reqId: reqId ?? 0, posted: obj.posted === true } };
  }

  const posted = obj.posted === true;
  // A posted request never gets a reply, even an error one (Python's rule).
  const replyTo = posted ? { posted: true } : { rspId: reqId ?? rspIdField ?? 0 };
  if (typeof obj.action !== 'string') {
    return { ok: false, error: new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', '`action` must be a string', replyTo) };
  }
  if (!isActionName(obj.action)) {
    return {
      ok: false,
      error: new ProtocolError('GATOR_PROTOCOL_UNKNOWN_ACTION', `Unknown action '${obj.action}'`, { action: obj.action, ...replyTo }),
    };
  }
  const parsed = anyRequestSchema().safeParse(obj);
  if (!parsed.success) {
    return {
      ok: false,
      error: new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', `Invalid '${obj.action}' request: ${describeIssues(parsed.error)}`, {
        action: obj.action,
        ...replyTo,
      }),
    };
  }
  return { ok: true, frame: { kind: 'request', request: parsed.data } };
}

/** Check a success response's payload against the action that was asked. */
export function decodeResponsePayload<A extends ActionName>(
  action: A,
  payload: unknown,
): { ok: true; payload: ResponsePayload<A> } | { ok: false; error: ProtocolError } {
  const parsed = ACTIONS[action].response.safeParse(payload ?? {}, FEW_PARSES);
  if (parsed.success) return { ok: true, payload: parsed.data as ResponsePayload<A> };
  return {
    ok: false,
    error: new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', `Invalid '${action}' response: ${describeIssues(parsed.error)}`, { action }),
  };
}

// ---------------------------------------------------------------- encoding

/** A request frame. `req_id` is omitted when posted, as Python peers do. */
export function encodeRequest<A extends ActionName>(
  action: A,
  payload: RequestPayload<A>,
  options: { posted?: boolean; reqId?: number } = {},
): string {
  const posted = options.posted === true;
  return JSON.stringify(
    posted
      ? { action, posted: true, payload }
      : { action, posted: false, payload, req_id: options.reqId ?? 0 },
  );
}

export function encodeSuccess(action: string, rspId: number, payload: unknown = {}): string {
  return JSON.stringify({ action, rsp_id: rspId, result: 'success', payload: payload ?? {} });
}

export function encodeError(rspId: number, reason: string): string {
  return JSON.stringify({ result: 'error', rsp_id: rspId, reason });
}

export function encodeIdentify(rspId: number): string {
  return encodeSuccess('identify', rspId, IDENTIFY_PAYLOAD);
}

/** Encode any decoded frame back to text (used by round-trip tests and relays). */
export function encode(frame: Frame): string {
  switch (frame.kind) {
    case 'request': {
      const r = frame.request;
      return encodeRequest(r.action, r.payload as never, { posted: r.posted === true, reqId: r.req_id ?? 0 });
    }
    case 'identify':
      return frame.posted ? JSON.stringify({ posted: true }) : JSON.stringify({ req_id: frame.reqId });
    case 'response':
      return encodeSuccess(frame.response.action, frame.response.rsp_id, frame.response.payload);
    case 'error':
      return encodeError(frame.response.rsp_id, frame.response.reason);
  }
}

// ---------------------------------------------------------------- helpers

/** A zero summary for a layer that has not reported yet. */
export function emptySummary(): Summary {
  return {
    metrics: {
      sub_total: 0,
      sub_active: 0,
      sub_passed: 0,
      sub_failed: 0,
      msg_critical: 0,
      msg_error: 0,
      msg_warning: 0,
      msg_info: 0,
      msg_debug: 0,
    },
    failed_ids: [],
    running_ids: [],
  };
}

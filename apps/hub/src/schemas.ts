/**
 * Shapes of what the hub receives and sends, as zod schemas (types inferred). Request
 * bodies are Python Gator's hub client bodies (hub.md §4) plus optional Gator
 * extensions; unknown keys are accepted and ignored, as Python's hub does.
 */
import { z } from 'zod';
import { MetricsSchema } from '@gator/protocol';

/** `POST /api/register`. `token` and `db_file` are Gator extensions (Python runs send neither). */
export const RegisterBodySchema = z.looseObject({
  ident: z.string().min(1).max(250),
  /** The root layer's websocket address, `host:port`. */
  url: z.string().max(250),
  layer: z.string().max(16),
  owner: z.string().max(250).nullable().optional(),
  /** The run's secret: live layers require it in the websocket URL. Kept server-side only. */
  token: z.string().max(512).optional(),
  /** Where the root's db.sqlite will be, so a run that dies without `complete` can still be browsed. */
  db_file: z.string().max(5000).optional(),
});
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

/** `POST /api/job/<uid>/heartbeat`: the root's Summary (Python sends metrics, failed_ids, running_ids). */
export const HeartbeatBodySchema = z.looseObject({
  metrics: MetricsSchema,
  failed_ids: z.array(z.array(z.string())).optional().default([]),
  running_ids: z.array(z.array(z.string())).optional().default([]),
});
export type HeartbeatBody = z.infer<typeof HeartbeatBodySchema>;

/** `POST /api/job/<uid>/complete`. */
export const CompleteBodySchema = z.looseObject({
  db_file: z.string().max(5000),
  result: z.number().int(),
});
export type CompleteBody = z.infer<typeof CompleteBodySchema>;

/** Which runs `GET /api/jobs` lists (`state`, `q`, `owner` are Gator extensions). */
export const RunStateSchema = z.enum(['all', 'live', 'finished', 'passed', 'failed']);
export type RunState = z.infer<typeof RunStateSchema>;

export const RunQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  before: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  q: z.string().max(250).optional(),
  owner: z.string().max(250).optional(),
  state: RunStateSchema.default('all'),
});
export type RunQuery = z.infer<typeof RunQuerySchema>;

/** Children filter of a resolve (Gator extension). */
export const ChildFilterSchema = z.enum(['all', 'failed', 'passed', 'running', 'pending', 'aborted']);
export type ChildFilter = z.infer<typeof ChildFilterSchema>;

export const ResolveQuerySchema = z.object({
  /** A `/` path whose first segment is discarded (Python's convention); default `root`. */
  nest_path: z.string().max(5000).optional(),
  depth: z.coerce.number().int().min(0).max(8).default(1),
  /** Page of children (Gator extension; without it every child is returned, as Python's hub does). */
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
  only: ChildFilterSchema.default('all'),
  /** Order of the children before paging (Gator extension; default: the tree's own order). */
  sort: z.enum(['tree', 'name', 'duration', 'result']).default('tree'),
  /** Reverse the order (`1`/`true`). */
  desc: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
});
/** How a tier's children can be ordered. */
export type ChildSort = ResolveQuery['sort'];
export type ResolveQuery = z.infer<typeof ResolveQuerySchema>;

export const MessageQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(10),
  /** Minimum severity, as a level (10…50) or a name (`warning`). Gator extension. */
  severity: z
    .string()
    .max(16)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      if (/^\d+$/.test(v)) return Number(v);
      const level = ({ DEBUG: 10, INFO: 20, WARNING: 30, WARN: 30, ERROR: 40, CRITICAL: 50 } as Record<string, number>)[v.toUpperCase()];
      if (level === undefined) {
        ctx.addIssue({ code: 'custom', message: `unknown severity '${v}' (use debug, info, warning, error, critical or 10…50)` });
        return z.NEVER;
      }
      return level;
    }),
  /** Text the message must contain (case-insensitive). Gator extension. */
  grep: z.string().max(1000).optional(),
  /**
   * The last `limit` messages before `before` (default: the end) instead of the
   * first after `after`: how a 200,000-line log is read from its end. Gator extension.
   */
  tail: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  before: z.coerce.number().int().min(0).optional(),
});
/** `tail` is optional for callers inside the hub (events, details): they read forward. */
export type MessageQuery = Omit<z.infer<typeof MessageQuerySchema>, 'tail'> & { tail?: boolean };

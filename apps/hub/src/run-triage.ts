/**
 * Triage of a whole run (or a subtree of it): its failed jobs with their
 * reasons, every member of a failure bucket (`GET /api/job/<uid>/failed/...`),
 * and a search of the messages of every layer below a node
 * (`GET /api/job/<uid>/search/...`), what `gator logs --grep/--severity` reads.
 *
 * Both read the run model's lists (run-tallies.ts) and, for the search, each
 * layer's LogEntry through @gator/db's reader: one layer open at a time, at
 * most `limit` matches and a bounded number of layers per request, and a
 * cursor to go on, so a 10,000-job run is never held in memory.
 */
import { isOldNoticeLine, openLayerReader, type LayerReader } from '@gator/db';
import type { ApiMessage } from '@gator/protocol';
import { z } from 'zod';
import { HubError } from './errors.js';
import type { FailedJob, RunTallies } from './run-tallies.js';
import { MessageQuerySchema } from './schemas.js';

/** Layers one search request reads at most before it answers with a cursor. */
const LAYERS_PER_REQUEST = 500;

export const FailedQuerySchema = z.object({
  /** Only the members of this failure bucket. */
  signature: z.string().max(1000).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type FailedQuery = z.infer<typeof FailedQuerySchema>;

export const SearchQuerySchema = z.object({
  /** Text the message must contain (case-insensitive); empty: every message at the severity. */
  q: z.string().max(1000).default(''),
  severity: MessageQuerySchema.shape.severity,
  /** Where the last page stopped: `<layer index>:<uid>`. */
  cursor: z
    .string()
    .regex(/^\d+:\d+$/, 'a cursor is <layer>:<uid>, as next_cursor gave it')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type SearchQuery = z.infer<typeof SearchQuerySchema>;

export interface FailedReply {
  jobs: FailedJob[];
  /** Failed and lost jobs below the node (of the bucket, with `signature`), before paging. */
  total: number;
}

export interface SearchMatch extends ApiMessage {
  /** Idents below the root of the layer that logged it. */
  path: string[];
}

export interface SearchReply {
  matches: SearchMatch[];
  /** Continue with `cursor=next_cursor`; null when every layer below the node was read. */
  next_cursor: string | null;
  /** Layers below the node that have messages to read, and how far this page got. */
  layers: number;
  scanned: number;
  /** Layers that could not be read (a file being created, another host's path). */
  unreadable: string[][];
}

function notReadable(): HubError {
  return new HubError('GATOR_HUB_NOT_FOUND', 'The files of this run cannot be read here, so it cannot be searched', {
    hint: 'the hub must see the run’s tracking directory (same filesystem)',
  });
}

function isBelow(path: readonly string[], node: readonly string[]): boolean {
  return node.every((p, i) => path[i] === p);
}

/** The failed and lost jobs below `node` (idents below the root), optionally of one bucket, a page of them. */
export function failedJobs(tallies: RunTallies | undefined, node: string[], q: FailedQuery): FailedReply {
  if (!tallies) throw notReadable();
  // Failure paths start with the root's ident.
  const all = tallies.failed.filter((f) => isBelow(f.path.slice(1), node) && (q.signature === undefined || f.signature === q.signature));
  return { jobs: all.slice(q.offset, q.offset + q.limit), total: all.length };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Messages of every layer below `node`, in tree order then by uid, that match the query: one page. */
export function searchRun(tallies: RunTallies | undefined, node: string[], q: SearchQuery): SearchReply {
  if (!tallies) throw notReadable();
  if (q.q.trim() === '' && q.severity === undefined) {
    throw new HubError('GATOR_HUB_BAD_REQUEST', 'A search needs text (q) or a minimum severity (severity)');
  }
  const layers = tallies.layers.filter((l) => isBelow(l.path, node));
  const [startText, afterText] = (q.cursor ?? '0:0').split(':');
  let index = Number(startText);
  let after = Number(afterText);
  const filter = {
    ...(q.severity !== undefined ? { minSeverity: q.severity } : {}),
    ...(q.q.trim() !== '' ? { grep: new RegExp(escapeRegExp(q.q.trim()), 'i') } : {}),
  };
  const matches: SearchMatch[] = [];
  const unreadable: string[][] = [];
  let scanned = 0;
  while (index < layers.length && matches.length < q.limit && scanned < LAYERS_PER_REQUEST) {
    const layer = layers[index]!;
    let reader: LayerReader | undefined;
    let page: ApiMessage[] = [];
    const want = q.limit - matches.length;
    try {
      reader = openLayerReader(layer.dbFile);
      page = reader.messages({ ...filter, after, limit: want });
    } catch {
      unreadable.push(layer.path);
    } finally {
      reader?.close();
    }
    scanned++;
    // Gator's own lines of older layers (`Job failed: …`) are not the jobs' messages (docs/run-model.md).
    for (const m of page) if (!isOldNoticeLine(layer.kind, m.message)) matches.push({ ...m, path: layer.path });
    if (page.length === want) {
      // The page is full: more may follow in this layer.
      after = page[page.length - 1]!.uid;
      break;
    }
    index++;
    after = 0;
  }
  return {
    matches,
    next_cursor: index < layers.length ? `${index}:${after}` : null,
    layers: layers.length,
    scanned: Math.min(index, layers.length),
    unreadable,
  };
}

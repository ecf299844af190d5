/**
 * `resolve` answers (protocol.md §5.5) built from the files of layers that
 * have completed: a COMPLETE layer is described from its `db.sqlite` with
 * status 3, no server, and its `_GROUP_` metrics. Unlike Python Gator, a
 * `depth` of 2 or more works without `nest_path` and decreases at each level.
 */
import fs from 'node:fs';
import { openLayerReader, type ChildRow, type LayerReader } from '@gator/db';
import { METRIC_SCOPES, JobState, type ApiJob } from '@gator/protocol';

export interface ResolveQuery {
  rootPath: readonly string[];
  nestPath: readonly string[] | null | undefined;
  depth: number;
}

/** Python raises a KeyError whose text is the quoted id. */
export function unknownChildError(id: string): Error {
  return new Error(`'${id}'`);
}

export function notStartedError(id: string): Error {
  return new Error(`Can't resolve \`${id}\` as the job hasn't started yet!`);
}

function num(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '' || value === 'None') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function int(value: string | undefined, fallback = 0): number {
  const n = num(value);
  return n === null ? fallback : Math.trunc(n);
}

/** A shallow ApiJob of one ChildEntry row of a completed tier. */
export function apiJobFromRow(row: ChildRow, parentPath: string[], root: number, metrics: Record<string, number>): ApiJob {
  return {
    uidx: row.uidx,
    root,
    path: parentPath,
    ident: row.ident,
    status: JobState.COMPLETE,
    metrics,
    server_url: row.serverUrl,
    db_file: row.dbFile,
    owner: null,
    started: row.started,
    updated: row.updated,
    stopped: row.stopped,
    result: row.result,
    children: [],
    expected_children: row.expectedChildren,
  };
}

function exists(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Resolve inside the files of a completed layer (and, through its ChildEntry rows, its descendants). */
export function resolveFromDb(dbFile: string, query: ResolveQuery): ApiJob {
  let reader: LayerReader;
  try {
    reader = openLayerReader(dbFile);
  } catch (error) {
    throw new Error(`Cannot read the records of a completed layer: ${(error as Error).message}`);
  }
  try {
    return resolveIn(reader, query);
  } finally {
    reader.close();
  }
}

function resolveIn(reader: LayerReader, query: ResolveQuery): ApiJob {
  const { rootPath, nestPath, depth } = query;
  const isTier = reader.kind === 'tier';
  const rows = isTier ? reader.children() : [];
  if (rootPath.length > 0) {
    const row = rows.find((r) => r.ident === rootPath[0]);
    if (!row) throw unknownChildError(rootPath[0]);
    if (!row.dbFile || !exists(row.dbFile)) throw notStartedError(rootPath[0]);
    return resolveFromDb(row.dbFile, { rootPath: rootPath.slice(1), nestPath, depth });
  }
  const attrs = reader.attributes();
  const ident = attrs.ident ?? '';
  const path = attrs.path ? attrs.path.split('.') : [];
  const root = int(attrs.root);
  const self: ApiJob = {
    uidx: int(attrs.uidx),
    root,
    path,
    ident,
    status: JobState.COMPLETE,
    metrics: reader.metrics(METRIC_SCOPES.group),
    server_url: '',
    db_file: reader.dbFile,
    owner: null,
    started: num(attrs.started),
    updated: num(attrs.stopped) ?? num(attrs.started),
    stopped: num(attrs.stopped),
    result: int(attrs.result),
    children: [],
    expected_children: rows.length,
  };
  const childPath = [...path, ident];
  const shallow = (row: ChildRow) => apiJobFromRow(row, childPath, root, reader.metrics(row.ident));
  const deep = (row: ChildRow, q: ResolveQuery): ApiJob => {
    if (!row.dbFile || !exists(row.dbFile)) return shallow(row);
    try {
      return resolveFromDb(row.dbFile, q);
    } catch {
      return shallow(row);
    }
  };
  if (nestPath && nestPath.length > 0) {
    const row = rows.find((r) => r.ident === nestPath[0]);
    if (!row) throw unknownChildError(nestPath[0]);
    self.children = [deep(row, { rootPath: [], nestPath: nestPath.slice(1), depth })];
  } else if (depth >= 2) {
    self.children = rows.map((row) => deep(row, { rootPath: [], nestPath: null, depth: depth - 1 }));
  } else if (depth === 1) {
    self.children = rows.map(shallow);
  }
  return self;
}

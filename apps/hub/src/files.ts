/**
 * Reading finished layers from their db.sqlite files (read-only, through @gator/db).
 * A finished layer's file no longer changes, so its reader and its children index stay
 * open in a small LRU cache: re-opening a 10,000-child tier's tree costs one lookup.
 * Files of layers that are still running are opened per request and closed at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openLayerReader, type ChildRow, type LayerReader } from '@gator/db';
import { layerFile } from '@gator/protocol';

export interface CachedLayer {
  readonly reader: LayerReader;
  /** Direct children by ident (tiers; empty for wrappers). */
  readonly children: ChildRow[];
  readonly childIndex: Map<string, ChildRow>;
  /** Metrics by scope (`_GROUP_`, `_OWN_`, one scope per child ident). */
  readonly metricsByScope: Map<string, Record<string, number>>;
  readonly attributes: Record<string, string>;
}

function load(reader: LayerReader): CachedLayer {
  const children = reader.kind === 'tier' ? reader.children() : [];
  const metricsByScope = new Map<string, Record<string, number>>();
  for (const row of reader.metricRows()) {
    let scope = metricsByScope.get(row.scope);
    if (!scope) metricsByScope.set(row.scope, (scope = {}));
    scope[row.name] = row.value;
  }
  return {
    reader,
    children,
    childIndex: new Map(children.map((c) => [c.ident, c])),
    metricsByScope,
    attributes: reader.attributes(),
  };
}

export class LayerFiles {
  private readonly cache = new Map<string, CachedLayer>();
  constructor(private readonly capacity = 128) {}

  /**
   * A finished layer's file, cached. `volatile` files (their layer may still write) are
   * read fresh and closed by `release`.
   */
  open(dbFile: string, volatile = false): CachedLayer {
    const key = path.resolve(dbFile);
    if (!volatile) {
      const hit = this.cache.get(key);
      if (hit) {
        // Re-insert: Map order is the LRU order.
        this.cache.delete(key);
        this.cache.set(key, hit);
        return hit;
      }
    }
    const reader = openLayerReader(key);
    let layer: CachedLayer;
    try {
      layer = load(reader);
    } catch (error) {
      reader.close();
      throw error;
    }
    if (volatile) return layer;
    this.cache.set(key, layer);
    while (this.cache.size > this.capacity) {
      const [oldKey, old] = this.cache.entries().next().value as [string, CachedLayer];
      this.cache.delete(oldKey);
      old.reader.close();
    }
    return layer;
  }

  /** Closes a layer opened with `volatile` (cached ones stay open). */
  release(layer: CachedLayer): void {
    for (const cached of this.cache.values()) if (cached === layer) return;
    layer.reader.close();
  }

  close(): void {
    for (const layer of this.cache.values()) layer.reader.close();
    this.cache.clear();
  }
}

/**
 * The file of a child layer. When the tree was moved or copied since the run, the
 * recorded absolute path no longer exists: the same path relative to the parent's
 * recorded directory is tried under the parent's actual directory.
 */
export function childDbFile(row: ChildRow, parentRecordedDb: string, parentActualDb: string): string | undefined {
  if (row.dbFile !== '' && isFile(row.dbFile)) return row.dbFile;
  const recordedDir = path.dirname(parentRecordedDb);
  const actualDir = path.dirname(parentActualDb);
  if (row.dbFile !== '') {
    const rel = path.relative(recordedDir, row.dbFile);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
      const moved = path.join(actualDir, rel);
      if (isFile(moved)) return moved;
    }
  }
  const byIdent = layerFile(path.join(actualDir, row.ident), 'db');
  return isFile(byIdent) ? byIdent : undefined;
}

export function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

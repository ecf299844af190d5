import fs from 'node:fs';
import path from 'node:path';
import { databaseError } from './errors.js';
import { openLayerReader, type ChildRow, type LayerReader } from './reader.js';
import { DB_FILE_NAME } from './schema.js';

export interface RunNode {
  /** Idents from the root to this layer (the root's is `[rootIdent]`). */
  readonly path: string[];
  readonly ident: string;
  readonly dir: string;
  readonly dbFile: string;
  readonly kind: 'tier' | 'wrapper';
  /** False for a child that never started (pruned, or killed before it wrote anything). */
  readonly exists: boolean;
  /** The parent's ChildEntry row for this layer (undefined for the root and for layers found only on disk). */
  readonly entry: ChildRow | undefined;
  /** Opened on first use; throws DatabaseError (GATOR_DB_READ) when `exists` is false. */
  readonly reader: LayerReader;
  readonly children: RunNode[];
}

interface Candidate {
  dir: string;
  dbFile: string;
  claimed: boolean;
}

class WalkedNode implements RunNode {
  readonly children: RunNode[] = [];
  private opened: LayerReader | undefined;
  kind: 'tier' | 'wrapper' = 'wrapper';

  constructor(
    // Mutable here only so a layer's ident can be taken from its own database once opened.
    public path: string[],
    public ident: string,
    readonly dir: string,
    readonly dbFile: string,
    readonly exists: boolean,
    readonly entry: ChildRow | undefined,
  ) {}

  get reader(): LayerReader {
    if (!this.opened) {
      if (!this.exists) {
        throw databaseError(
          'GATOR_DB_READ',
          this.dbFile,
          'the layer database',
          Object.assign(new Error(`layer ${this.path.join('.')} never wrote a database`), { code: 'ENOENT' }),
        );
      }
      this.opened = openLayerReader(this.dbFile);
    }
    return this.opened;
  }

  /** @internal */
  closeReader(): void {
    this.opened?.close();
    this.opened = undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** Child layer dirs on disk: `<dir>/<id>` (group child) or `<dir>/<id>/<index>` (array child). */
function candidatesUnder(dir: string): Candidate[] {
  const found: Candidate[] = [];
  for (const sub of subdirs(dir)) {
    const db = path.join(sub, DB_FILE_NAME);
    if (isFile(db)) {
      found.push({ dir: sub, dbFile: db, claimed: false });
      continue;
    }
    for (const inner of subdirs(sub)) {
      const innerDb = path.join(inner, DB_FILE_NAME);
      if (isFile(innerDb)) found.push({ dir: inner, dbFile: innerDb, claimed: false });
    }
  }
  return found;
}

/**
 * The child layer dirs found under one tier, indexed for `matchCandidate`: by their
 * path below the tier (`seed/0/db.sqlite`) and by their dir (`build`). A tier of
 * 1,000 children is matched in one pass, not 1,000 × 1,000 path comparisons.
 */
class CandidateIndex {
  private readonly byPath = new Map<string, Candidate[]>();
  private readonly byDir = new Map<string, Candidate[]>();
  /** Path lengths (in parts) present, longest first. */
  private readonly lengths: number[];

  constructor(candidates: readonly Candidate[], parentDir: string) {
    const lengths = new Set<number>();
    for (const c of candidates) {
      const parts = path.relative(parentDir, c.dbFile).split(path.sep);
      lengths.add(parts.length);
      push(this.byPath, parts.join('/'), c);
      push(this.byDir, path.relative(parentDir, c.dir), c);
    }
    this.lengths = [...lengths].filter((n) => n > 1).sort((x, y) => y - x);
  }

  /**
   * The on-disk candidate for a ChildEntry whose db_file is not where it says (a moved or
   * copied tree): the unclaimed one whose whole path below the tier is the longest suffix of
   * the recorded db_file (more than the file name itself), else a dir named after the ident.
   */
  match(entry: ChildRow): Candidate | undefined {
    const recorded = entry.dbFile.split(/[\\/]+/).filter(Boolean);
    for (const n of this.lengths) {
      if (n > recorded.length) continue;
      const found = this.byPath.get(recorded.slice(-n).join('/'))?.find((c) => !c.claimed);
      if (found) return found;
    }
    return this.byDir.get(entry.ident)?.find((c) => !c.claimed);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function identOf(reader: LayerReader | undefined, fallback: string): string {
  try {
    return reader?.attribute('ident') || fallback;
  } catch {
    return fallback;
  }
}

/**
 * Walks a whole run from its root tracking dir through ChildEntry.db_file and, as a
 * fallback (moved trees, crashed tiers), subdirectories that hold a db.sqlite.
 * Readers are opened as the walk needs them; release them all with `closeRun`.
 * Throws DatabaseError (GATOR_DB_READ) when the root has no readable database.
 */
export function walkRun(rootDir: string): RunNode {
  const root = path.resolve(rootDir);
  const rootDb = isFile(root) ? root : path.join(root, DB_FILE_NAME);
  const node = new WalkedNode([], '', path.dirname(rootDb), rootDb, true, undefined);
  const ident = identOf(node.reader, path.basename(node.dir)); // node.reader throws GATOR_DB_READ for a bad root
  node.ident = ident;
  node.path = [ident];
  const seen = new Set<string>();
  expand(node, seen);
  return node;
}

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function expand(node: WalkedNode, seen: Set<string>): void {
  seen.add(realPath(node.dbFile));
  let entries: ChildRow[] = [];
  try {
    node.kind = node.reader.kind;
    entries = node.kind === 'tier' ? node.reader.children() : [];
    // Reopened when read again: a walk of a 10,000-job run must not hold 10,000 SQLite
    // connections at once (their memory stays in the process after they close).
    node.closeReader();
  } catch {
    // An unreadable layer is still listed; its subtree is found on disk below.
  }
  const candidates = candidatesUnder(node.dir);
  const index = new CandidateIndex(candidates, node.dir);
  // Where this layer's dir was when the rows were written (differs in a moved or copied tree).
  let recordedDir = node.entry && node.entry.dbFile !== '' ? path.dirname(node.entry.dbFile) : undefined;
  const placed: { entry: ChildRow; dbFile: string; exists: boolean }[] = [];
  for (const entry of entries) {
    // The layer's own subdirectory first: a copied tree must not lead back to the original.
    let dbFile = entry.dbFile;
    let exists = false;
    const candidate = index.match(entry);
    if (candidate) {
      candidate.claimed = true;
      dbFile = candidate.dbFile;
      exists = !seen.has(realPath(dbFile));
      const rel = path.relative(node.dir, candidate.dbFile);
      if (recordedDir === undefined && entry.dbFile.endsWith(`${path.sep}${rel}`)) {
        recordedDir = entry.dbFile.slice(0, entry.dbFile.length - rel.length - 1);
      }
    } else if (dbFile !== '' && isFile(dbFile)) {
      exists = !seen.has(realPath(dbFile));
    }
    placed.push({ entry, dbFile, exists });
  }
  for (const { entry, exists, dbFile: found } of placed) {
    let dbFile = found === '' ? path.join(node.dir, entry.ident, DB_FILE_NAME) : found;
    if (!exists && recordedDir !== undefined && dbFile.startsWith(`${recordedDir}${path.sep}`)) {
      // A layer that never started: show where it would be in this tree.
      dbFile = path.join(node.dir, dbFile.slice(recordedDir.length + 1));
    }
    const child = new WalkedNode([...node.path, entry.ident], entry.ident, path.dirname(dbFile), dbFile, exists, entry);
    if (!exists) child.kind = entry.expectedChildren > 0 ? 'tier' : 'wrapper';
    node.children.push(child);
    if (exists) expand(child, seen);
  }
  // Layers on disk that no ChildEntry row names (e.g. a Python tier that crashed before committing).
  for (const c of candidates) {
    if (c.claimed || seen.has(realPath(c.dbFile))) continue;
    const rel = path.relative(node.dir, c.dir).split(path.sep).join('_');
    const child = new WalkedNode([...node.path, rel], rel, c.dir, c.dbFile, true, undefined);
    let ident = rel;
    try {
      ident = identOf(child.reader, rel);
    } catch {
      // keep the path-derived ident
    }
    child.ident = ident;
    child.path = [...node.path, ident];
    node.children.push(child);
    expand(child, seen);
  }
}

/** Closes every reader the walk (or its user) opened. */
export function closeRun(node: RunNode): void {
  if (node instanceof WalkedNode) node.closeReader();
  for (const child of node.children) closeRun(child);
}

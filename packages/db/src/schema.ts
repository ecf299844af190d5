/**
 * Table definitions. The first five are Python Gator's DDL verbatim (storage.md §2):
 * a tool that reads Python Gator's databases must read ours, so names, column order
 * and declared types must not change. `GatorAttempt` is our addition (README).
 */

import { LAYER_FILES } from '@gator/protocol';

export const DB_FILE_NAME = LAYER_FILES.db;
export const MESSAGES_LOG_NAME = LAYER_FILES.messages;
export const SPEC_FILE_NAME = LAYER_FILES.spec;

export const PYTHON_DDL = {
  Metric: 'CREATE TABLE Metric (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT, name TEXT, value INTEGER)',
  Attribute: 'CREATE TABLE Attribute (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, value TEXT)',
  LogEntry:
    'CREATE TABLE LogEntry (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, severity TEXT, message TEXT, timestamp INTEGER)',
  ProcStat:
    'CREATE TABLE ProcStat (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, nproc INTEGER, cpu INTEGER, mem INTEGER, vmem INTEGER, timestamp INTEGER)',
  ChildEntry:
    'CREATE TABLE ChildEntry (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, ident TEXT, server_url TEXT, db_file TEXT, started TEXT, updated TEXT, stopped TEXT, result TEXT, expected_children INTEGER)',
} as const;

export const GATOR_DDL = {
  GatorAttempt:
    'CREATE TABLE GatorAttempt (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, attempt INTEGER, started REAL, stopped REAL, exit INTEGER, result INTEGER, reason TEXT, first_uid INTEGER, last_uid INTEGER)',
  /**
   * Gator's own notices (docs/run-model.md): why a job failed, why children were
   * skipped. Kept apart from LogEntry so they are never counted as messages.
   * `path`: the dotted path, below this layer, of the job it is about ('' = the layer itself).
   */
  GatorNotice: 'CREATE TABLE GatorNotice (db_uid INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, kind TEXT, path TEXT, message TEXT)',
} as const;

/** Tables of a layer, in Python's creation order (storage.md §4), then ours. */
export function tablesFor(kind: 'tier' | 'wrapper'): string[] {
  const own = kind === 'tier' ? PYTHON_DDL.ChildEntry : PYTHON_DDL.ProcStat;
  return [PYTHON_DDL.Metric, PYTHON_DDL.Attribute, PYTHON_DDL.LogEntry, own, GATOR_DDL.GatorAttempt, GATOR_DDL.GatorNotice];
}

/** `CREATE TABLE X (...)` → `CREATE TABLE IF NOT EXISTS X (...)` (SQLite stores the former either way). */
export function ifNotExists(ddl: string): string {
  return ddl.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ');
}

/**
 * A float as Python's `str(float)` writes it: `1732481122.54246`, `1732481122.0`.
 * ChildEntry times and float attributes are stored this way.
 */
export function floatText(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  const text = String(value);
  // JS `1e+21` / Python `1e+21`, JS `1e-7` / Python `1e-07`.
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

import { GatorError, type GatorErrorOptions } from '@gator/protocol';

export type DatabaseErrorCode = 'GATOR_DB_WRITE' | 'GATOR_DB_READ';

/**
 * A layer's tracking files could not be written (`GATOR_DB_WRITE`) or read
 * (`GATOR_DB_READ`). The message names the file and the OS/SQLite reason; the
 * hint says what the user can do about it.
 */
export class DatabaseError extends GatorError {
  declare readonly code: DatabaseErrorCode;
  /** The file (or directory) that failed. */
  readonly file: string;
  /** OS or SQLite error code (`EACCES`, `ENOSPC`, `SQLITE_FULL`, `SQLITE_NOTADB`, ...), or `UNKNOWN`. */
  readonly reason: string;

  constructor(
    code: DatabaseErrorCode,
    file: string,
    message: string,
    options: GatorErrorOptions & { reason?: string } = {},
  ) {
    super(code, message, options);
    this.name = 'DatabaseError';
    this.file = file;
    this.reason = options.reason ?? 'UNKNOWN';
  }
}

const HINTS: [RegExp, string][] = [
  [/^(EACCES|EPERM|SQLITE_PERM|SQLITE_READONLY.*|SQLITE_AUTH)$/, 'check the permissions of the file and its directory, or choose another --tracking directory'],
  [/^(ENOSPC|EDQUOT|SQLITE_FULL)$/, 'the disk (or quota) is full: free some space or choose a --tracking directory on another filesystem'],
  [/^EROFS$/, 'the filesystem is mounted read-only: choose another --tracking directory'],
  [/^(ENOTDIR|ENOENT)$/, 'a component of the path is missing or is not a directory: check the --tracking path'],
  [/^EISDIR$/, 'a directory is in the way of the file: remove it or choose another --tracking directory'],
  [/^(SQLITE_NOTADB|SQLITE_CORRUPT.*)$/, 'the file is not a usable SQLite database: move it away or choose another --tracking directory'],
  [/^(SQLITE_BUSY.*|SQLITE_LOCKED.*)$/, 'another process holds the database locked: make sure no other Gator layer uses this tracking directory'],
  [/^(SQLITE_CANTOPEN.*|SQLITE_IOERR.*|EIO)$/, 'the file could not be opened or written: check the filesystem, its permissions and free space'],
];

/** The OS/SQLite code of a thrown value (`err.code`), or `UNKNOWN`. */
export function reasonOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'UNKNOWN';
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/**
 * Wrap a low-level failure: `Cannot write <what> <file>: <reason> (<detail>)`.
 * `what` says which operation failed (e.g. `the layer database`).
 */
export function databaseError(
  code: DatabaseErrorCode,
  file: string,
  what: string,
  cause: unknown,
  reasonOverride?: string,
): DatabaseError {
  if (cause instanceof DatabaseError) return cause;
  const reason = reasonOverride ?? reasonOf(cause);
  const verb = code === 'GATOR_DB_WRITE' ? 'Cannot write' : 'Cannot read';
  const detail = describe(cause);
  const hint =
    HINTS.find(([re]) => re.test(reason))?.[1] ??
    (code === 'GATOR_DB_WRITE'
      ? 'check that the --tracking directory is writable and has free space'
      : 'check that the path is a Gator tracking directory (holding db.sqlite) and is readable');
  const message = `${verb} ${what} ${file}: ${reason}${detail && detail !== reason ? ` (${detail})` : ''}. Hint: ${hint}.`;
  return new DatabaseError(code, file, message, { hint, cause, reason });
}

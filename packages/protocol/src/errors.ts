/**
 * Typed errors shared by every Gator package. Each has a stable string `code`
 * (never renamed: users and tools match on it), a message that says what
 * happened and what to do, and an optional `hint`. The CLI prints them without
 * a stack trace.
 */

const BRAND = Symbol.for('gator.error');

export type GatorErrorCode =
  | 'GATOR_SPEC_INVALID'
  | 'GATOR_SPEC_NOT_FOUND'
  | 'GATOR_PROTOCOL_INVALID_JSON'
  | 'GATOR_PROTOCOL_INVALID_FRAME'
  | 'GATOR_PROTOCOL_UNKNOWN_ACTION'
  | 'GATOR_PROTOCOL_BINARY_FRAME'
  | 'GATOR_PROTOCOL_REMOTE_ERROR'
  | 'GATOR_PROTOCOL_TIMEOUT'
  | 'GATOR_PROTOCOL_CLOSED'
  | 'GATOR_PROTOCOL_UNAUTHORIZED'
  | 'GATOR_SCHEDULER_NOT_FOUND'
  | 'GATOR_SCHEDULER_INVALID'
  | 'GATOR_SCHEDULER_OPTION'
  | 'GATOR_SCHEDULER_LAUNCH'
  | 'GATOR_SCHEDULER_RESOURCES'
  | 'GATOR_DB_WRITE'
  | 'GATOR_DB_READ'
  | 'GATOR_RUN_NOT_FOUND'
  | 'GATOR_USAGE'
  | 'GATOR_INTERNAL'
  | (string & {});

export interface GatorErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class GatorError extends Error {
  readonly code: GatorErrorCode;
  readonly hint?: string;
  readonly [BRAND] = true;

  constructor(code: GatorErrorCode, message: string, options: GatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatorError';
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** True for any Gator error, even one thrown by another copy of this package. */
export function isGatorError(value: unknown): value is GatorError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** One problem found in a spec file, pointing at the offending node. */
export interface SpecIssue {
  file: string;
  /** 1-based; 0 when the position is unknown. */
  line: number;
  /** 1-based; 0 when the position is unknown. */
  column: number;
  /** Dotted path to the field, e.g. `jobs[3].on_pass` (empty for the document). */
  path: string;
  message: string;
}

export function formatSpecIssue(issue: SpecIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.path ? `${where}  ${issue.path}: ${issue.message}` : `${where}  ${issue.message}`;
}

/** Every problem of a spec at once, one line each: `file:line:col  path: message`. */
export class SpecError extends GatorError {
  readonly issues: SpecIssue[];
  readonly file: string;

  constructor(issues: SpecIssue[], options: GatorErrorOptions = {}) {
    const file = issues[0]?.file ?? '<spec>';
    const n = issues.length;
    super(
      'GATOR_SPEC_INVALID',
      `${n === 1 ? 'A problem was' : `${n} problems were`} found in the spec:\n` +
        issues.map(formatSpecIssue).join('\n'),
      options,
    );
    this.name = 'SpecError';
    this.issues = issues;
    this.file = file;
  }

  /** First issue's position, for callers that want one location. */
  get line(): number {
    return this.issues[0]?.line ?? 0;
  }
  get column(): number {
    return this.issues[0]?.column ?? 0;
  }
  get field(): string {
    return this.issues[0]?.path ?? '';
  }
}

/** Something wrong on the wire: an undecodable frame, an error reply, a timeout. */
export class ProtocolError extends GatorError {
  /** The request id of the frame, when one could be recovered (for the error reply). */
  readonly rspId?: number;
  readonly action?: string;
  /** The frame was a posted request: it gets no reply, not even this error (Python's rule). */
  readonly posted?: boolean;
  constructor(
    code: GatorErrorCode,
    message: string,
    options: GatorErrorOptions & { rspId?: number; action?: string; posted?: boolean } = {},
  ) {
    super(code, message, options);
    this.name = 'ProtocolError';
    if (options.rspId !== undefined) this.rspId = options.rspId;
    if (options.action !== undefined) this.action = options.action;
    if (options.posted) this.posted = true;
  }
}

/** A scheduler could not be found, configured, or could not launch a child. */
export class SchedulerError extends GatorError {
  readonly scheduler: string;
  constructor(code: GatorErrorCode, scheduler: string, message: string, options: GatorErrorOptions = {}) {
    super(code, `[scheduler ${scheduler}] ${message}`, options);
    this.name = 'SchedulerError';
    this.scheduler = scheduler;
  }
}

/** A bug in Gator itself; the CLI asks the user to report it. */
export class InternalError extends GatorError {
  constructor(message: string, options: GatorErrorOptions = {}) {
    super('GATOR_INTERNAL', message, options);
    this.name = 'InternalError';
  }
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends GatorError {
  constructor(message: string, options: GatorErrorOptions = {}) {
    super('GATOR_USAGE', message, options);
    this.name = 'UsageError';
  }
}

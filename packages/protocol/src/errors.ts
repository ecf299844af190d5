/**
 * Typed errors shared by every Gator package. Each has a stable string `code`
 * (never renamed: users and tools match on it), a message that says what
 * happened and what to do, and an optional `hint`. The CLI prints them without
 * a stack trace.
 */

const BRAND = Symbol.for('gator.error');

/**
 * Every error code in Gator, with what it means and the exit status the CLI
 * gives it: the one list that `GatorErrorCode`, the CLI's exit codes and
 * `docs/errors.md` come from (a test checks the document against it).
 */
export const ERROR_CODES = {
  GATOR_SPEC_INVALID: { exit: 2, meaning: 'The work spec has problems; each is listed as file:line:col  field: message.' },
  GATOR_SPEC_NOT_FOUND: { exit: 2, meaning: 'The spec file does not exist or cannot be read.' },
  GATOR_SPEC_EXPAND: { exit: 1, meaning: 'A `$VAR` in a command, argument or environment value could not be expanded.' },
  GATOR_PROTOCOL_INVALID_JSON: { exit: 1, meaning: 'A websocket frame was not valid JSON.' },
  GATOR_PROTOCOL_INVALID_FRAME: { exit: 1, meaning: 'A websocket frame did not have the shape its action needs.' },
  GATOR_PROTOCOL_UNKNOWN_ACTION: { exit: 1, meaning: 'A request named an action the receiver does not serve.' },
  GATOR_PROTOCOL_BINARY_FRAME: { exit: 1, meaning: 'A binary websocket frame was sent; the protocol is JSON text.' },
  GATOR_PROTOCOL_REMOTE_ERROR: { exit: 1, meaning: 'The peer answered a request with an error reply.' },
  GATOR_PROTOCOL_TIMEOUT: { exit: 1, meaning: 'A connection or a reply did not come in time.' },
  GATOR_PROTOCOL_CLOSED: { exit: 1, meaning: 'The connection closed (or could not be opened) before the exchange finished.' },
  GATOR_PROTOCOL_UNAUTHORIZED: { exit: 1, meaning: 'A server refused the connection: missing or wrong credential.' },
  GATOR_SCHEDULER_NOT_FOUND: { exit: 2, meaning: 'No scheduler of that name is built in or installed.' },
  GATOR_SCHEDULER_INVALID: { exit: 2, meaning: 'A scheduler module does not export a scheduler factory.' },
  GATOR_SCHEDULER_OPTION: { exit: 2, meaning: 'A `--sched-arg` option is missing, unknown or has a bad value.' },
  GATOR_SCHEDULER_LAUNCH: { exit: 2, meaning: 'A scheduler could not start or reach what it needs (a pool, a cluster command).' },
  GATOR_SCHEDULER_RESOURCES: { exit: 2, meaning: 'The spec asks for more cores, memory or licenses than the scheduler can ever give.' },
  GATOR_DB_WRITE: { exit: 1, meaning: 'A layer database or log file could not be written.' },
  GATOR_DB_READ: { exit: 1, meaning: 'A layer database could not be read.' },
  GATOR_RUN_NOT_FOUND: { exit: 2, meaning: 'No recorded run matches the name or directory given.' },
  GATOR_JOB_NOT_FOUND: { exit: 2, meaning: 'No job of that path in the run, or it recorded nothing to use.' },
  GATOR_EXPORT_WRITE: { exit: 1, meaning: 'An export file could not be written.' },
  GATOR_CLIENT_NO_PARENT: { exit: 1, meaning: 'A job-side call found no wrapper to talk to (`GATOR_PARENT` is not set).' },
  GATOR_CLIENT_CONNECT: { exit: 1, meaning: "A job-side call could not connect to its wrapper." },
  GATOR_CLIENT_CLOSED: { exit: 1, meaning: 'The connection to the wrapper closed before the call finished.' },
  GATOR_CLIENT_REMOTE_ERROR: { exit: 1, meaning: 'The wrapper refused a job-side call.' },
  GATOR_HUB_CONFIG: { exit: 1, meaning: 'The hub was started with a setting it cannot use.' },
  GATOR_HUB_INSECURE: { exit: 1, meaning: 'The hub would listen beyond loopback without an access token.' },
  GATOR_HUB_BAD_REQUEST: { exit: 1, meaning: 'A request to the hub was malformed.' },
  GATOR_HUB_UNAUTHORIZED: { exit: 1, meaning: 'A request to the hub had no or a wrong access token.' },
  GATOR_HUB_NOT_FOUND: { exit: 1, meaning: 'The hub has no such run or job.' },
  GATOR_HUB_TOO_LARGE: { exit: 1, meaning: 'A request to the hub was larger than it accepts.' },
  GATOR_HUB_UNREACHABLE: { exit: 1, meaning: "The hub could not reach a running layer's server." },
  GATOR_HUB_STORAGE: { exit: 1, meaning: "The hub's database could not be read or written." },
  GATOR_USAGE: { exit: 2, meaning: 'The command line is wrong: an unknown option, a missing argument, a bad value.' },
  GATOR_INTERNAL: { exit: 1, meaning: 'A bug in Gator; please report it with the command you ran.' },
} as const satisfies Record<string, { exit: 1 | 2; meaning: string }>;

export type GatorErrorCode = keyof typeof ERROR_CODES;

/** The CLI's exit status for an error of this code (2: fix the input; 1: something failed). */
export function exitStatusOf(code: GatorErrorCode): 1 | 2 {
  return ERROR_CODES[code]?.exit ?? 1;
}

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

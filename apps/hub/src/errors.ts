/**
 * Typed errors of the hub. Each carries the HTTP status it is answered with, so a
 * request handler can throw and the server turns it into a JSON error reply
 * (`{result: "error", status, code, reason, hint}`), never a stack trace.
 */
import { GatorError, isGatorError, type GatorErrorOptions } from '@gator/protocol';

export type HubErrorCode =
  | 'GATOR_HUB_CONFIG'
  | 'GATOR_HUB_INSECURE'
  | 'GATOR_HUB_BAD_REQUEST'
  | 'GATOR_HUB_UNAUTHORIZED'
  | 'GATOR_HUB_NOT_FOUND'
  | 'GATOR_HUB_TOO_LARGE'
  | 'GATOR_HUB_UNREACHABLE'
  | 'GATOR_HUB_STORAGE';

const STATUS: Record<HubErrorCode, number> = {
  GATOR_HUB_CONFIG: 500,
  GATOR_HUB_INSECURE: 500,
  GATOR_HUB_BAD_REQUEST: 400,
  GATOR_HUB_UNAUTHORIZED: 401,
  GATOR_HUB_NOT_FOUND: 404,
  GATOR_HUB_TOO_LARGE: 413,
  GATOR_HUB_UNREACHABLE: 502,
  GATOR_HUB_STORAGE: 503,
};

export class HubError extends GatorError {
  declare readonly code: HubErrorCode;
  /** HTTP status of the reply this error becomes. */
  readonly status: number;
  constructor(code: HubErrorCode, message: string, options: GatorErrorOptions & { status?: number } = {}) {
    super(code, message, options);
    this.name = 'HubError';
    this.status = options.status ?? STATUS[code];
  }
}

export interface ErrorReply {
  result: 'error';
  status: number;
  code: string;
  reason: string;
  hint?: string;
}

/** Any thrown value as the JSON error reply the hub sends (no stack, no internals). */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof HubError) {
    return { result: 'error', status: error.status, code: error.code, reason: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  if (isGatorError(error)) {
    const status =
      error.code === 'GATOR_DB_READ' || error.code === 'GATOR_RUN_NOT_FOUND'
        ? 404
        : error.code === 'GATOR_PROTOCOL_REMOTE_ERROR'
          ? 404
          : error.code.startsWith('GATOR_PROTOCOL_')
            ? 502
            : error.code === 'GATOR_USAGE' || error.code === 'GATOR_SPEC_INVALID'
              ? 400
              : 500;
    return { result: 'error', status, code: error.code, reason: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return {
    result: 'error',
    status: 500,
    code: 'GATOR_INTERNAL',
    reason: 'The hub failed to answer this request (an internal error). Please report it with the request that caused it.',
  };
}

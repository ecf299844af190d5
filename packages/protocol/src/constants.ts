/**
 * Enumerations and versions of the wire. Values are Python Gator's integers;
 * they travel as integers except where protocol.md says names.
 */

/** Version of this implementation's wire protocol. Bump only when the wire changes. */
export const PROTOCOL_VERSION = 1;
/** Versions a peer may announce in `register`; a peer that announces none is Python Gator (0). */
export const SUPPORTED_PROTOCOL_VERSIONS = [0, 1] as const;
/** The reply to a frame without `action`, exactly as Python Gator sends it. */
export const IDENTIFY_PAYLOAD = { tool: 'gator', version: '1.0' } as const;
/** Largest frame a Gator server accepts (bigger frames close the connection with 1009). */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export const JobState = { PENDING: 0, LAUNCHED: 1, STARTED: 2, COMPLETE: 3 } as const;
export type JobState = (typeof JobState)[keyof typeof JobState];
export const JOB_STATE_NAMES = ['PENDING', 'LAUNCHED', 'STARTED', 'COMPLETE'] as const;
export type JobStateName = (typeof JOB_STATE_NAMES)[number];

export const JobResult = { UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, ABORTED: 3 } as const;
export type JobResult = (typeof JobResult)[keyof typeof JobResult];
export const JOB_RESULT_NAMES = ['UNKNOWN', 'SUCCESS', 'FAILURE', 'ABORTED'] as const;
export type JobResultName = (typeof JOB_RESULT_NAMES)[number];

export const Severity = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];
export type SeverityName = keyof typeof Severity;
export const SEVERITY_NAMES = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

/** `WARNING` → 30; trimmed, case-insensitive; unknown names → INFO (as Python Gator). */
export function severityFromName(name: string | undefined | null): Severity {
  if (!name) return Severity.INFO;
  const key = name.trim().toUpperCase();
  if (key === 'WARN') return Severity.WARNING;
  return (Severity as Record<string, Severity>)[key] ?? Severity.INFO;
}

/** 30 → `WARNING`; levels between names round down (25 → INFO). */
export function severityName(level: number): SeverityName {
  if (level >= 50) return 'CRITICAL';
  if (level >= 40) return 'ERROR';
  if (level >= 30) return 'WARNING';
  if (level >= 20) return 'INFO';
  return 'DEBUG';
}

/** Metric names every summary carries (protocol.md §4), in Python's order. */
export const BUILTIN_METRICS = [
  'sub_total',
  'sub_active',
  'sub_passed',
  'sub_failed',
  'msg_critical',
  'msg_error',
  'msg_warning',
  'msg_info',
  'msg_debug',
] as const;

export function severityMetric(level: number): `msg_${Lowercase<SeverityName>}` {
  return `msg_${severityName(level).toLowerCase()}` as `msg_${Lowercase<SeverityName>}`;
}

/** Environment variables Gator gives a job. */
export const ENV = {
  /** `host:port/TOKEN` of the wrapper's websocket server (connect to `ws://$GATOR_PARENT`). */
  PARENT: 'GATOR_PARENT',
  /**
   * The parts of GATOR_PARENT, for jobs that build the address themselves (a
   * Python Gator job that split `host:port`): the host (an IPv6 address without
   * brackets), the port (digits only) and the job's token for its own wrapper,
   * which must be the URL path: `ws://HOST:PORT/TOKEN`.
   */
  PARENT_HOST: 'GATOR_PARENT_HOST',
  PARENT_PORT: 'GATOR_PARENT_PORT',
  PARENT_TOKEN: 'GATOR_PARENT_TOKEN',
  /**
   * The run's read token a root may be given (else it makes one). Children get
   * theirs in a credential file, never from the environment or argv.
   */
  TOKEN: 'GATOR_TOKEN',
  ARRAY_INDEX: 'GATOR_ARRAY_INDEX',
  SEED: 'GATOR_SEED',
  /** Dotted path of the job in the tree (root first). */
  JOB_PATH: 'GATOR_JOB_PATH',
  TRACKING: 'GATOR_TRACKING',
} as const;

/**
 * What the wrapper answers on the wire (protocol.md §5): the job API on its
 * own server (job → wrapper: `log`, `metric`, `get_messages`, `resolve`) and,
 * on the connection to its parent, what the parent tier asks (parent →
 * child: `stop`, `get_messages`, `resolve`). Each set is typed from
 * `SERVED_BY`, so leaving an action out fails to compile.
 */
import { METRIC_SCOPES, type ApiJob, type Handler, type HandlersFor, JobState, severityFromName } from '@gator/protocol';
import type { JobStore } from './job-store.js';
import { capMessage } from './lines.js';
import { type MessageLog, nowSeconds } from './message-log.js';

const OWN = METRIC_SCOPES.own;

/** The two questions both sides may ask: the stored messages, and the wrapper itself. */
export interface WrapperQueries {
  get_messages: Handler<'get_messages'>;
  resolve: Handler<'resolve'>;
}

export function wrapperQueries(w: {
  ident: string;
  db: JobStore;
  /** Why the messages cannot be read, when the store failed. */
  failure: () => string | undefined;
  /** `resolve` of this wrapper (a job has no children). */
  describe: () => ApiJob;
}): WrapperQueries {
  return {
    get_messages: (payload) => {
      const pages = w.db.messagePages();
      if (!pages) throw new Error(`The messages of ${w.ident} cannot be read: ${w.failure() ?? 'no database'}`);
      return { ...pages.page(payload.after, payload.limit), status: JobState.STARTED };
    },
    resolve: (payload) => {
      const child = payload.root_path[0] ?? payload.nest_path?.[0];
      if (child !== undefined) throw new Error(`'${child}' is not a child of ${w.ident}: a job has no children`);
      return w.describe();
    },
  };
}

/** The job API (`$GATOR_PARENT`). */
export function jobApiHandlers(
  w: {
    log: MessageLog;
    db: JobStore;
    /** Metrics the job set (last value wins). */
    metrics: Map<string, number>;
    maxLineBytes: number;
    /** A call from the job is a sign of life (hang detection). */
    activity: () => void;
  },
  queries: WrapperQueries,
): HandlersFor<'wrapperServer'> {
  return {
    log: async (payload, { posted }) => {
      const severity = severityFromName(payload.severity);
      // The same cap as output lines: a job cannot store a 16 MiB message by the API either.
      const message = capMessage((payload.message ?? 'N/A').trim(), w.maxLineBytes);
      w.activity();
      w.log.record(severity, message, payload.timestamp ?? nowSeconds(), 'api', true);
      // An acknowledged message must survive a crash of the wrapper.
      if (!posted && w.db.store) await w.db.store.durable();
      return {};
    },
    metric: (payload) => {
      w.activity();
      w.metrics.set(payload.name, payload.value);
      w.db.write((s) => s.setMetric(OWN, payload.name, payload.value));
      return { result: 'success' as const };
    },
    ...queries,
  };
}

/** What the parent tier asks down the connection this wrapper opened. */
export function parentApiHandlers(stop: () => void, queries: WrapperQueries): HandlersFor<'wrapperUplink'> {
  return {
    stop: () => {
      stop();
      return {};
    },
    ...queries,
  };
}

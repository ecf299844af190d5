/**
 * What every layer of a run has, tier or wrapper: the options it is created
 * with, the events it emits for a renderer, its one websocket server, and the
 * answer it gives about itself (`resolve` with an empty path). The two layers
 * differ in what they run; this is what they share.
 */
import { JobState, type JobResult, type Severity } from './constants.js';
import type { Connection, Handlers } from './connection.js';
import type { LayerLimits } from './limits.js';
import type { ApiJob, Metrics, Summary } from './messages.js';
import type { JobEnd, NoticeKind } from './outcome.js';
import { GatorServer } from './server.js';
import { RefusalCounter, type Principal } from './credentials.js';
import type { LayerPlace } from './uplink.js';

/** Options every layer takes (the rest of its settings: `LayerSettings`). */
export interface LayerOptions {
  /** This layer's id (`--id`, else the spec's ident). */
  ident: string;
  /** This layer's tracking directory (created 0700). */
  tracking: string;
  /** Open connection to the parent tier; absent for the root. */
  parent?: Connection;
  /** Message limits of this layer's own counts (a count greater than the limit fails it). */
  limits?: Partial<LayerLimits>;
  /** Heartbeat (and resource-sampling) seconds, default 5. */
  interval?: number;
  /** Forward every message up the tree (`--all-msg`). */
  allMsg?: boolean;
  /**
   * The run's read token: this layer's server lets its holders read (the hub,
   * inspect commands). Writers get credentials of their own (`credentials.ts`).
   */
  token?: string;
  /** Accept connections without a credential, as children and readers (`--allow-tokenless`). */
  allowTokenless?: boolean;
  /** Interface the server binds (default loopback). */
  host?: string;
  /** Host advertised to peers (default: the bound host). */
  advertiseHost?: string;
}

/** A running layer as its host holds it (a tier or a wrapper). */
export interface RunningLayer<Outcome> {
  /** Runs the layer to completion (once; later calls return the same promise). */
  run(): Promise<Outcome>;
  /** Stop it: its jobs are ended and it reports. Safe at any time, and more than once. */
  stop(reason?: string): void;
  /** `host:port` of the layer's server, once listening. */
  readonly address?: string;
}

/** The events both layers emit (each adds its own). */
export type LayerEvent =
  | { type: 'message'; severity: number; message: string; timestamp: number }
  /**
   * One of Gator's notices (why a job failed, why children were skipped, a
   * problem of the layer), stored in its GatorNotice table: never a message,
   * never counted, never forwarded up as a `log`. `path` is who it is about.
   */
  | { type: 'notice'; kind: NoticeKind; message: string; timestamp: number; path?: string[] }
  | { type: 'summary'; summary: Summary }
  | { type: 'complete'; result: JobResult; reason?: string }
  /** A job ended (once per job; paths from this layer's ident, like the summary's). */
  | { type: 'end'; end: JobEnd };

/** Call a renderer's listener; its bug must never break the run. */
export function emitTo<E>(listener: ((event: E) => void) | undefined, event: E): void {
  if (!listener) return;
  try {
    listener(event);
  } catch {
    // A failing listener must not break the layer.
  }
}

/** Where a layer sits in the tree before it has registered (the root, or a parent that did not answer). */
export const ROOT_PLACE: LayerPlace = { path: [], root: 0, uidx: 0 };

export interface LayerServerOptions {
  host?: string | undefined;
  advertiseHost?: string | undefined;
  /** Who may connect, from the URL path (undefined: refused). */
  authorize: (path: string) => Principal | undefined;
  /** What a connection without a credential is told would let it in. */
  refusalHint?: string;
  handlers: Handlers | ((connection: Connection, principal: Principal | undefined) => Handlers);
  /** Who connects, for the records: `the job`, `a peer`. */
  peer: string;
  /** How this layer records what its server saw. */
  log: (severity: Severity, message: string) => void;
  /** How an undecodable frame is recorded: a wrapper counts its job's as WARNING, a tier keeps them at DEBUG. */
  badFrame: { severity: Severity; prefix: string };
}

/**
 * The layer's websocket server: loopback unless told otherwise, a credential
 * required (`authorize`); bad frames and failed handlers are recorded through
 * `log`. Refused connections are counted (`refusals`) and told at a bounded
 * rate, at INFO: a flood from anyone on the machine costs a counter, and never
 * counts as a warning against the layer's job.
 */
export async function listenLayerServer(options: LayerServerOptions): Promise<{ server: GatorServer; refusals: RefusalCounter }> {
  const { log, peer } = options;
  const refusals = new RefusalCounter((message) => log(20, message));
  const server = await GatorServer.listen({
    host: options.host ?? '127.0.0.1',
    ...(options.advertiseHost ? { advertiseHost: options.advertiseHost } : {}),
    authorize: options.authorize,
    ...(options.refusalHint ? { refusalHint: options.refusalHint } : {}),
    handlers: options.handlers,
    onBadFrame: (error) => log(options.badFrame.severity, `${options.badFrame.prefix}: ${error.message}`),
    onRejected: (info) => refusals.refused(info.remote, !options.refusalHint || info.reason !== 'missing credential' ? info.reason : `${info.reason} (${options.refusalHint})`),
    // Told once per connection: a peer that never reads would otherwise be recorded at every pause.
    onBackpressure: ({ unsentBytes, pauses }) => {
      if (pauses === 1) {
        const mib = (unsentBytes / (1024 * 1024)).toFixed(1);
        log(30, `${peer[0]!.toUpperCase()}${peer.slice(1)} is not reading the replies to its requests (${mib} MiB unsent): its requests are read only as fast as it takes the replies`);
      }
    },
    onHandlerError: (error, action) => log(10, `A '${action}' request from ${peer} failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  return { server, refusals };
}

/** A layer's description of itself (`resolve` with an empty path, protocol.md §5.5). */
export function describeLayer(layer: {
  place: LayerPlace;
  ident: string;
  status: JobState;
  metrics: Metrics;
  serverUrl: string;
  dbFile: string;
  started: number | null;
  updated: number | null;
  stopped: number | null;
  result: JobResult;
  expectedChildren: number;
}): ApiJob {
  return {
    uidx: layer.place.uidx,
    root: layer.place.root,
    path: layer.place.path,
    ident: layer.ident,
    status: layer.status ?? JobState.STARTED,
    metrics: layer.metrics,
    server_url: layer.serverUrl,
    db_file: layer.dbFile,
    owner: null,
    started: layer.started,
    updated: layer.updated,
    stopped: layer.stopped,
    result: layer.result,
    children: [],
    expected_children: layer.expectedChildren,
  };
}

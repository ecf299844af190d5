/**
 * One websocket connection between two Gator peers, used in both directions
 * (protocol.md §1): it sends requests and matches their replies by
 * `req_id`/`rsp_id`, and serves the actions of its `handlers`. Every frame is
 * parsed once, here; handlers get typed payloads. A bad frame is answered with
 * an error reply (unless it was posted), reported through `onBadFrame`, and
 * never closes the connection. Its transport is a websocket, or a pre-started
 * wrapper's IPC channel to its tier (frame-socket.ts): the same frames.
 */
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { SOCKET_CLOSED, SOCKET_OPEN, type FrameSocket } from './frame-socket.js';
import { MAX_PAYLOAD_BYTES } from './constants.js';
import { GatorError, ProtocolError, isGatorError } from './errors.js';
import {
  SERVED_BY,
  type ActionName,
  type ServedBy,
  type RequestPayload,
  type ResponsePayload,
  decode,
  decodeResponsePayload,
  encodeError,
  encodeIdentify,
  encodeRequest,
  encodeSuccess,
} from './messages.js';

export interface HandlerContext {
  connection: Connection;
  /** True when the request was posted (no reply will be sent). */
  posted: boolean;
}
export type Handler<A extends ActionName> = (
  payload: RequestPayload<A>,
  context: HandlerContext,
) => ResponsePayload<A> | void | Promise<ResponsePayload<A> | void>;
export type Handlers = { [A in ActionName]?: Handler<A> };
/** Every handler one side must serve (see `SERVED_BY`): leaving one out fails to compile. */
export type HandlersFor<S extends ServedBy> = { [A in (typeof SERVED_BY)[S][number]]: Handler<A> };
/** The two parent → child handler sets. */
export type UplinkServes = 'wrapperUplink' | 'tierUplink';

export interface ConnectionOptions {
  /** The actions this side serves. */
  handlers?: Handlers;
  /** Default time to wait for a reply, in ms (30 s). */
  requestTimeoutMs?: number;
  /** Transport keep-alive: ping every N ms and drop a peer that missed a pong (0 = off; default 15 s). */
  keepAliveMs?: number;
  /** Called for every frame that could not be decoded or had no handler. */
  onBadFrame?: (error: ProtocolError, raw: string) => void;
  /** Called when a handler threw. */
  onHandlerError?: (error: unknown, action: string) => void;
  /**
   * Replies queued and not yet taken by the peer past which this side stops reading its
   * requests until they drain (default `MAX_UNSENT_REPLY_BYTES`): a peer that asks without
   * reading the answers is slowed to the pace it reads them, never allowed to fill memory.
   */
  maxUnsentBytes?: number;
  /** Reading was paused because the peer does not take its replies (once per pause). */
  onBackpressure?: (info: { unsentBytes: number; pauses: number }) => void;
}

/** Default `maxUnsentBytes`: 8 MiB of unsent replies per connection. */
const MAX_UNSENT_REPLY_BYTES = 8 * 1024 * 1024;
/** How often a paused connection looks whether its replies drained (ws has no 'drain' event). */
const DRAIN_POLL_MS = 20;
/**
 * Requests served at once; later ones wait their turn. The frames of one read are all
 * decoded together, so without this cap a read of small requests could make thousands of
 * replies before the first of them shows as unsent.
 */
const MAX_IN_FLIGHT = 64;
/** Requests waiting their turn past which the socket is not read until they shrink. */
const MAX_WAITING = 1024;

interface Pending {
  action: ActionName;
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class Connection extends EventEmitter {
  readonly socket: FrameSocket;
  private handlers: Handlers;
  private readonly options: ConnectionOptions;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private alive = true;
  private keepAlive: NodeJS.Timeout | undefined;
  /** Polls the unsent replies while reading is paused for them. */
  private drainTimer: NodeJS.Timeout | undefined;
  /** Times reading was paused because the peer did not take its replies. */
  pauses = 0;
  /** Requests being served (their handler has not returned yet). */
  private inFlight = 0;
  /** Requests read but not yet served, oldest first. */
  private waiting: { action: ActionName; payload: unknown; posted: boolean; reqId: number }[] = [];
  /** Resolves when the socket has closed (for any reason). */
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(socket: FrameSocket, options: ConnectionOptions = {}) {
    super();
    this.socket = socket;
    this.options = options;
    this.handlers = options.handlers ?? {};
    let resolveClosed!: (v: { code: number; reason: string }) => void;
    this.closed = new Promise((r) => (resolveClosed = r));
    // Always listen for errors: an unhandled 'error' would crash the process.
    socket.on('error', (error: Error) => {
      // A frame the websocket layer refused (over maxPayload, bad UTF-8, bad opcode): it closes
      // the socket; report it like any bad frame so the refusal is recorded.
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
        const bad = new ProtocolError('GATOR_PROTOCOL_INVALID_FRAME', `Frame refused, connection closed: ${error.message}`);
        this.options.onBadFrame?.(bad, '');
        this.emit('bad-frame', bad, '');
      }
      this.emit('socket-error', error);
    });
    socket.on('message', (data: Buffer | string, isBinary: boolean) => this.onFrame(data, isBinary));
    socket.on('pong', () => (this.alive = true));
    socket.on('close', (code: number, reason: Buffer) => {
      if (this.keepAlive) clearInterval(this.keepAlive);
      if (this.drainTimer) clearInterval(this.drainTimer);
      const err = new ProtocolError('GATOR_PROTOCOL_CLOSED', `Connection closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`);
      for (const [, p] of this.pending) {
        if (p.timer) clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
      const info = { code, reason: reason.toString() };
      resolveClosed(info);
      this.emit('close', info);
    });
    const keepAliveMs = options.keepAliveMs ?? 15_000;
    if (keepAliveMs > 0) {
      this.keepAlive = setInterval(() => {
        if (!this.alive) {
          this.socket.terminate();
          return;
        }
        this.alive = false;
        try {
          this.socket.ping();
        } catch {
          /* closing */
        }
      }, keepAliveMs);
      this.keepAlive.unref();
    }
  }

  get isOpen(): boolean {
    return this.socket.readyState === SOCKET_OPEN;
  }

  setHandlers(handlers: Handlers): void {
    this.handlers = handlers;
  }

  /** Send a request and wait for its reply payload (validated against the action's schema). */
  request<A extends ActionName>(
    action: A,
    payload: RequestPayload<A>,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ResponsePayload<A>> {
    if (!this.isOpen) {
      return Promise.reject(new ProtocolError('GATOR_PROTOCOL_CLOSED', `Cannot send '${action}': the connection is closed`, { action }));
    }
    const id = this.nextId++;
    return new Promise<ResponsePayload<A>>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new ProtocolError('GATOR_PROTOCOL_TIMEOUT', `No reply to '${action}' within ${timeoutMs} ms`, { action }));
            }, timeoutMs)
          : undefined;
      timer?.unref();
      this.pending.set(id, { action, resolve: resolve as (p: unknown) => void, reject, timer });
      options.signal?.addEventListener('abort', () => {
        if (!this.pending.delete(id)) return;
        if (timer) clearTimeout(timer);
        reject(new ProtocolError('GATOR_PROTOCOL_CLOSED', `'${action}' was aborted`, { action }));
      });
      this.socket.send(encodeRequest(action, payload, { reqId: id }), (err) => {
        if (err && this.pending.delete(id)) {
          if (timer) clearTimeout(timer);
          reject(new ProtocolError('GATOR_PROTOCOL_CLOSED', `Could not send '${action}': ${err.message}`, { action, cause: err }));
        }
      });
    });
  }

  /** Fire-and-forget request (no reply). Returns false when the socket is not open. */
  post<A extends ActionName>(action: A, payload: RequestPayload<A>): boolean {
    if (!this.isOpen) return false;
    this.socket.send(encodeRequest(action, payload, { posted: true }));
    return true;
  }

  /** Bytes queued in the socket and not yet sent (for back-pressure). */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(code = 1000, reason = ''): void {
    if (this.socket.readyState === SOCKET_CLOSED) return;
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
  }

  /** Close now, without the closing handshake. */
  terminate(): void {
    this.socket.terminate();
  }

  private reply(text: string): void {
    if (!this.isOpen) return;
    this.socket.send(text);
    this.checkUnsent();
  }

  /** Back-pressure: stop reading the peer's requests while it leaves too many replies untaken. */
  private checkUnsent(): void {
    const max = this.options.maxUnsentBytes ?? MAX_UNSENT_REPLY_BYTES;
    if (this.drainTimer || this.socket.bufferedAmount <= max) return;
    this.pauses++;
    this.drainTimer = setInterval(() => {
      if (this.isOpen && this.socket.bufferedAmount > max / 4) return;
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
      this.pump();
    }, DRAIN_POLL_MS);
    this.drainTimer.unref();
    this.updateReading();
    this.options.onBackpressure?.({ unsentBytes: this.socket.bufferedAmount, pauses: this.pauses });
    this.emit('backpressure', this.socket.bufferedAmount);
  }

  private onFrame(data: Buffer | string, isBinary: boolean): void {
    const decoded = decode(data, isBinary);
    if (!decoded.ok) {
      const raw = isBinary ? `<binary frame of ${data.length} bytes>` : (typeof data === 'string' ? data : data.toString('utf8')).slice(0, 1000);
      this.options.onBadFrame?.(decoded.error, raw);
      this.emit('bad-frame', decoded.error, raw);
      // Reply to every frame that was not a posted request: with its request id when one
      // could be recovered, else 0 (bad JSON, a frame that is not an object).
      if (!decoded.error.posted) this.reply(encodeError(decoded.error.rspId ?? 0, decoded.error.message));
      return;
    }
    const frame = decoded.frame;
    switch (frame.kind) {
      case 'identify':
        if (!frame.posted) this.reply(encodeIdentify(frame.reqId));
        return;
      case 'response':
      case 'error': {
        const p = this.pending.get(frame.response.rsp_id);
        // Unmatched responses are dropped (Python re-routes them as requests: a bug).
        if (!p) return;
        this.pending.delete(frame.response.rsp_id);
        if (p.timer) clearTimeout(p.timer);
        if (frame.kind === 'error') {
          p.reject(new ProtocolError('GATOR_PROTOCOL_REMOTE_ERROR', frame.response.reason, { action: p.action }));
          return;
        }
        const checked = decodeResponsePayload(p.action, frame.response.payload);
        if (checked.ok) p.resolve(checked.payload);
        else p.reject(checked.error);
        return;
      }
      case 'request':
        this.waiting.push({ action: frame.request.action, payload: frame.request.payload, posted: frame.request.posted === true, reqId: frame.request.req_id ?? 0 });
        this.pump();
        return;
    }
  }

  /** Serve waiting requests in order while the peer takes its replies and few are in flight. */
  private pump(): void {
    while (this.waiting.length > 0 && this.drainTimer === undefined && this.inFlight < MAX_IN_FLIGHT) {
      const r = this.waiting.shift()!;
      this.inFlight++;
      void this.serve(r.action, r.payload, r.posted, r.reqId).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    this.updateReading();
  }

  /** Read the socket unless replies wait to be taken or too many requests wait to be served. */
  private updateReading(): void {
    if (!this.isOpen) return;
    const pause = this.drainTimer !== undefined || this.waiting.length >= MAX_WAITING;
    if (pause && !this.socket.isPaused) this.socket.pause();
    else if (!pause && this.socket.isPaused) this.socket.resume();
  }

  private async serve(action: ActionName, payload: unknown, posted: boolean, reqId: number): Promise<void> {
    const handler = this.handlers[action] as Handler<ActionName> | undefined;
    if (!handler) {
      const error = new ProtocolError('GATOR_PROTOCOL_UNKNOWN_ACTION', `Unknown action '${action}'`, { action, rspId: reqId });
      this.options.onBadFrame?.(error, action);
      this.emit('bad-frame', error, action);
      if (!posted) this.reply(encodeError(reqId, error.message));
      return;
    }
    try {
      const returned = handler(payload as never, { connection: this, posted });
      // A synchronous handler is answered at once, so the reply counts as unsent before the next request is served.
      const result = returned instanceof Promise ? await returned : returned;
      if (!posted) this.reply(encodeSuccess(action, reqId, result ?? {}));
    } catch (error) {
      this.options.onHandlerError?.(error, action);
      if (!posted) this.reply(encodeError(reqId, error instanceof Error ? error.message : String(error)));
    }
  }
}

/** Split `host:port[/token]` (or `ws://host:port[/token]`) into its parts. */
export function parseAddress(address: string): { host: string; port: number; token: string | undefined } {
  const stripped = address.replace(/^wss?:\/\//, '');
  const slash = stripped.indexOf('/');
  const hostPort = slash >= 0 ? stripped.slice(0, slash) : stripped;
  const token = slash >= 0 ? stripped.slice(slash + 1) || undefined : undefined;
  const colon = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new GatorError('GATOR_USAGE', `'${address}' is not a host:port address`, {
      hint: 'Addresses look like 127.0.0.1:40123 (optionally followed by /TOKEN).',
    });
  }
  let host = hostPort.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port, token };
}

export interface ConnectOptions extends ConnectionOptions {
  /** The run's secret, when the address does not carry it. */
  token?: string;
  /** Time allowed to open the connection, in ms (10 s). */
  connectTimeoutMs?: number;
}

/** Open a connection to `host:port[/token]`. */
export function connect(address: string, options: ConnectOptions = {}): Promise<Connection> {
  let parsed: ReturnType<typeof parseAddress>;
  try {
    parsed = parseAddress(address);
  } catch (e) {
    return Promise.reject(e);
  }
  const token = parsed.token ?? options.token;
  const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
  const url = `ws://${host}:${parsed.port}/${token ?? ''}`;
  // `ws` (and with it Node's `http` and `crypto`) is loaded by the first connect: a wrapper
  // linked to its tier by its IPC channel never loads it (frame-socket.ts).
  return import('ws').then(({ default: WebSocketClient }) => open(WebSocketClient, url, parsed, options));
}

function open(WebSocketClient: typeof WebSocket, url: string, parsed: ReturnType<typeof parseAddress>, options: ConnectOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocketClient(url, { maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false });
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new ProtocolError('GATOR_PROTOCOL_TIMEOUT', `Could not connect to ${parsed.host}:${parsed.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      socket.terminate();
      reject(
        res.statusCode === 401 || res.statusCode === 403
          ? new ProtocolError('GATOR_PROTOCOL_UNAUTHORIZED', `${parsed.host}:${parsed.port} refused the connection: missing or wrong credential`)
          : new ProtocolError('GATOR_PROTOCOL_CLOSED', `${parsed.host}:${parsed.port} answered HTTP ${res.statusCode}`),
      );
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new ProtocolError('GATOR_PROTOCOL_CLOSED', `Could not connect to ${parsed.host}:${parsed.port}: ${err.message}`, { cause: err }));
    });
    socket.once('open', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new Connection(socket, options));
    });
  });
}

/** Whether a thrown value is a remote error reply, a closed socket or a timeout. */
export function isConnectionError(e: unknown): boolean {
  return isGatorError(e) && (e.code === 'GATOR_PROTOCOL_CLOSED' || e.code === 'GATOR_PROTOCOL_TIMEOUT');
}

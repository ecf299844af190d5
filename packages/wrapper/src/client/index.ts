/**
 * Job-side client of the wrapper's API: a job (or a tool it runs) logs
 * messages and records metrics through the wrapper at `$GATOR_PARENT`.
 *
 *   const gator = await connectJobClient();
 *   gator.log('compiling', 'INFO');
 *   gator.metric('warnings', 3);
 *   await gator.close();          // every message is stored once this resolves
 *
 * Frames are posted without waiting for replies; `flush()` proves (with one
 * round trip) that the wrapper processed and committed all earlier ones.
 * Only `ws` is imported, so this is cheap to load from any job.
 */
import WebSocket from 'ws';

/** Brand shared with @gator/protocol's GatorError, so `isGatorError` recognises these. */
const BRAND = Symbol.for('gator.error');

export type JobClientErrorCode = 'GATOR_CLIENT_NO_PARENT' | 'GATOR_CLIENT_CONNECT' | 'GATOR_CLIENT_CLOSED' | 'GATOR_CLIENT_REMOTE_ERROR';

export class JobClientError extends Error {
  readonly code: JobClientErrorCode;
  readonly hint?: string;
  readonly [BRAND] = true;
  constructor(code: JobClientErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobClientError';
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

export type SeverityName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface JobClient {
  /** Log a message (posted: returns at once). `timestamp` in Unix seconds. */
  log(message: string, severity?: SeverityName | Lowercase<SeverityName> | (string & {}), timestamp?: number): void;
  /** Set a metric of the job (last value wins; summed up the tree). */
  metric(name: string, value: number): void;
  /** Resolves once the wrapper has processed and stored every earlier message. */
  flush(): Promise<void>;
  /** Flush, then close the connection. */
  close(): Promise<void>;
}

export interface JobClientOptions {
  /** Time allowed to connect, ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Time allowed for `flush()`, ms (default 60 s). */
  flushTimeoutMs?: number;
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Connect to the wrapper at `address` (`host:port[/TOKEN]`, default `$GATOR_PARENT`). */
export function connectJobClient(address: string | undefined = process.env.GATOR_PARENT, options: JobClientOptions = {}): Promise<JobClient> {
  if (!address) {
    return Promise.reject(
      new JobClientError('GATOR_CLIENT_NO_PARENT', 'GATOR_PARENT is not set: this process was not started by Gator', {
        hint: 'Run it as a job of `gator`, or pass the wrapper address (host:port/TOKEN) to connectJobClient().',
      }),
    );
  }
  const url = /^wss?:\/\//.test(address) ? address : `ws://${address}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new JobClientError('GATOR_CLIENT_CONNECT', `Could not connect to the Gator wrapper at ${address} within ${options.connectTimeoutMs ?? 10_000} ms`));
    }, options.connectTimeoutMs ?? 10_000);
    socket.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      socket.terminate();
      reject(
        new JobClientError('GATOR_CLIENT_CONNECT', `The Gator wrapper at ${address} refused the connection (HTTP ${res.statusCode})`, {
          hint: res.statusCode === 401 ? 'GATOR_PARENT must include the job token of this wrapper (host:port/TOKEN).' : undefined,
        }),
      );
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new JobClientError('GATOR_CLIENT_CONNECT', `Could not connect to the Gator wrapper at ${address}: ${error.message}`, { cause: error }));
    });
    socket.once('open', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new SocketJobClient(socket, options.flushTimeoutMs ?? 60_000));
    });
  });
}

class SocketJobClient implements JobClient {
  private queue: string[] = [];
  private scheduled = false;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private closedError: JobClientError | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly flushTimeoutMs: number,
  ) {
    socket.on('error', () => {
      /* reported through 'close' */
    });
    socket.on('message', (data) => this.onReply(String(data)));
    socket.on('close', (code) => {
      this.closedError ??= new JobClientError('GATOR_CLIENT_CLOSED', `The connection to the Gator wrapper closed (${code})`);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(this.closedError);
      }
      this.pending.clear();
    });
  }

  log(message: string, severity: string = 'INFO', timestamp?: number): void {
    const payload: Record<string, unknown> = { severity, message: String(message) };
    if (timestamp !== undefined) payload.timestamp = timestamp;
    this.send({ action: 'log', posted: true, payload });
  }

  metric(name: string, value: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`metric '${name}': value must be a finite number, got ${String(value)}`);
    }
    this.send({ action: 'metric', posted: true, payload: { name, value } });
  }

  flush(): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new JobClientError('GATOR_CLIENT_CLOSED', `The Gator wrapper did not answer within ${this.flushTimeoutMs} ms`));
      }, this.flushTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // get_messages makes the wrapper commit everything it stored before answering.
      this.send({ action: 'get_messages', posted: false, payload: { after: 0, limit: 0 }, req_id: id });
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) await this.flush();
    await new Promise<void>((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
    });
  }

  private send(frame: Record<string, unknown>): void {
    if (this.closedError || this.socket.readyState !== WebSocket.OPEN) {
      throw this.closedError ?? new JobClientError('GATOR_CLIENT_CLOSED', 'The connection to the Gator wrapper is closed');
    }
    this.queue.push(JSON.stringify(frame));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Sends what was queued during this turn of the event loop. */
  private drain(): void {
    this.scheduled = false;
    const frames = this.queue;
    this.queue = [];
    if (this.socket.readyState !== WebSocket.OPEN) return;
    for (const frame of frames) this.socket.send(frame);
  }

  private onReply(text: string): void {
    let reply: { rsp_id?: unknown; result?: unknown; reason?: unknown };
    try {
      reply = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof reply.rsp_id !== 'number') return;
    const p = this.pending.get(reply.rsp_id);
    if (!p) return;
    this.pending.delete(reply.rsp_id);
    clearTimeout(p.timer);
    if (reply.result === 'success') p.resolve();
    else p.reject(new JobClientError('GATOR_CLIENT_REMOTE_ERROR', `The Gator wrapper answered: ${String(reply.reason ?? 'error')}`));
  }
}

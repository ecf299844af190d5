/**
 * The run side of the hub (hub.md §4): the root registers, sends heartbeats with its
 * Summary, and reports completion. A hub that is down must never slow or fail a run:
 * every call returns at once (work goes to a small bounded queue sent in order in the
 * background), failed requests are retried with exponential back-off, newer heartbeats
 * replace unsent ones, nothing ever throws into the run, and problems are reported
 * through `onWarning`.
 */
import { UsageError, type Summary } from '@gator/protocol';

export interface HubAddress {
  /** `http://host:port` (or the URL given, without a trailing slash). */
  baseUrl: string;
  token: string | undefined;
}

/**
 * `host:port` (Python Gator's `--hub`), `host:port/TOKEN`, or a full `http(s)://` URL
 * (optionally `?token=`). Throws UsageError for anything else.
 */
export function parseHubAddress(address: string): HubAddress {
  const text = address.trim();
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UsageError(`'${address}' is not a valid hub URL`);
    }
    const token = url.searchParams.get('token') ?? undefined;
    return { baseUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, token };
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[^/:[\]\s]+):(\d+)(?:\/([^/]*))?\/?$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`'${address}' is not a hub address`, {
      hint: 'use host:port (as Python Gator), host:port/TOKEN, or http://host:port',
    });
  }
  return { baseUrl: `http://${m[1]}:${port}`, token: m[3] || undefined };
}

export interface HubClientOptions {
  /** The hub's access token (when the address does not carry it). */
  token?: string;
  /** Called with a short explanation whenever the hub could not be reached or refused a request. */
  onWarning?: (message: string, cause?: unknown) => void;
  /** Attempts per request (default 6: ~6 s of back-off). */
  attempts?: number;
  /** First back-off delay in ms (default 100, doubling, capped at 5 s). */
  retryBaseMs?: number;
  /** Time allowed for one HTTP request in ms (default 5000). */
  requestTimeoutMs?: number;
  /** Requests queued at most; the oldest heartbeat is dropped beyond it (default 32). */
  maxQueue?: number;
}

export interface HubRegistration {
  /** The root's ident. */
  ident: string;
  /** The root's websocket address, `host:port`. */
  url: string;
  layer: 'tier' | 'wrapper';
  /** Login name of whoever runs it. */
  owner: string;
  /** The run's secret, so the hub can query its live layers (Gator extension; stays in the hub). */
  token?: string;
  /** Absolute path of the root's db.sqlite (Gator extension; lets the hub read a run that died). */
  db_file?: string;
}

export interface HubCompletion {
  db_file: string;
  /** JobResult integer. */
  result: number;
}

export interface HubClient {
  /** The hub's base URL. */
  readonly url: string;
  /** The run's uid on the hub, once registered. */
  readonly uid: number | undefined;
  /** Registers the root; resolves to its uid, or undefined if the hub could not be reached (never rejects). */
  register(registration: HubRegistration): Promise<number | undefined>;
  /** Queues a heartbeat (a newer one replaces one not yet sent). Returns at once. */
  heartbeat(summary: Summary): void;
  /** Queues the completion; resolves once sent or given up (never rejects). */
  complete(completion: HubCompletion): Promise<void>;
  /** Waits (at most `timeoutMs`, default 5 s) for queued requests, then stops. Never rejects. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

type Op =
  | { kind: 'heartbeat'; summary: Summary; superseded: boolean }
  | { kind: 'complete'; body: HubCompletion; done: () => void };

const RETRY_REGISTER_AFTER_MS = 30_000;

class HttpHubClient implements HubClient {
  readonly url: string;
  uid: number | undefined;
  private readonly token: string | undefined;
  private readonly queue: Op[] = [];
  private registration: HubRegistration | undefined;
  private registering: Promise<number | undefined> | undefined;
  private lastRegisterAttempt = 0;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private warnedDrop = false;

  constructor(
    address: HubAddress,
    private readonly options: HubClientOptions,
  ) {
    this.url = address.baseUrl;
    this.token = options.token ?? address.token;
  }

  private warn(message: string, cause?: unknown): void {
    try {
      this.options.onWarning?.(message, cause);
    } catch {
      // A broken warning callback must not reach the run.
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }

  /** One POST; resolves to the parsed reply or throws a short explanation. */
  private async post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.requestTimeoutMs ?? 5000)]);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(`${this.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal });
    const text = await res.text();
    let reply: Record<string, unknown> = {};
    try {
      reply = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // Not JSON: judged by the status alone.
    }
    if (!res.ok || (reply.result !== undefined && reply.result !== 'success')) {
      const reason = typeof reply.reason === 'string' ? reply.reason : text.slice(0, 200);
      throw Object.assign(new Error(`HTTP ${res.status}${reason ? `: ${reason}` : ''}`), { status: res.status });
    }
    return reply;
  }

  /** POST with retries; undefined when given up (or superseded, or the client closed). */
  private async send(path: string, body: unknown, what: string, attempts: number, stillWanted: () => boolean = () => true) {
    const base = this.options.retryBaseMs ?? 100;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (this.abort.signal.aborted || !stillWanted()) return undefined;
      try {
        return await this.post(path, body);
      } catch (error) {
        lastError = error;
        const status = (error as { status?: number }).status;
        // A request the hub rejects as malformed will not get better by retrying.
        if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) break;
        if (attempt + 1 < attempts) await this.sleep(Math.min(5000, base * 2 ** attempt));
      }
    }
    if (!this.abort.signal.aborted && stillWanted()) {
      this.warn(`Hub ${this.url}: could not ${what} (${(lastError as Error)?.message ?? lastError}); the run goes on without it`, lastError);
    }
    return undefined;
  }

  private async tryRegister(attempts: number): Promise<number | undefined> {
    const registration = this.registration;
    if (!registration) return undefined;
    this.lastRegisterAttempt = Date.now();
    const body: Record<string, unknown> = { ident: registration.ident, url: registration.url, layer: registration.layer, owner: registration.owner };
    if (registration.token !== undefined) body.token = registration.token;
    if (registration.db_file !== undefined) body.db_file = registration.db_file;
    const reply = await this.send('/api/register', body, 'register the run', attempts);
    const uid = reply && typeof reply.uid === 'number' ? reply.uid : undefined;
    if (reply && uid === undefined) this.warn(`Hub ${this.url}: registration answered without a uid`);
    if (uid !== undefined) this.uid = uid;
    return uid;
  }

  register(registration: HubRegistration): Promise<number | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    this.registration = registration;
    this.registering = this.tryRegister(this.options.attempts ?? 6).then((uid) => {
      this.kick();
      return uid;
    });
    return this.registering;
  }

  heartbeat(summary: Summary): void {
    if (this.closed) return;
    for (const op of this.queue) if (op.kind === 'heartbeat') op.superseded = true;
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].kind === 'heartbeat') this.queue.splice(i, 1);
    this.queue.push({ kind: 'heartbeat', summary, superseded: false });
    this.trim();
    this.kick();
  }

  complete(body: HubCompletion): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.queue.push({ kind: 'complete', body, done: resolve });
      this.trim();
      this.kick();
    });
  }

  private trim(): void {
    const max = this.options.maxQueue ?? 32;
    while (this.queue.length > max) {
      const i = this.queue.findIndex((op) => op.kind === 'heartbeat');
      if (i < 0) break;
      this.queue.splice(i, 1);
      if (!this.warnedDrop) {
        this.warnedDrop = true;
        this.warn(`Hub ${this.url}: too many requests waiting; older heartbeats are dropped`);
      }
    }
  }

  private inFlight: Op | undefined;

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && !this.closed && this.uid !== undefined) this.kick();
    });
  }

  private async drain(): Promise<void> {
    if (this.registering) await this.registering;
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      if (this.uid === undefined) {
        // Registration failed earlier: try again now and then, as the hub may be back.
        const wantsComplete = this.queue.some((op) => op.kind === 'complete');
        if (this.registration && (wantsComplete || Date.now() - this.lastRegisterAttempt > RETRY_REGISTER_AFTER_MS)) {
          await this.tryRegister(wantsComplete ? 2 : 1);
        }
        if (this.uid === undefined) {
          // Without a uid nothing can be sent: drop what is queued (completion waiters are released).
          for (const op of this.queue.splice(0)) if (op.kind === 'complete') op.done();
          return;
        }
      }
      const op = this.queue.shift() as Op;
      this.inFlight = op;
      const attempts = this.options.attempts ?? 6;
      if (op.kind === 'heartbeat') {
        await this.send(`/api/job/${this.uid}/heartbeat`, op.summary, 'send a heartbeat', attempts, () => !op.superseded);
      } else {
        await this.send(`/api/job/${this.uid}/complete`, op.body, 'report completion', attempts);
        op.done();
      }
      this.inFlight = undefined;
    }
  }

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const timeoutMs = options.timeoutMs ?? 5000;
    const idle = (async () => {
      while (this.draining || this.registering) {
        if (this.registering) {
          const r = this.registering;
          await r;
          if (this.registering === r) this.registering = undefined;
        }
        if (this.draining) await this.draining;
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([idle, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    if (timer) clearTimeout(timer);
    if (this.queue.length > 0 || this.inFlight) {
      this.warn(`Hub ${this.url}: ${this.queue.length + (this.inFlight ? 1 : 0)} request(s) not sent before closing`);
    }
    this.abort.abort();
    for (const op of this.queue.splice(0)) if (op.kind === 'complete') op.done();
    if (this.inFlight?.kind === 'complete') this.inFlight.done();
  }
}

/** A hub client for a run. Throws UsageError only for a malformed address; nothing after that throws. */
export function createHubClient(address: string, options: HubClientOptions = {}): HubClient {
  return new HttpHubClient(parseHubAddress(address), options);
}

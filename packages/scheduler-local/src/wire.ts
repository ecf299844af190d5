/**
 * One pool for the whole tree. Every tier is its own process with its own
 * scheduler instance, but the limits are the machine's: the root instance
 * serves its pool on a loopback websocket and hands the address to the tiers
 * it starts (`GATOR_LOCAL_POOL=host:port/TOKEN`, in the environment, never in
 * argv); an instance created where that variable is set becomes a client and
 * acquires resources from the root for each job it launches.
 *
 * Clients also register the process group of every child they start, so that
 * when a client dies without cleaning up (SIGKILL, crash) the root ends the
 * groups it left behind instead of leaving them running.
 *
 * Messages are small JSON objects, validated with zod on both sides; a bad one
 * is reported and dropped, never fatal.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
// Types only: `ws` loads Node's http, which a child's startup snapshot cannot hold (it is loaded when a pool is served or joined).
import type WebSocket from 'ws';
import type { WebSocketServer } from 'ws';
import { z } from 'zod';
import { SOCKET_CLOSED, SOCKET_OPEN, SchedulerError, parseAddress } from '@gator/protocol';
import { SCHEDULER_NAME, type PoolLimits } from './options.js';
import { impossibleReasons, type Demand, type ResourcePool, type Ticket } from './pool.js';
import { groupAlive, sweepGroup } from './process.js';

/** Environment variable carrying the root pool's `host:port/TOKEN` to nested tiers. */
export const POOL_ENV = 'GATOR_LOCAL_POOL';

const DemandSchema = z.object({
  cores: z.number().int().nonnegative(),
  memoryMb: z.number().nonnegative(),
  licenses: z.record(z.string(), z.number().int().positive()),
});
const LimitsSchema = z.object({
  cores: z.number().int().positive(),
  memoryMb: z.number().nonnegative(),
  licenses: z.record(z.string(), z.number().int().positive()),
});

const ClientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('acquire'), ticket: z.number().int(), label: z.string(), demand: DemandSchema }),
  z.object({ t: z.literal('release'), ticket: z.number().int() }),
  z.object({ t: z.literal('spawned'), pgid: z.number().int().positive() }),
  z.object({ t: z.literal('reaped'), pgid: z.number().int().positive() }),
]);
type ClientMessage = z.infer<typeof ClientMessage>;

const ServerMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), limits: LimitsSchema }),
  z.object({ t: z.literal('granted'), ticket: z.number().int() }),
  /** Among the next to be granted: its wrapper may start and wait (pool.ts, warm-up). */
  z.object({ t: z.literal('warm'), ticket: z.number().int() }),
  z.object({ t: z.literal('refused'), ticket: z.number().int(), reason: z.string() }),
]);
type ServerMessage = z.infer<typeof ServerMessage>;

export type PoolEvent = (level: 'debug' | 'warning', message: string) => void;

function parseFrame<T>(schema: z.ZodType<T>, data: WebSocket.RawData): T | string {
  let value: unknown;
  try {
    value = JSON.parse(data.toString());
  } catch {
    return 'not JSON';
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : (parsed.error.issues[0]?.message ?? 'invalid message');
}

function send(socket: WebSocket, message: ClientMessage | ServerMessage): void {
  if (socket.readyState === SOCKET_OPEN) socket.send(JSON.stringify(message));
}

/** The root's side: serves `pool` to nested instances. */
export class PoolServer {
  private closing = false;
  private readonly clients = new Map<WebSocket, { tickets: Map<number, Ticket>; groups: Set<number> }>();
  private readonly sweeps = new Set<Promise<void>>();

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly pool: ResourcePool,
    /** `127.0.0.1:port/TOKEN`, the value of `GATOR_LOCAL_POOL`. */
    readonly address: string,
    private readonly graceMs: number,
    private readonly onEvent: PoolEvent,
  ) {
    wss.on('connection', (socket) => this.accept(socket));
  }

  static async listen(pool: ResourcePool, options: { token?: string; graceMs: number; onEvent: PoolEvent }): Promise<PoolServer> {
    const token = options.token ?? randomBytes(16).toString('hex');
    const { WebSocketServer: Wss } = await import('ws');
    return new Promise((resolve, reject) => {
      const wss = new Wss({
        host: '127.0.0.1',
        port: 0,
        maxPayload: 64 * 1024,
        perMessageDeflate: false,
        verifyClient: (info: { req: IncomingMessage }) => {
          const asked = Buffer.from((info.req.url ?? '').replace(/^\/+|\/+$/g, ''));
          const secret = Buffer.from(token);
          // Constant-time, like the tier and wrapper servers; a refusal is reported, not silent.
          if (asked.length === secret.length && timingSafeEqual(asked, secret)) return true;
          const who = `${info.req.socket.remoteAddress ?? '?'}:${info.req.socket.remotePort ?? '?'}`;
          options.onEvent('warning', `Refused a connection to the local pool from ${who}: ${asked.length ? 'wrong' : 'missing'} run token`);
          return false;
        },
      });
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        wss.on('error', (error) => options.onEvent('warning', `Local pool server error: ${error.message}`));
        const { port } = wss.address() as AddressInfo;
        resolve(new PoolServer(wss, pool, `127.0.0.1:${port}/${token}`, options.graceMs, options.onEvent));
      });
    });
  }

  private accept(socket: WebSocket): void {
    const client = { tickets: new Map<number, Ticket>(), groups: new Set<number>() };
    this.clients.set(socket, client);
    socket.on('error', () => socket.terminate());
    socket.on('message', (data) => {
      const message = parseFrame(ClientMessage, data);
      if (typeof message === 'string') {
        this.onEvent('warning', `Local pool dropped a bad message from a nested tier: ${message}`);
        return;
      }
      this.handle(socket, client, message);
    });
    socket.on('close', () => {
      this.clients.delete(socket);
      for (const ticket of client.tickets.values()) this.pool.release(ticket);
      client.tickets.clear();
      // A nested tier that went away without reaping its children leaves them to us.
      for (const pgid of client.groups) this.sweep(pgid);
      client.groups.clear();
    });
    send(socket, { t: 'hello', limits: this.pool.limits });
  }

  private handle(socket: WebSocket, client: { tickets: Map<number, Ticket>; groups: Set<number> }, message: ClientMessage): void {
    switch (message.t) {
      case 'acquire': {
        const reasons = impossibleReasons(message.demand, this.pool.limits);
        if (this.closing || client.tickets.has(message.ticket) || reasons.length > 0) {
          const reason = this.closing
            ? "the run's local pool is closing"
            : reasons.length > 0
              ? `'${message.label}' ${reasons.join('; ')}`
              : `ticket ${message.ticket} is already in use`;
          send(socket, { t: 'refused', ticket: message.ticket, reason });
          return;
        }
        const ticket = this.pool.request(
          message.label,
          message.demand,
          () => send(socket, { t: 'granted', ticket: message.ticket }),
          () => send(socket, { t: 'warm', ticket: message.ticket }),
        );
        client.tickets.set(message.ticket, ticket);
        return;
      }
      case 'release': {
        const ticket = client.tickets.get(message.ticket);
        if (!ticket) return;
        client.tickets.delete(message.ticket);
        this.pool.release(ticket);
        return;
      }
      case 'spawned':
        client.groups.add(message.pgid);
        return;
      case 'reaped':
        client.groups.delete(message.pgid);
        return;
    }
  }

  private sweep(pgid: number): void {
    if (!groupAlive(pgid)) return;
    this.onEvent('warning', `A nested tier went away and left process group ${pgid} running; ending it`);
    const done = sweepGroup(pgid, this.graceMs).finally(() => this.sweeps.delete(done));
    this.sweeps.add(done);
  }

  /** Refuse queued remote requests from now on (the root is shutting down). */
  refuseQueued(): void {
    this.closing = true;
    for (const [socket, client] of this.clients) {
      for (const [id, ticket] of client.tickets) {
        if (this.pool.release(ticket) === 'queued') {
          client.tickets.delete(id);
          send(socket, { t: 'refused', ticket: id, reason: "the run's local pool is closing" });
        }
      }
    }
  }

  /** Close every connection (sweeping what clients left behind) and stop listening. */
  async close(): Promise<void> {
    this.refuseQueued();
    const sockets = [...this.clients.keys()];
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === SOCKET_CLOSED) return resolve();
            const timer = setTimeout(() => socket.terminate(), 1000);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.close(1001, 'pool closing');
          }),
      ),
    );
    await Promise.all([...this.sweeps]);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export interface RemoteAcquisition {
  /** Resolves when granted; rejects with a SchedulerError when refused or the pool is lost. */
  granted: Promise<void>;
  release(): void;
}

/** How long a nested instance waits for the root pool (PoolClient.connect). */
export interface PoolConnectOptions {
  /** The first try's wait for the greeting; doubled at each further try. */
  attemptMs?: number;
  /** All tries together. */
  deadlineMs?: number;
}

const FIRST_ATTEMPT_MS = 5_000;
/** Long: a tier that gives up is lost with all its jobs, and a loaded root does answer in the end. */
const CONNECT_DEADLINE_MS = 120_000;

interface ConnectFailure {
  detail: string;
  /** Trying again cannot help (wrong token, not a pool). */
  final: boolean;
  cause?: unknown;
}

/** One try: the open socket and the pool's limits, or why not. */
async function tryConnect(where: string, token: string, timeoutMs: number): Promise<{ client?: { socket: WebSocket; limits: PoolLimits }; failure?: ConnectFailure }> {
  const { default: WebSocketClient } = await import('ws');
  return new Promise((resolve) => {
    const socket = new WebSocketClient(`ws://${where}/${token}`, { perMessageDeflate: false, maxPayload: 64 * 1024 });
    let settled = false;
    const settle = (value: { client?: { socket: WebSocket; limits: PoolLimits }; failure?: ConnectFailure }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (value.failure) socket.terminate();
      resolve(value);
    };
    const timer = setTimeout(() => settle({ failure: { detail: `no answer from ${where} within ${timeoutMs} ms`, final: false } }), timeoutMs);
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      settle({ failure: { detail: `${where} refused the connection (HTTP ${status}: ${status === 401 ? 'wrong or missing run token' : 'not a Gator local pool'})`, final: status < 500 } });
    });
    socket.on('error', (error) => settle({ failure: { detail: `${where}: ${error.message}`, final: false, cause: error } }));
    socket.once('close', () => settle({ failure: { detail: `${where} closed the connection`, final: false } }));
    socket.once('message', (data) => {
      const message = parseFrame(ServerMessage, data);
      if (typeof message === 'string' || message.t !== 'hello') {
        settle({ failure: { detail: `${where} did not introduce itself as a Gator local pool`, final: true } });
        return;
      }
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      // After the handshake, errors surface as 'close' (handled by the client).
      socket.on('error', () => socket.terminate());
      settle({ client: { socket, limits: message.limits } });
    });
  });
}

/** A nested instance's side: acquires from the root pool over one connection. */
export class PoolClient {
  private nextTicket = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void; warm?: () => void }>();
  private lostReason: string | undefined;

  private constructor(
    private readonly socket: WebSocket,
    readonly limits: PoolLimits,
    /** `host:port` of the root pool (no token: safe to show). */
    readonly where: string,
    private readonly onEvent: PoolEvent,
  ) {
    socket.on('message', (data) => {
      const message = parseFrame(ServerMessage, data);
      if (typeof message === 'string') {
        this.onEvent('warning', `Dropped a bad message from the local pool at ${where}: ${message}`);
        return;
      }
      if (message.t === 'hello') return;
      const waiter = this.waiting.get(message.ticket);
      if (!waiter) return;
      if (message.t === 'warm') {
        waiter.warm?.();
        return;
      }
      this.waiting.delete(message.ticket);
      if (message.t === 'granted') waiter.resolve();
      else waiter.reject(new SchedulerError('GATOR_SCHEDULER_RESOURCES', SCHEDULER_NAME, message.reason));
    });
    socket.on('close', () => this.lost(`lost the connection to the run's local pool at ${where}`));
  }

  /**
   * Connect to `host:port/TOKEN` and wait for the pool's limits. Under heavy load
   * the root may take long to accept or greet (its event loop busy with many
   * children, the listen backlog full): a try that gets no answer, or a
   * connection reset or closed before the greeting, is tried again with a longer
   * wait and a short pause, until `deadlineMs` in all. A wrong token, an address
   * that is not a pool, or a malformed address fail at once.
   */
  static async connect(address: string, onEvent: PoolEvent, options: PoolConnectOptions = {}): Promise<PoolClient> {
    const fail = (detail: string, cause?: unknown) =>
      new SchedulerError('GATOR_SCHEDULER_RESOURCES', SCHEDULER_NAME, `Cannot reach the run's local pool (${POOL_ENV}): ${detail}.`, {
        hint: `${POOL_ENV} is set by the Gator run that started this process; if that run is over, unset it.`,
        cause,
      });
    let parsed: ReturnType<typeof parseAddress>;
    try {
      parsed = parseAddress(address);
    } catch (error) {
      throw fail(`'${address}' is not host:port/TOKEN`, error);
    }
    const where = `${parsed.host}:${parsed.port}`;
    const deadline = Date.now() + (options.deadlineMs ?? CONNECT_DEADLINE_MS);
    let waitMs = options.attemptMs ?? FIRST_ATTEMPT_MS;
    for (let attempt = 1; ; attempt += 1) {
      const left = deadline - Date.now();
      const outcome = await tryConnect(where, parsed.token ?? '', Math.max(1, Math.min(waitMs, left)));
      if (outcome.client) return new PoolClient(outcome.client.socket, outcome.client.limits, where, onEvent);
      const { detail, final, cause } = outcome.failure!;
      const pauseMs = Math.min(2_000, 50 * 2 ** attempt);
      if (final || Date.now() + pauseMs >= deadline) {
        throw fail(attempt > 1 ? `${detail} (after ${attempt} tries in ${options.deadlineMs ?? CONNECT_DEADLINE_MS} ms)` : detail, cause);
      }
      onEvent('debug', `Local pool at ${where}: ${detail}; trying again (try ${attempt + 1})`);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      waitMs *= 2;
    }
  }

  get connected(): boolean {
    return this.lostReason === undefined;
  }

  /** `onWarm`: the root's pool says this request is among the next to be granted (pool.ts, warm-up). */
  acquire(label: string, demand: Demand, onWarm?: () => void): RemoteAcquisition {
    const ticket = this.nextTicket++;
    const granted = new Promise<void>((resolve, reject) => {
      if (this.lostReason !== undefined) {
        reject(new SchedulerError('GATOR_SCHEDULER_RESOURCES', SCHEDULER_NAME, this.lostReason));
        return;
      }
      this.waiting.set(ticket, { resolve, reject, ...(onWarm ? { warm: onWarm } : {}) });
      send(this.socket, { t: 'acquire', ticket, label, demand });
    });
    // The scheduler handles refusals through its own chain; never an unhandled rejection.
    granted.catch(() => {});
    return {
      granted,
      release: () => {
        this.waiting.delete(ticket);
        // Also sent for a pending request: the root drops it from its queue.
        if (this.lostReason === undefined) send(this.socket, { t: 'release', ticket });
      },
    };
  }

  spawned(pgid: number): void {
    if (this.lostReason === undefined) send(this.socket, { t: 'spawned', pgid });
  }

  reaped(pgid: number): void {
    if (this.lostReason === undefined) send(this.socket, { t: 'reaped', pgid });
  }

  private lost(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    const error = new SchedulerError('GATOR_SCHEDULER_RESOURCES', SCHEDULER_NAME, reason);
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    this.lost('the scheduler was closed');
    if (this.socket.readyState === SOCKET_CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.socket.terminate(), 1000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000);
    });
  }
}

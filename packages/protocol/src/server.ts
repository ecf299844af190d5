/**
 * The websocket server every tier and wrapper runs (one per layer). It binds
 * loopback unless told otherwise, requires the run's secret as the URL path
 * (`ws://host:port/TOKEN`), refuses anything else at the upgrade (HTTP 401,
 * reported through `onRejected`), and wraps each accepted socket in a
 * `Connection` serving the given handlers. A socket that needs no upgrade
 * (a child's IPC channel, frame-socket.ts) is `adopt`ed with the principal
 * its owner vouches for.
 *
 * It listens with a plain TCP server and builds its HTTP and websocket
 * servers at the first connection: a wrapper whose job never uses its API
 * never loads Node's `http` or `ws` (a wrapper's start-up is most of a job's
 * cost, bench/README.md "Where the costs are").
 */
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { WebSocketServer } from 'ws';
import { MAX_PAYLOAD_BYTES } from './constants.js';
import { Connection, type ConnectionOptions, type Handlers } from './connection.js';
import { sameSecret, type Principal } from './credentials.js';
import type { FrameSocket } from './frame-socket.js';

export interface RejectedConnection {
  remote: string;
  reason: string;
}

export interface ServerOptions extends Omit<ConnectionOptions, 'handlers'> {
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** Host name or address advertised to peers (default: the bound host). */
  advertiseHost?: string;
  port?: number;
  /** A secret a connection must ask for as `/<token>` (it is then `peer`), unless `authorize` knows it. */
  token?: string;
  /**
   * Who a connection is, from its URL path (without slashes; '' when none):
   * undefined refuses it. Without it, `token` decides (and no token: anyone).
   */
  authorize?: (path: string) => Principal | undefined;
  /** Handlers for every accepted connection, or a factory per connection. */
  handlers: Handlers | ((connection: Connection, principal: Principal | undefined) => Handlers);
  maxPayload?: number;
  onConnection?: (connection: Connection) => void;
  onRejected?: (info: RejectedConnection) => void;
  /** A line for the body of the 401 a connection without a credential gets (what would let it in). */
  refusalHint?: string;
}

/** How long a TCP connection may take to become a websocket (Node's own `headersTimeout`). */
const UPGRADE_TIMEOUT_MS = 60_000;

/**
 * Node's `http`, loaded now. `getBuiltinModule` (Node ≥ 20.16) because a bundle run as a
 * vm.Script (the CLI's code-cached child layer) has no dynamic `import()`.
 */
async function loadHttp(): Promise<typeof http> {
  return process.getBuiltinModule?.('node:http') ?? (await import('node:http')).default;
}

/** The HTTP and websocket servers behind the listening socket, built at the first connection. */
interface Upgrader {
  http: http.Server;
  wss: WebSocketServer;
}

export class GatorServer {
  readonly connections = new Set<Connection>();
  private upgrader: Promise<Upgrader> | undefined;
  /** Accepted TCP sockets (closed with the server: they may never have reached the HTTP server). */
  private readonly sockets = new Set<net.Socket>();
  private closing = false;
  private constructor(
    private readonly listener: net.Server,
    private readonly options: ServerOptions,
    /** `host:port` as advertised to peers (no scheme, no token: Python's format). */
    readonly address: string,
  ) {
    listener.on('connection', (socket) => this.onSocket(socket));
  }

  /** `host:port/TOKEN`, what a peer needs to connect (e.g. `GATOR_PARENT`). */
  get addressWithToken(): string {
    return this.options.token ? `${this.address}/${this.options.token}` : this.address;
  }

  get port(): number {
    return (this.listener.address() as AddressInfo).port;
  }

  static listen(options: ServerOptions): Promise<GatorServer> {
    const host = options.host ?? '127.0.0.1';
    // Paused until the HTTP server takes it, so nothing it sends is read before then.
    const listener = net.createServer({ pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(options.port ?? 0, host, () => {
        listener.off('error', reject);
        const port = (listener.address() as AddressInfo).port;
        let advertised = options.advertiseHost ?? host;
        if (advertised === '0.0.0.0' || advertised === '::') advertised = '127.0.0.1';
        if (advertised.includes(':')) advertised = `[${advertised}]`;
        resolve(new GatorServer(listener, options, `${advertised}:${port}`));
      });
    });
  }

  /**
   * Serve a socket that needs no upgrade as a connection of `principal` (its owner
   * vouches for who is at the other end): a child's IPC channel (frame-socket.ts).
   */
  adopt(socket: FrameSocket, principal: Principal): Connection {
    if (this.closing) socket.close(1001, 'server closing');
    return this.accept(socket, principal);
  }

  private accept(socket: FrameSocket, principal: Principal | undefined): Connection {
    const { options } = this;
    const connection = new Connection(socket, { ...options, handlers: {} });
    connection.setHandlers(typeof options.handlers === 'function' ? options.handlers(connection, principal) : options.handlers);
    this.connections.add(connection);
    connection.once('close', () => this.connections.delete(connection));
    options.onConnection?.(connection);
    return connection;
  }

  private onSocket(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    // A socket that never finishes its upgrade is let go (ws clears the timeout at the upgrade).
    socket.setTimeout(UPGRADE_TIMEOUT_MS, () => socket.destroy());
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.upgrader ??= this.buildUpgrader();
    void this.upgrader.then(
      ({ http: server }) => {
        if (socket.destroyed) return;
        server.emit('connection', socket);
        socket.resume();
      },
      () => socket.destroy(),
    );
  }

  private async buildUpgrader(): Promise<Upgrader> {
    const [httpModule, { WebSocketServer: Wss }] = await Promise.all([loadHttp(), import('ws')]);
    const { options } = this;
    const server = httpModule.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('Gator speaks websocket here.\n');
    });
    const wss = new Wss({
      noServer: true,
      maxPayload: options.maxPayload ?? MAX_PAYLOAD_BYTES,
      perMessageDeflate: false,
    });
    server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const path = (req.url ?? '/').replace(/^\/+/, '').replace(/\/+$/, '');
      let principal: Principal | undefined;
      let accepted: boolean;
      if (options.authorize) {
        principal = options.authorize(path);
        accepted = principal !== undefined;
      } else accepted = !options.token || sameSecret(path, options.token);
      if (!accepted || this.closing) {
        options.onRejected?.({
          remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
          reason: this.closing ? 'server closing' : path ? 'wrong credential' : 'missing credential',
        });
        const body = !path && options.refusalHint ? `${options.refusalHint}\n` : '';
        socket.write(`HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, principal));
    });
    return { http: server, wss };
  }

  /** Stop accepting, close every connection and the listening socket. */
  async close(): Promise<void> {
    this.closing = true;
    const listening = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const c of this.connections) c.close(1001, 'server closing');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        for (const c of this.connections) c.terminate();
        resolve();
      }, 1000);
      t.unref();
      if (this.connections.size === 0) {
        clearTimeout(t);
        resolve();
        return;
      }
      let left = this.connections.size;
      for (const c of this.connections)
        void c.closed.then(() => {
          if (--left === 0) {
            clearTimeout(t);
            resolve();
          }
        });
    });
    const upgrader = await this.upgrader?.catch(() => undefined);
    upgrader?.wss.close();
    for (const socket of this.sockets) socket.destroy();
    await listening;
  }
}

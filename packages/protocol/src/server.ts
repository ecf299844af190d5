/**
 * The websocket server every tier and wrapper runs (one per layer). It binds
 * loopback unless told otherwise, requires the run's secret as the URL path
 * (`ws://host:port/TOKEN`), refuses anything else at the upgrade (HTTP 401,
 * reported through `onRejected`), and wraps each accepted socket in a
 * `Connection` serving the given handlers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { MAX_PAYLOAD_BYTES } from './constants.js';
import { Connection, type ConnectionOptions, type Handlers } from './connection.js';
import { sameSecret, type Principal } from './credentials.js';

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

export class GatorServer {
  readonly connections = new Set<Connection>();
  private constructor(
    private readonly http: http.Server,
    private readonly wss: WebSocketServer,
    /** `host:port` as advertised to peers (no scheme, no token: Python's format). */
    readonly address: string,
    private readonly token: string | undefined,
  ) {}

  /** `host:port/TOKEN`, what a peer needs to connect (e.g. `GATOR_PARENT`). */
  get addressWithToken(): string {
    return this.token ? `${this.address}/${this.token}` : this.address;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  static listen(options: ServerOptions): Promise<GatorServer> {
    const host = options.host ?? '127.0.0.1';
    const server = http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('Gator speaks websocket here.\n');
    });
    const wss = new WebSocketServer({
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
      if (!accepted) {
        options.onRejected?.({
          remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
          reason: path ? 'wrong credential' : 'missing credential',
        });
        const body = !path && options.refusalHint ? `${options.refusalHint}\n` : '';
        socket.write(`HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const connection = new Connection(ws, { ...options, handlers: {} });
        connection.setHandlers(typeof options.handlers === 'function' ? options.handlers(connection, principal) : options.handlers);
        gator.connections.add(connection);
        connection.once('close', () => gator.connections.delete(connection));
        options.onConnection?.(connection);
      });
    });
    let gator!: GatorServer;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        const port = (server.address() as AddressInfo).port;
        let advertised = options.advertiseHost ?? host;
        if (advertised === '0.0.0.0' || advertised === '::') advertised = '127.0.0.1';
        if (advertised.includes(':')) advertised = `[${advertised}]`;
        gator = new GatorServer(server, wss, `${advertised}:${port}`, options.token);
        resolve(gator);
      });
    });
  }

  /** Stop accepting, close every connection and the listening socket. */
  async close(): Promise<void> {
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
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections?.();
    });
  }
}

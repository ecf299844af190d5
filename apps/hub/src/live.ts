/**
 * Connections from the hub to live layers' websocket servers (a run's root, or any
 * layer the root resolved). One connection per address is kept while it is used and
 * closed after a quiet minute, so the ~1 s polls of a watched run do not reconnect
 * every time. The run's token (given at registration) goes in the URL path.
 */
import { connect, type ActionName, type Connection, type RequestPayload, type ResponsePayload } from '@gator/protocol';

const IDLE_MS = 60_000;

interface Pooled {
  connection: Promise<Connection>;
  lastUsed: number;
}

export interface LiveLayersOptions {
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export class LiveLayers {
  private readonly pool = new Map<string, Pooled>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: LiveLayersOptions = {}) {
    this.sweeper = setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref();
  }

  private key(address: string, token: string | null): string {
    return `${address}|${token ?? ''}`;
  }

  private connection(address: string, token: string | null): Promise<Connection> {
    const key = this.key(address, token);
    const pooled = this.pool.get(key);
    if (pooled) {
      pooled.lastUsed = Date.now();
      return pooled.connection;
    }
    const connection = connect(address, {
      ...(token ? { token } : {}),
      connectTimeoutMs: this.options.connectTimeoutMs ?? 5_000,
      requestTimeoutMs: this.options.requestTimeoutMs ?? 10_000,
      keepAliveMs: 15_000,
    });
    const entry: Pooled = { connection, lastUsed: Date.now() };
    this.pool.set(key, entry);
    connection.then(
      (c) => {
        c.once('close', () => {
          if (this.pool.get(key) === entry) this.pool.delete(key);
        });
        if (this.closed) c.close(1001, 'hub closing');
      },
      () => {
        if (this.pool.get(key) === entry) this.pool.delete(key);
      },
    );
    return connection;
  }

  /** One request to the layer at `address` (`host:port`). Throws ProtocolError on failure. */
  async request<A extends ActionName>(
    address: string,
    token: string | null,
    action: A,
    payload: RequestPayload<A>,
  ): Promise<ResponsePayload<A>> {
    const connection = await this.connection(address, token);
    return connection.request(action, payload);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.pool) {
      if (now - entry.lastUsed < IDLE_MS) continue;
      this.pool.delete(key);
      entry.connection.then((c) => c.close(1000, 'idle'), () => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(
      all.map((entry) =>
        entry.connection.then(
          async (c) => {
            c.close(1001, 'hub closing');
            await Promise.race([c.closed, new Promise((r) => setTimeout(r, 1000).unref())]);
          },
          () => undefined,
        ),
      ),
    );
  }
}

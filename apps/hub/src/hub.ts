/** `startHub`: the registry, the API, the event stream and the web UI on one HTTP port. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { HubError } from './errors.js';
import { HubEvents, SharedPolls } from './events.js';
import { LayerFiles } from './files.js';
import { createRequestHandler, type HubLogEvent } from './http.js';
import { LiveLayers } from './live.js';
import { defaultDatabasePath, openRepository } from './repository/index.js';
import { defaultStaticDir } from './static.js';
import { TreeService } from './tree.js';

export const HubOptionsSchema = z.object({
  /** TCP port (default 8080, Python's; 0 picks a free one). */
  port: z.number().int().min(0).max(65535).optional(),
  /** Interface to bind (default 127.0.0.1). Anything but loopback requires `token`. */
  host: z.string().min(1).optional(),
  /** A SQLite file path (default ~/.gator/hub.sqlite) or a postgres:// URL. */
  database: z.string().min(1).optional(),
  /** Access token: required on every request when set (header, cookie, ?token= or path prefix). */
  token: z.string().min(8, 'the hub token must be at least 8 characters').optional(),
  /** Directory of the built web UI (default: the one shipped with the package). */
  staticDir: z.string().optional(),
  /** How often live runs are polled for watching browsers, in ms (default 1000). */
  pollIntervalMs: z.number().int().min(50).max(60_000).optional(),
  /** Where the hub reports registrations, completions and problems (it never prints). */
  onLog: z.custom<(event: HubLogEvent) => void>((v) => typeof v === 'function').optional(),
});
export type HubOptions = z.input<typeof HubOptionsSchema>;

export interface Hub {
  /** `http://host:port` to open in a browser or give to `gator run --hub`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Where the registry is stored (file path, or URL without password). */
  readonly database: string;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const parsed = HubOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new HubError('GATOR_HUB_CONFIG', `Invalid hub options: ${issues}`);
  }
  const o = parsed.data;
  const host = o.host ?? '127.0.0.1';
  if (!isLoopback(host) && !o.token) {
    throw new HubError('GATOR_HUB_INSECURE', `Refusing to serve the hub on ${host} without a token: anyone who can reach it could read every run`, {
      hint: 'pass --token <secret> (at least 8 characters) to serve other hosts, or bind 127.0.0.1',
    });
  }
  const repo = await openRepository(o.database ?? defaultDatabasePath());
  const live = new LiveLayers();
  const files = new LayerFiles();
  const tree = new TreeService(files, live);
  const events = new HubEvents();
  events.setMaxListeners(0);
  const pollMs = o.pollIntervalMs ?? 1000;
  const streams = new Set<http.ServerResponse>();
  const handler = createRequestHandler({
    repo,
    tree,
    files,
    events,
    polls: new SharedPolls({ repo, tree }, pollMs),
    pollMs,
    streams,
    token: o.token,
    staticDir: o.staticDir ?? defaultStaticDir(),
    onLog: o.onLog,
  });
  const server = http.createServer(handler);
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 8080, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await repo.close();
    await live.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new HubError(
      'GATOR_HUB_CONFIG',
      `Cannot listen on ${host}:${o.port ?? 8080}: ${code === 'EADDRINUSE' ? 'the port is already in use' : (error as Error).message}`,
      { cause: error, hint: 'choose another --port (0 picks a free one) or --host' },
    );
  }
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}`,
    port,
    host,
    database: repo.location,
    close() {
      closing ??= (async () => {
        for (const res of streams) res.end();
        streams.clear();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await live.close();
        files.close();
        await repo.close();
      })();
      return closing;
    },
  };
}

/** The web UI's files (a single-page app: unknown paths get index.html, so deep links work). */
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/** The built UI next to this module (`dist/ui`), or the package's `dist/ui` when running from sources. */
export function defaultStaticDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'ui'), path.join(here, '..', 'dist', 'ui')]) {
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Gator Hub</title>
<body style="font-family:sans-serif;margin:3em"><h1>Gator Hub</h1>
<p>The web UI is not built. Build it with <code>pnpm --filter @gator/hub build</code>.</p>
<p>The JSON API is served at <a href="/api">/api</a>.</p></body>`;

export function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, staticDir: string | undefined): void {
  const head = req.method === 'HEAD';
  const securityHeaders = { 'x-content-type-options': 'nosniff', 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' };
  if (!staticDir) {
    res.writeHead(200, { ...securityHeaders, 'content-type': TYPES['.html'], 'cache-control': 'no-cache' });
    res.end(head ? undefined : NOT_BUILT);
    return;
  }
  const root = path.resolve(staticDir);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    decoded = '/';
  }
  let file = path.resolve(root, `.${decoded}`);
  if (!file.startsWith(root + path.sep) && file !== root) file = root;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  const isAsset = Boolean(stat?.isFile());
  if (!isAsset) {
    // A file-like path that does not exist is a 404; anything else is a route of the app.
    if (path.extname(decoded) !== '' && !decoded.startsWith('/runs/')) {
      res.writeHead(404, { ...securityHeaders, 'content-type': TYPES['.txt'] });
      res.end(head ? undefined : 'Not found\n');
      return;
    }
    file = path.join(root, 'index.html');
  }
  let body: Buffer;
  try {
    body = fs.readFileSync(file);
  } catch {
    res.writeHead(200, { ...securityHeaders, 'content-type': TYPES['.html'], 'cache-control': 'no-cache' });
    res.end(head ? undefined : NOT_BUILT);
    return;
  }
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...securityHeaders,
    'content-type': type,
    'content-length': body.length,
    // index.html must be re-read to pick up a new build; hashed assets could be cached longer.
    'cache-control': 'no-cache',
  });
  res.end(head ? undefined : body);
}

/**
 * The hub's HTTP API: Python's hub REST API (hub.md §5) plus Gator's extensions, the
 * event stream and the web UI. Every error is a JSON reply with a status; nothing
 * escapes as an unhandled 500 with a stack.
 */
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { openLayerReader } from '@gator/db';
import { METRIC_SCOPES, SummarySchema, type Summary } from '@gator/protocol';
import type { z } from 'zod';
import { HubError, errorReply } from './errors.js';
import { serveEvents, type EventContext, type SharedPolls, type HubEvents } from './events.js';
import type { HubRepository } from './repository/index.js';
import { registrationRow, runJob } from './runs.js';
import { FailedQuerySchema, SearchQuerySchema, failedJobs, searchRun } from './run-triage.js';
import {
  CompleteBodySchema,
  HeartbeatBodySchema,
  MessageQuerySchema,
  RegisterBodySchema,
  ResolveQuerySchema,
  RunQuerySchema,
} from './schemas.js';
import { serveStatic } from './static.js';
import type { LayerFiles } from './files.js';
import type { TreeService } from './tree.js';

export interface HubLogEvent {
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface RequestContext extends EventContext {
  repo: HubRepository;
  tree: TreeService;
  /** The layer files the tree reads (the charts' endpoints read the same cache). */
  files: LayerFiles;
  events: HubEvents;
  polls: SharedPolls;
  token: string | undefined;
  staticDir: string | undefined;
  onLog: ((event: HubLogEvent) => void) | undefined;
}

const MAX_BODY = 8 * 1024 * 1024;
const COOKIE = 'gator_hub_token';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HubError('GATOR_HUB_TOO_LARGE', `Request body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => reject(new HubError('GATOR_HUB_BAD_REQUEST', `Could not read the request body: ${error.message}`)));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve({});
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new HubError('GATOR_HUB_BAD_REQUEST', `The request body is not valid JSON: ${(error as Error).message}`));
      }
    });
  });
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
  throw new HubError('GATOR_HUB_BAD_REQUEST', `Invalid ${what}: ${issues}`);
}

function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = v;
  return out;
}

/** `a/b/c` after an action: Python discards the first segment (the root's ident). */
function hierarchy(rest: string | undefined): string[] {
  if (!rest) return [];
  const parts = rest.split('/').filter((p) => p !== '');
  try {
    return parts.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    throw new HubError('GATOR_HUB_BAD_REQUEST', `Bad path encoding in '${rest}'`);
  }
}

function cookieToken(req: http.IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** The final Summary of a completed root, read from its db.sqlite (undefined when unreadable). */
function finalSummary(dbFile: string, last: Summary | null): Summary | undefined {
  let reader: ReturnType<typeof openLayerReader> | undefined;
  try {
    reader = openLayerReader(dbFile);
    const metrics = reader.metrics(METRIC_SCOPES.group);
    if (Object.keys(metrics).length === 0) return undefined;
    const stored = reader.attribute('summary');
    if (stored) {
      const parsed = SummarySchema.safeParse(JSON.parse(stored));
      if (parsed.success) return parsed.data;
    }
    return { ...(last ?? {}), metrics, failed_ids: last?.failed_ids ?? [], running_ids: [] };
  } catch {
    // Not readable from here (another host's path, a Python file still open): keep the heartbeat's numbers.
    return undefined;
  } finally {
    reader?.close();
  }
}

export function createRequestHandler(ctx: RequestContext): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const log = (level: HubLogEvent['level'], message: string): void => {
    try {
      ctx.onLog?.({ level, message });
    } catch {
      // A failing log callback must not break a request.
    }
  };

  async function loadRun(uidText: string) {
    const uid = Number(uidText);
    const run = Number.isSafeInteger(uid) ? await ctx.repo.get(uid) : undefined;
    if (!run) throw new HubError('GATOR_HUB_NOT_FOUND', `No run #${uidText} is registered with this hub`, { hint: 'GET /api/jobs lists the runs' });
    return run;
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL, pathname: string): Promise<void> {
    const method = req.method ?? 'GET';
    const allow = (methods: string[]): void => {
      if (!methods.includes(method)) {
        throw new HubError('GATOR_HUB_BAD_REQUEST', `${method} is not allowed on ${pathname} (use ${methods.join(' or ')})`, { status: 405 });
      }
    };
    const now = Date.now() / 1000;

    if (pathname === '/api' || pathname === '/api/') {
      allow(['GET', 'HEAD']);
      sendJson(res, 200, { tool: 'gator-hub', version: '1.0' });
      return;
    }
    if (pathname === '/api/register') {
      allow(['POST']);
      const body = parse(RegisterBodySchema, await readBody(req), 'registration');
      const uid = await ctx.repo.register({
        layer: body.layer,
        ident: body.ident,
        serverUrl: body.url,
        owner: body.owner ?? null,
        timestamp: Math.floor(now),
        token: body.token ?? null,
        dbFile: body.db_file ?? null,
      });
      log('info', `Registered run #${uid} ${body.ident} (${body.owner ?? 'unknown owner'}) at ${body.url}`);
      const run = await ctx.repo.get(uid);
      if (run) ctx.events.emitRun(run);
      sendJson(res, 200, { result: 'success', uid });
      return;
    }
    if (pathname === '/api/jobs') {
      allow(['GET', 'HEAD']);
      const query = parse(RunQuerySchema, queryObject(url), 'query');
      const page = await ctx.repo.list(query);
      sendJson(res, 200, { children: page.runs.map((r) => runJob(r, now, ctx.tree.runHeadline(r))), status: 2, total: page.total });
      return;
    }
    if (pathname === '/api/events') {
      allow(['GET']);
      serveEvents(req, res, url, ctx, ctx.polls);
      return;
    }
    const m = /^\/api\/job\/([^/]+)(?:\/([a-z_]+))?(?:\/(.*))?$/.exec(pathname);
    if (!m) throw new HubError('GATOR_HUB_NOT_FOUND', `No API at ${pathname}`, { hint: 'GET /api/jobs, /api/job/<uid>, /api/job/<uid>/resolve, /api/job/<uid>/messages' });
    const [, uidText, action, rest] = m;
    if (!/^\d+$/.test(uidText)) throw new HubError('GATOR_HUB_BAD_REQUEST', `'${uidText}' is not a run uid (an integer)`);

    switch (action ?? '') {
      case '': {
        allow(['GET', 'HEAD']);
        sendJson(res, 200, registrationRow(await loadRun(uidText)));
        return;
      }
      case 'heartbeat': {
        allow(['POST']);
        const body = parse(HeartbeatBodySchema, await readBody(req), 'heartbeat');
        // Keep Gator's summary extensions when they are well-formed; Python's three fields otherwise.
        const full = SummarySchema.safeParse(body);
        const summary: Summary = full.success ? full.data : { metrics: body.metrics, failed_ids: body.failed_ids, running_ids: body.running_ids };
        if (!(await ctx.repo.heartbeat(Number(uidText), summary, now))) await loadRun(uidText);
        const run = await ctx.repo.get(Number(uidText));
        if (run) ctx.events.emitRun(run);
        sendJson(res, 200, { result: 'success' });
        return;
      }
      case 'complete': {
        allow(['POST']);
        const body = parse(CompleteBodySchema, await readBody(req), 'completion');
        if (!(await ctx.repo.complete(Number(uidText), { dbFile: body.db_file, result: body.result, timestamp: Math.floor(now) }))) {
          await loadRun(uidText);
        }
        let run = await ctx.repo.get(Number(uidText));
        // The last heartbeat precedes the root's own result (hub.md §4): take the final numbers from its file.
        const final = run ? finalSummary(body.db_file, run.summary) : undefined;
        if (run && final) {
          await ctx.repo.heartbeat(run.uid, final, run.heartbeat ?? now);
          run = await ctx.repo.get(run.uid);
        }
        if (run) {
          log('info', `Run #${run.uid} ${run.ident} completed (result ${body.result})`);
          ctx.events.emitRun(run);
        }
        sendJson(res, 200, { result: 'success' });
        return;
      }
      case 'resolve': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const q = parse(ResolveQuerySchema, queryObject(url), 'query');
        const nestPath = q.nest_path !== undefined ? q.nest_path.split('/').filter((p) => p !== '').slice(1) : null;
        const job = await ctx.tree.resolve(
          { run, rootPath: hierarchy(rest) },
          { depth: q.depth, nestPath, offset: q.offset, only: q.only, sort: q.sort, desc: q.desc, ...(q.limit !== undefined ? { limit: q.limit } : {}) },
        );
        sendJson(res, 200, job);
        return;
      }
      case 'messages': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const q = parse(MessageQuerySchema, queryObject(url), 'query');
        sendJson(res, 200, await ctx.tree.messages({ run, rootPath: hierarchy(rest) }, q));
        return;
      }
      case 'detail': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const detail = await ctx.tree.detail({ run, rootPath: hierarchy(rest) });
        sendJson(res, 200, { ...detail, run: runJob(run, now, ctx.tree.runHeadline(run)) });
        return;
      }
      case 'history': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const jobPath = url.searchParams.get('path')?.trim() || undefined;
        const { hubHistory } = await import('./run-history.js');
        sendJson(res, 200, await hubHistory(ctx.repo, run, jobPath));
        return;
      }
      case 'failed': {
        // The failed jobs below a node, or every member of one failure bucket (run-triage.ts).
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const q = parse(FailedQuerySchema, queryObject(url), 'query');
        sendJson(res, 200, failedJobs(ctx.tree.runTallies(run), hierarchy(rest), q));
        return;
      }
      case 'search': {
        // The messages of every layer below a node (`gator logs --grep/--severity`), a page at a time.
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const q = parse(SearchQuerySchema, queryObject(url), 'query');
        sendJson(res, 200, searchRun(ctx.tree.runTallies(run), hierarchy(rest), q));
        return;
      }
      case 'timeline': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const { timelineOf } = await import('./run-timeline.js');
        sendJson(res, 200, await timelineOf(ctx.files, ctx.tree, run, hierarchy(rest)));
        return;
      }
      case 'resources': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const job = await ctx.tree.resolve({ run, rootPath: hierarchy(rest) }, { depth: 0, nestPath: null, offset: 0, only: 'all' });
        const { jobResources } = await import('./job-resources.js');
        sendJson(res, 200, jobResources(ctx.files, job));
        return;
      }
      case 'trend': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const { specTrend } = await import('./spec-trend.js');
        sendJson(res, 200, await specTrend(ctx.repo, run, (r) => ctx.tree.runHeadline(r)));
        return;
      }
      case 'find': {
        allow(['GET', 'HEAD']);
        const run = await loadRun(uidText);
        const text = url.searchParams.get('q') ?? '';
        if (text.trim() === '') throw new HubError('GATOR_HUB_BAD_REQUEST', 'find needs a non-empty q parameter');
        const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 200) || 200));
        sendJson(res, 200, await ctx.tree.find(run, text.trim(), limit));
        return;
      }
      default:
        throw new HubError('GATOR_HUB_NOT_FOUND', `No API at ${pathname}`);
    }
  }

  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://hub.invalid');
    } catch {
      sendJson(res, 400, errorReply(new HubError('GATOR_HUB_BAD_REQUEST', 'Malformed request URL')));
      return;
    }
    let pathname = url.pathname.replace(/\/{2,}/g, '/');
    let authorized = ctx.token === undefined;
    let setCookie = false;
    if (ctx.token !== undefined) {
      const token = ctx.token;
      // Python's client builds http://<hub>/api/...: `--hub host:port/TOKEN` puts the token first in the path.
      const prefix = `/${token}`;
      if (pathname === prefix || pathname.startsWith(`${prefix}/`)) {
        pathname = pathname.slice(prefix.length) || '/';
        authorized = true;
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const fromQuery = url.searchParams.get('token');
      const cookie = cookieToken(req);
      if ((bearer && sameSecret(bearer, token)) || (cookie && sameSecret(cookie, token))) authorized = true;
      if (fromQuery && sameSecret(fromQuery, token)) {
        authorized = true;
        setCookie = true;
      }
    }
    const isApi = pathname === '/api' || pathname.startsWith('/api/');
    if (!authorized) {
      const error = new HubError('GATOR_HUB_UNAUTHORIZED', 'This hub requires its access token', {
        hint: 'open the hub once as http://HOST:PORT/?token=TOKEN, send "Authorization: Bearer TOKEN", or register with --hub HOST:PORT/TOKEN',
      });
      if (isApi) sendJson(res, 401, errorReply(error), { 'www-authenticate': 'Bearer' });
      else {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${error.message}: ${error.hint}\n`);
      }
      return;
    }
    if (setCookie) {
      res.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(ctx.token as string)}; Path=/; HttpOnly; SameSite=Strict`);
      if (!isApi && (req.method === 'GET' || req.method === 'HEAD')) {
        // Drop the token from the address bar (and from anything the page links to).
        url.searchParams.delete('token');
        res.writeHead(303, { location: `${pathname}${url.search}` });
        res.end();
        return;
      }
    }
    if (!isApi) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, errorReply(new HubError('GATOR_HUB_BAD_REQUEST', `${req.method} is not allowed here`, { status: 405 })));
        return;
      }
      serveStatic(req, res, pathname, ctx.staticDir);
      return;
    }
    api(req, res, url, pathname).catch((error: unknown) => {
      const reply = errorReply(error);
      if (reply.status >= 500 && reply.code === 'GATOR_INTERNAL') log('error', `${req.method} ${pathname}: ${(error as Error)?.stack ?? String(error)}`);
      else if (reply.status >= 500) log('warning', `${req.method} ${pathname}: ${reply.reason}`);
      sendJson(res, reply.status, reply);
    });
  };
}

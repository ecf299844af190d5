import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatorServer, JobResult, JobState, type ApiJob, type ApiMessage } from '@gator/protocol';
import { startHub, type Hub, type HubOptions } from '../src/index.ts';

export function tempDir(prefix = 'gator-hub-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function startTestHub(dir: string, options: HubOptions = {}): Promise<Hub> {
  return startHub({ port: 0, database: path.join(dir, 'hub.sqlite'), pollIntervalMs: 200, ...options });
}

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export async function getJson(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

export function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Reply> {
  return getJson(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Waits for `check` to return a truthy value (bounded only to catch a hang). */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One layer of an emulated live run: a real GatorServer (run token in the URL) that
 * answers `resolve` and `get_messages` as a tier or wrapper does (protocol.md §5.2/§5.5).
 */
export class FakeLayer {
  server: GatorServer | undefined;
  status: number = JobState.STARTED;
  result: number = JobResult.UNKNOWN;
  metrics: Record<string, number> = { sub_total: 1, sub_active: 1, sub_passed: 0, sub_failed: 0 };
  messages: ApiMessage[] = [];
  started = Date.now() / 1000;
  stopped: number | null = null;
  uidx = 0;
  path: string[] = [];
  dbFile = '';

  constructor(
    readonly ident: string,
    readonly children: FakeLayer[] | undefined = undefined,
  ) {
    this.children?.forEach((c, i) => (c.uidx = i + 1));
  }

  get isTier(): boolean {
    return this.children !== undefined;
  }

  async listen(token: string, path: string[] = []): Promise<void> {
    this.path = path;
    this.server = await GatorServer.listen({
      token,
      handlers: {
        resolve: (p) => this.resolve(p.root_path, p.nest_path ?? null, p.depth ?? 0),
        get_messages: (p) => {
          const after = p.after ?? 0;
          const limit = p.limit ?? 10;
          return { messages: this.messages.filter((m) => m.uid > after).slice(0, limit), total: this.messages.length, status: 2 };
        },
      },
    });
    for (const child of this.children ?? []) await child.listen(token, [...path, this.ident]);
  }

  log(severity: number, message: string): void {
    this.messages.push({ uid: this.messages.length + 1, severity, message, timestamp: Math.floor(Date.now() / 1000) });
  }

  finish(result: number): void {
    this.status = JobState.COMPLETE;
    this.result = result;
    this.stopped = Date.now() / 1000;
    this.metrics = { ...this.metrics, sub_active: 0, sub_passed: result === 1 ? 1 : 0, sub_failed: result === 2 ? 1 : 0 };
  }

  describe(depth: number): ApiJob {
    return {
      uidx: this.uidx,
      root: 0,
      path: this.path,
      ident: this.ident,
      status: this.status,
      metrics: this.groupMetrics(),
      server_url: this.server?.address ?? '',
      db_file: this.dbFile,
      owner: null,
      started: this.started,
      updated: Date.now() / 1000,
      stopped: this.stopped,
      result: this.result,
      children: depth >= 1 ? (this.children ?? []).map((c) => c.describe(0)) : [],
      expected_children: this.children?.length ?? 0,
    };
  }

  groupMetrics(): Record<string, number> {
    const sum = { ...this.metrics };
    for (const c of this.children ?? []) for (const [k, v] of Object.entries(c.groupMetrics())) sum[k] = (sum[k] ?? 0) + v;
    return sum;
  }

  resolve(rootPath: string[], nestPath: string[] | null, depth: number): ApiJob {
    if (rootPath.length > 0) {
      const child = this.children?.find((c) => c.ident === rootPath[0]);
      if (!child) throw new Error(`'${rootPath[0]}'`);
      if (child.status === JobState.PENDING) throw new Error(`Can't resolve \`${child.ident}\` as the job hasn't started yet!`);
      return child.resolve(rootPath.slice(1), nestPath, depth);
    }
    return this.describe(depth);
  }

  async close(): Promise<void> {
    for (const child of this.children ?? []) await child.close();
    await this.server?.close();
    this.server = undefined;
  }
}

export interface SseEvent {
  event: string;
  data: any;
}

/** A server-sent-events reader over fetch: collects events, waits for one matching a predicate. */
export function openEvents(url: string, init: RequestInit = {}) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let wake: (() => void) | undefined;
  let status = 0;
  const done = (async () => {
    const res = await fetch(url, { ...init, signal: controller.signal });
    status = res.status;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length === 0) continue;
        events.push({ event, data: JSON.parse(data.join('\n')) });
        wake?.();
      }
    }
  })().catch(() => undefined);
  return {
    events,
    get status() {
      return status;
    },
    async next(predicate: (e: SseEvent) => boolean, what: string, timeoutMs = 15_000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      let seen = 0;
      for (;;) {
        for (; seen < events.length; seen++) if (predicate(events[seen])) return events[seen];
        if (Date.now() > deadline) throw new Error(`Timed out waiting for event: ${what}; got ${JSON.stringify(events.map((e) => e.event))}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
    async close(): Promise<void> {
      controller.abort();
      await done;
    },
  };
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Connection, GatorServer, PROTOCOL_VERSION, type RequestPayload, connect, job, type JobInput } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { runWrapper, type WrapperEvent, type WrapperOptions, type WrapperOutcome } from '../src/index.js';

export const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

const dirs: string[] = [];
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-wrapper-'));
  dirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function nodeJob(script: string, extra: Partial<JobInput> = {}): ReturnType<typeof job> {
  return job({ ident: 'job', command: process.execPath, args: ['-e', script], ...extra });
}
export function bashJob(script: string, extra: Partial<JobInput> = {}): ReturnType<typeof job> {
  return job({ ident: 'job', command: 'bash', args: ['-c', script], ...extra });
}

export interface Ran {
  outcome: WrapperOutcome;
  events: WrapperEvent[];
  tracking: string;
  attributes: Record<string, string>;
  messages: { uid: number; severity: number; message: string; timestamp: number }[];
}

/** Run a job in-process (interval 0.2 s) and read back what it stored. */
export async function runJob(spec: ReturnType<typeof job>, options: Partial<WrapperOptions> = {}): Promise<Ran> {
  const tracking = path.join(tempDir(), 'job');
  const events: WrapperEvent[] = [];
  const outcome = await runWrapper({ spec, ident: spec.ident ?? 'job', tracking, interval: 0.2, onEvent: (e) => events.push(e), ...options });
  const reader = openLayerReader(tracking);
  try {
    return { outcome, events, tracking, attributes: reader.attributes(), messages: reader.messages({ limit: 10_000_000 }) };
  } finally {
    reader.close();
  }
}

/** A parent tier stand-in: a real server recording what the child sends. */
export class FakeParent {
  readonly registers: RequestPayload<'register'>[] = [];
  readonly updates: RequestPayload<'update'>[] = [];
  readonly completes: RequestPayload<'complete'>[] = [];
  readonly logs: RequestPayload<'log'>[] = [];
  /** The parent's side of the child's connection. */
  childConnection: Connection | undefined;
  private constructor(readonly server: GatorServer) {}

  /**
   * `python`: answer `register` as Python Gator does, without a protocol version.
   * `beforeRegisterReply`: awaited before `register` is answered (a rejection refuses it).
   */
  static async start(
    token = 'parent-secret',
    options: { python?: boolean; beforeRegisterReply?: () => Promise<void>; onComplete?: () => void } = {},
  ): Promise<FakeParent> {
    let parent!: FakeParent;
    const server = await GatorServer.listen({
      token,
      keepAliveMs: 0,
      handlers: (connection) => ({
        register: async (p) => {
          parent.registers.push(p);
          parent.childConnection = connection;
          await options.beforeRegisterReply?.();
          return { path: ['top'], root: 0, uidx: 7, ...(options.python ? {} : { protocol: PROTOCOL_VERSION }) };
        },
        update: (p) => {
          parent.updates.push(p);
          return {};
        },
        complete: (p) => {
          options.onComplete?.();
          parent.completes.push(p);
          return {};
        },
        log: (p) => {
          parent.logs.push(p);
          return {};
        },
      }),
    });
    parent = new FakeParent(server);
    return parent;
  }

  /** A connection as the CLI would hand to the wrapper. */
  connect(): Promise<Connection> {
    return connect(this.server.addressWithToken, { keepAliveMs: 0 });
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead (it only waits to be reaped).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

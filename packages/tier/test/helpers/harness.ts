// Runs a root tier in the test process with real child processes (the fixture
// child), the real local scheduler and a temp tracking directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLocalScheduler, type LocalScheduler } from '@gator/scheduler-local';
import type { JobArray, JobGroup } from '@gator/protocol';
import { createTier, type Tier, type TierEvent, type TierOptions, type TierOutcome } from '../../src/index.js';

export const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'child.mjs');

const dirs: string[] = [];

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-tier-'));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface Started {
  tier: Tier;
  events: TierEvent[];
  tracking: string;
  token: string;
  scheduler: LocalScheduler;
  outcome: Promise<TierOutcome>;
  /** Waits for the run, then closes the scheduler. */
  finished(): Promise<TierOutcome>;
}

export async function startRoot(
  spec: JobGroup | JobArray,
  options: Partial<TierOptions> & { concurrency?: number } = {},
): Promise<Started> {
  const tracking = options.tracking ?? path.join(tempDir(), 'tracking');
  const token = randomBytes(12).toString('hex');
  const schedArgs = { concurrency: String(options.concurrency ?? 8), grace: '1', ...(options.schedArgs ?? {}) };
  const scheduler = await createLocalScheduler({ options: schedArgs, token });
  const events: TierEvent[] = [];
  const tier = createTier({
    spec,
    ident: spec.ident ?? 'root',
    tracking,
    scheduler,
    schedulerName: 'local',
    schedArgs,
    childCommand: [process.execPath, FIXTURE],
    token,
    interval: 1,
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  const outcome = tier.run();
  outcome.catch(() => {});
  return {
    tier,
    events,
    tracking,
    token,
    scheduler,
    outcome,
    async finished() {
      try {
        return await outcome;
      } finally {
        await scheduler.close();
      }
    },
  };
}

export async function runRoot(spec: JobGroup | JobArray, options: Partial<TierOptions> & { concurrency?: number } = {}) {
  const started = await startRoot(spec, options);
  const outcome = await started.finished();
  return { ...started, outcome };
}

export function childStates(events: TierEvent[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) if (e.type === 'child') (out[e.id] ??= []).push(e.state);
  return out;
}

export function readFixture(tracking: string, subdir: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(tracking, subdir, 'fixture.json'), 'utf8'));
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A parent tier stand-in: a real server that accepts one child tier and records what it says. */
export async function fakeParent(token: string, options: { uidx?: number; path?: string[]; python?: boolean } = {}) {
  const { GatorServer, PROTOCOL_VERSION, connect } = await import('@gator/protocol');
  const received: { action: string; payload: any }[] = [];
  let childSide: import('@gator/protocol').Connection | undefined;
  const server = await GatorServer.listen({
    token,
    handlers: (connection) => ({
      register: (p) => {
        childSide = connection;
        received.push({ action: 'register', payload: p });
        // `python`: answer as Python Gator does, without a protocol version.
        return { path: options.path ?? ['parent'], root: 0, uidx: options.uidx ?? 7, ...(options.python ? {} : { protocol: PROTOCOL_VERSION }) };
      },
      update: (p) => {
        received.push({ action: 'update', payload: p });
        return {};
      },
      complete: (p) => {
        received.push({ action: 'complete', payload: p });
        return {};
      },
      log: (p) => {
        received.push({ action: 'log', payload: p });
        return {};
      },
    }),
  });
  const connection = await connect(server.address, { token });
  return {
    server,
    /** The tier's end of the link (pass as `parent`). */
    connection,
    received,
    /** The parent's end (to send stop/get_tree/resolve down). */
    childSide: () => childSide,
    async close() {
      connection.close();
      await server.close();
    },
  };
}

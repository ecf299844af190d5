/**
 * Least privilege on the wire (issue 17): who a connection is, and what it may
 * send. A server knows each connection by the credential in its URL path
 * (`ws://host:port/CREDENTIAL`) as one `Principal`:
 *
 * - `child`: a child layer, by the credential its parent tier made for it
 *   (an HMAC of its ident under a secret of that tier alone); it may act only
 *   as that ident.
 * - `job`: the job of a wrapper, by the wrapper's own job token; it reaches
 *   that wrapper's job API and nothing else.
 * - `reader`: anyone holding the run's read token (the hub, `gator` inspect
 *   commands, a Python reader): read-only actions.
 * - `tokenless`: a connection with no credential, accepted only when the run
 *   allows it (`--allow-tokenless`, for Python Gator children and readers).
 *
 * A child gets its credential in a file of its tracking directory (0600,
 * `credential.json`), which it reads and removes before it starts anything:
 * never in argv, never in an environment a job could read, and the same
 * environment for every task of a scheduler's array.
 */
import fs from 'node:fs';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { layerFile } from './layout.js';
import { lazySchema } from './lazy.js';
import type { Handler, Handlers } from './connection.js';
import type { ActionName } from './messages.js';

export type Principal = { role: 'child'; ident: string } | { role: 'job' } | { role: 'reader' } | { role: 'tokenless' };
export type Role = Principal['role'];

/** Actions a reader may send (to a tier or a wrapper): nothing that changes a run. */
export const READER_ACTIONS = ['children', 'get_messages', 'resolve'] as const satisfies readonly ActionName[];

export function isReaderAction(action: string): boolean {
  return (READER_ACTIONS as readonly string[]).includes(action);
}

/** What a child finds in its credential file. */
export const CredentialFileSchema = lazySchema(() =>
  z.object({
    /** What the child presents to its parent tier (the URL path). */
    credential: z.string().min(1),
    /** The run's read token: every layer's server accepts it for reads. */
    read: z.string().min(1),
    /** The run accepts tokenless children and readers (`--allow-tokenless`). */
    allowTokenless: z.boolean().optional(),
  }),
);
export type CredentialFile = z.infer<typeof CredentialFileSchema>;

/** A fresh secret (URL-safe). */
export function newSecret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

/** The credential of child `ident` under a tier's `secret`: nothing but that tier can make it. */
export function childCredential(secret: Buffer, ident: string): string {
  return createHmac('sha256', secret).update(`gator-child\0${ident}`).digest('base64url');
}

/** Constant-time comparison of two secrets. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Write a child's credential file into its tracking directory (owner-only, whole or not at all). */
export function writeCredentialFile(dir: string, content: CredentialFile): void {
  const file = layerFile(dir, 'credential');
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(content), { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** Remove a child's credential file (a child that never started leaves it). */
export function removeCredentialFile(dir: string): void {
  try {
    fs.unlinkSync(layerFile(dir, 'credential'));
  } catch {
    /* already taken */
  }
}

/**
 * Read and remove the credential file of the layer whose tracking directory is
 * `dir`; undefined when there is none (a parent that is Python Gator, or a
 * child started by hand). A file that cannot be parsed is an error.
 */
export function takeCredentialFile(dir: string): CredentialFile | undefined {
  const file = layerFile(dir, 'credential');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  removeCredentialFile(dir);
  return CredentialFileSchema.parse(JSON.parse(text));
}

/**
 * Refused connections, counted and told at a bounded rate: the first one at
 * once, then at most one line per `everyMs` with how many more there were
 * (`flush` tells the rest). A flood of refused connections costs a counter,
 * not a stored message each.
 */
export class RefusalCounter {
  /** Every refusal since the start. */
  total = 0;
  private untold = 0;
  private lastTold = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly tell: (message: string) => void,
    private readonly everyMs = 10_000,
  ) {}

  refused(remote: string, reason: string): void {
    this.total++;
    // After the end, refusals are only counted (the layer's store may be closed).
    if (this.closed) return;
    if (this.total === 1) {
      this.lastTold = Date.now();
      this.tell(`Refused a connection from ${remote}: ${reason}`);
      return;
    }
    this.untold++;
    if (!this.timer) {
      const wait = Math.max(0, this.lastTold + this.everyMs - Date.now());
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref();
    }
  }

  /** Tell the refusals not told yet and stop telling (at the end of the layer). */
  close(): void {
    this.flush();
    this.closed = true;
  }

  /** Tell the refusals not told yet. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.untold === 0) return;
    this.tell(`Refused ${this.untold} more connection${this.untold === 1 ? '' : 's'} without a valid credential (${this.total} in all)`);
    this.untold = 0;
    this.lastTold = Date.now();
  }
}

/** `handlers` with every action a reader may not send answered by an error (it changes nothing). */
export function readOnlyHandlers(handlers: Handlers): Handlers {
  const out: Handlers = {};
  for (const [action, handler] of Object.entries(handlers) as [ActionName, Handler<ActionName>][]) {
    (out as Record<string, Handler<ActionName>>)[action] = isReaderAction(action)
      ? handler
      : () => {
          throw new Error(`'${action}' needs a writer's credential: this connection holds the run's read token`);
        };
  }
  return out;
}

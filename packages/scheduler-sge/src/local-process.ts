/**
 * Nested tiers under `tiers=local` (the default): a process on this machine, leader of its
 * own process group so that stopping it reaches everything it started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { layerFile, type ChildExit, type LaunchRequest } from '@gator/protocol';
import { groupAlive, signalGroup } from './child-handle.js';

export interface LocalProcessEvents {
  onStart(pid: number): void;
  onExit(exit: ChildExit): void;
}

export class LocalProcess {
  pid: number | undefined;
  private exited = false;
  private termSentAt: number | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly request: LaunchRequest,
    private readonly graceMs: number,
    private readonly events: LocalProcessEvents,
  ) {}

  start(env: NodeJS.ProcessEnv): void {
    const { request } = this;
    const logFile = layerFile(request.tracking, 'scheduler');
    let output: number | 'ignore' = 'ignore';
    try {
      output = fs.openSync(logFile, 'a', 0o600);
    } catch {
      /* no tracking directory: the tier still learns how the child ended */
    }
    const [file, ...args] = request.command as [string, ...string[]];
    try {
      const child = spawn(file, args, { cwd: request.cwd, env, stdio: ['ignore', output, output], detached: true });
      child.once('error', (error) => {
        if (this.pid === undefined) this.finish({ code: 127, signal: null, neverStarted: true, reason: `cannot start ${file}: ${error.message}` });
      });
      if (child.pid !== undefined) {
        const pid = child.pid;
        this.pid = pid;
        child.once('spawn', () => this.events.onStart(pid));
        child.once('exit', (code, signal) => {
          // Whatever the tier left in its group goes with it: SIGTERM, then SIGKILL after the grace.
          if (groupAlive(pid)) {
            if (this.termSentAt === undefined) signalGroup(pid, 'SIGTERM');
            const left = Math.max(0, (this.termSentAt ?? Date.now()) + this.graceMs - Date.now());
            setTimeout(() => signalGroup(pid, 'SIGKILL'), left).unref();
          }
          this.finish({ code, signal, ...(this.termSentAt !== undefined ? { reason: 'stopped' } : {}) });
        });
      }
    } catch (error) {
      this.finish({ code: 127, signal: null, neverStarted: true, reason: `cannot start ${file}: ${(error as Error).message}` });
    } finally {
      if (typeof output === 'number') fs.closeSync(output);
    }
  }

  /** SIGTERM to the group, SIGKILL after the grace period. */
  terminate(): void {
    if (this.exited || this.pid === undefined || this.termSentAt !== undefined) return;
    const pid = this.pid;
    this.termSentAt = Date.now();
    signalGroup(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.graceMs);
  }

  /** Last resort when this process exits: no grace. */
  kill(): void {
    if (!this.exited && this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
  }

  private finish(exit: ChildExit): void {
    if (this.exited) return;
    this.exited = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.events.onExit(exit);
  }
}

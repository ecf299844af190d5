/**
 * The resource pool: job slots (cores), memory and license seats, granted to
 * queued requests without ever exceeding the limits.
 *
 * Order: FIFO. When the oldest request (the head) does not fit yet, a later
 * request that fits right now may skip ahead of it, so one big request does
 * not hold back every small one. To keep the big one from starving, the head
 * lets at most `skipAheadLimit` requests pass it (default: the pool's slot
 * count); after that nothing is granted until the head fits, which it does
 * once enough running children have ended (requests that could never fit are
 * refused before they are queued).
 *
 * Warm-up: the first `warmAhead` queued requests (default `defaultWarmAhead`:
 * the slot count, plus one per CPU core the slots leave idle, at most twice the
 * slots) are told so once (`onWarm`), machine-wide: their wrappers may start now
 * and wait for their grant, so that at most that many processes wait at any time
 * (a request only moves up the queue, so one told stays among the first).
 */
import os from 'node:os';
import type { PoolLimits } from './options.js';

/** What one child takes from the pool while it runs. */
export interface Demand {
  /** Job slots: max(1, ceil(cores)) for a job. */
  cores: number;
  memoryMb: number;
  licenses: Record<string, number>;
}

export interface Ticket {
  readonly demand: Demand;
  /** Human name for messages (`sim.seed_3`). */
  readonly label: string;
}

interface Entry extends Ticket {
  onGrant: () => void;
  onWarm: (() => void) | undefined;
  skippedBy: number;
}

/**
 * How many queued wrappers may start and wait: one per slot, and one more per
 * CPU core the slots leave idle (at most one more per slot). At concurrency 1
 * on two cores, a wrapper's start-up (a Node start, CPU-bound) otherwise has
 * one core and the other idles; short jobs then wait on start-ups one by one.
 */
export function defaultWarmAhead(slots: number, cpus = os.availableParallelism()): number {
  return slots + Math.min(slots, Math.max(0, cpus - slots));
}

/** Why `demand` can never fit in `limits` (one phrase per resource), empty when it can. */
export function impossibleReasons(demand: Demand, limits: PoolLimits): string[] {
  const reasons: string[] = [];
  if (demand.cores > limits.cores) {
    reasons.push(
      `asks for ${demand.cores} cores but the local pool has ${limits.cores} (--sched-arg concurrency=N to change it)`,
    );
  }
  if (demand.memoryMb > limits.memoryMb) {
    reasons.push(
      `asks for ${demand.memoryMb} MB of memory but the local pool has ${limits.memoryMb} MB (--sched-arg memory=MB to change it)`,
    );
  }
  for (const [name, seats] of Object.entries(demand.licenses)) {
    const declared = limits.licenses[name];
    if (declared === undefined) {
      reasons.push(
        `asks for license '${name}' but the local pool declares no such license (--sched-arg licenses=${name}:N to declare it)`,
      );
    } else if (seats > declared) {
      reasons.push(
        `asks for ${seats} seats of license '${name}' but the local pool has ${declared} (--sched-arg licenses=${name}:N to change it)`,
      );
    }
  }
  return reasons;
}

export class ResourcePool {
  readonly limits: PoolLimits;
  private readonly skipAheadLimit: number;
  private readonly warmAhead: number;
  private readonly queue: Entry[] = [];
  private readonly granted = new Set<Ticket>();
  private usedCores = 0;
  /** Queued requests that need no core: only they could fit while every core is taken. */
  private queuedWithoutCores = 0;
  private usedMemory = 0;
  private readonly usedLicenses = new Map<string, number>();
  private pumping = false;

  constructor(limits: PoolLimits, options: { skipAheadLimit?: number; warmAhead?: number } = {}) {
    this.limits = limits;
    this.skipAheadLimit = options.skipAheadLimit ?? Math.max(1, limits.cores);
    this.warmAhead = Math.max(0, options.warmAhead ?? defaultWarmAhead(limits.cores));
  }

  /** Resources in use right now (for tests and diagnostics). */
  get used(): Demand {
    return { cores: this.usedCores, memoryMb: this.usedMemory, licenses: Object.fromEntries(this.usedLicenses) };
  }

  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.granted.size;
  }

  /**
   * Queue a request; `onGrant` is called (possibly before this returns) once
   * its resources are reserved, `onWarm` (at most once, never after the grant)
   * when it is among the first `warmAhead` waiting. The caller must have
   * checked `impossibleReasons`.
   */
  request(label: string, demand: Demand, onGrant: () => void, onWarm?: () => void): Ticket {
    const entry: Entry = { label, demand, onGrant, onWarm, skippedBy: 0 };
    this.queue.push(entry);
    if (demand.cores <= 0) this.queuedWithoutCores++;
    this.pump();
    return entry;
  }

  /** Drop a queued request or give back a granted one; unknown tickets are ignored. */
  release(ticket: Ticket): 'queued' | 'granted' | undefined {
    // Granted first: a set lookup, where finding it in a long queue is a scan.
    if (!this.granted.delete(ticket)) {
      const index = this.queue.indexOf(ticket as Entry);
      if (index < 0) return undefined;
      this.queue.splice(index, 1);
      if (ticket.demand.cores <= 0) this.queuedWithoutCores--;
      this.pump();
      return 'queued';
    }
    this.usedCores -= ticket.demand.cores;
    this.usedMemory -= ticket.demand.memoryMb;
    for (const [name, seats] of Object.entries(ticket.demand.licenses)) {
      this.usedLicenses.set(name, (this.usedLicenses.get(name) ?? 0) - seats);
    }
    this.pump();
    return 'granted';
  }

  /** Remove every queued request without granting it; returns them. */
  drain(): Ticket[] {
    this.queuedWithoutCores = 0;
    return this.queue.splice(0, this.queue.length);
  }

  private fits(demand: Demand): boolean {
    if (this.usedCores + demand.cores > this.limits.cores) return false;
    if (demand.memoryMb > 0 && this.usedMemory + demand.memoryMb > this.limits.memoryMb) return false;
    for (const [name, seats] of Object.entries(demand.licenses)) {
      if ((this.usedLicenses.get(name) ?? 0) + seats > (this.limits.licenses[name] ?? 0)) return false;
    }
    return true;
  }

  private pump(): void {
    // Grant callbacks may release or request again: the outer loop picks that up.
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.grant();
      // Warm callbacks do not touch the pool (they start processes).
      for (let i = 0; i < this.warmAhead && i < this.queue.length; i++) {
        const entry = this.queue[i]!;
        const onWarm = entry.onWarm;
        if (!onWarm) continue;
        entry.onWarm = undefined;
        onWarm();
      }
    } finally {
      this.pumping = false;
    }
  }

  private grant(): void {
    for (;;) {
      // Every core taken and every request needing one: nothing can fit, skip the scan
      // (with thousands of jobs queued, a scan per request and per release adds up).
      if (this.usedCores >= this.limits.cores && this.queuedWithoutCores === 0) return;
      const index = this.queue.findIndex((entry) => this.fits(entry.demand));
      if (index < 0) return;
      if (index > 0) {
        const head = this.queue[0]!;
        if (head.skippedBy >= this.skipAheadLimit) return;
        head.skippedBy++;
      }
      const [entry] = this.queue.splice(index, 1) as [Entry];
      if (entry.demand.cores <= 0) this.queuedWithoutCores--;
      this.granted.add(entry);
      this.usedCores += entry.demand.cores;
      this.usedMemory += entry.demand.memoryMb;
      for (const [name, seats] of Object.entries(entry.demand.licenses)) {
        this.usedLicenses.set(name, (this.usedLicenses.get(name) ?? 0) + seats);
      }
      entry.onWarm = undefined;
      entry.onGrant();
    }
  }
}

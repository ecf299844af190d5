/**
 * Resource sampling and hang detection of one attempt: every sample of the
 * job's process tree is a `ProcStat` row; going over the requested cores or
 * memory is a WARNING (once each time it goes over); no output, no API call
 * and under 1 % CPU for `hang_timeout` seconds is a hang, and the attempt is
 * stopped (retryable).
 */
import { type Job, Severity, jobResources } from '@gator/protocol';
import type { JobStore } from './job-store.js';
import { type MessageLog, nowSeconds, plural } from './message-log.js';
import { type PidMark, TreeSampler } from './processes.js';

/** CPU % under which a sample is not a sign of life. */
const HANG_CPU_PERCENT = 1;
/** Delay of a job's first resource sample, ms. */
const FIRST_SAMPLE_MS = 100;

/** Ms between samples: the heartbeat interval, or a third of `hang_timeout` when shorter (a hang needs a few samples). */
export function sampleInterval(intervalMs: number, hangTimeout: number | undefined): number {
  return hangTimeout !== undefined && hangTimeout > 0 ? Math.min(intervalMs, (hangTimeout * 1000) / 3) : intervalMs;
}

export interface ResourceWatchOptions {
  /** The job's main process (and process group). */
  pid: number;
  /** The pid counter just before it started (processes.ts): samples then read only the pids since. */
  pidMark?: PidMark | undefined;
  spec: Job;
  sampleMs: number;
  db: JobStore;
  log: MessageLog;
  /** The job hung: stop it. */
  onHang: (reason: string) => void;
}

export class ResourceWatch {
  readonly sampler: TreeSampler;
  private readonly o: ResourceWatchOptions;
  private readonly requested: ReturnType<typeof jobResources>;
  private lastActivity = Date.now();
  private running = true;
  private cpuOver = false;
  private memOver = false;
  private firstTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ResourceWatchOptions) {
    this.o = options;
    this.sampler = new TreeSampler(options.pid, options.pid, options.pidMark);
    this.requested = jobResources(options.spec);
  }

  start(): void {
    // The first sample a moment after the start, not at once: a sample reads the whole
    // process table, and a job that ends within it (`true`) would pay for nothing.
    this.firstTimer = setTimeout(() => void this.sample(), Math.min(FIRST_SAMPLE_MS, this.o.sampleMs));
    this.firstTimer.unref();
    this.timer = setInterval(() => void this.sample(), this.o.sampleMs);
    this.timer.unref();
  }

  /** A sign of life: output, a message or a metric. */
  activity(): void {
    this.lastActivity = Date.now();
  }

  /** The main process exited: no more samples. */
  stop(): void {
    this.running = false;
    clearTimeout(this.firstTimer);
    clearInterval(this.timer);
  }

  dispose(): void {
    this.sampler.dispose();
  }

  private async sample(): Promise<void> {
    if (!this.running) return;
    const s = await this.sampler.sample();
    if (!this.running && s.nproc === 0) return;
    const { log, spec } = this.o;
    this.o.db.write((store) => store.addProcStat({ nproc: s.nproc, cpu: s.cpu, mem: s.mem, vmem: s.vmem, timestamp: nowSeconds() }));
    const { cores, memoryMb } = this.requested;
    const cpuOver = cores > 0 && s.cpu > 100 * cores;
    if (cpuOver && !this.cpuOver) {
      log.log(Severity.WARNING, `Job is using ${Math.round(s.cpu)}% CPU, more than the ${plural(cores, 'core')} it requested`);
    }
    this.cpuOver = cpuOver;
    const memOver = memoryMb > 0 && s.mem > memoryMb * 1_000_000;
    if (memOver && !this.memOver) {
      log.log(Severity.WARNING, `Job is using ${Math.round(s.mem / 1_000_000)} MB of memory, more than the ${memoryMb} MB it requested`);
    }
    this.memOver = memOver;
    if (s.cpu >= HANG_CPU_PERCENT) this.lastActivity = Date.now();
    const hang = spec.hang_timeout;
    if (hang !== undefined && hang > 0 && this.running && Date.now() - this.lastActivity >= hang * 1000) {
      this.o.onHang(`hung: no output and no CPU for ${hang}s`);
    }
  }
}

/**
 * The live terminal view of `gator run`: messages and job results scroll by,
 * and below them a block redrawn at most `redrawMs` apart (default 250 ms)
 * shows the running jobs with their elapsed time and a progress bar split into
 * passed / failed / running / pending with the run's warning and error counts.
 * At the end the block goes away and the summary is printed. Redrawing is
 * log-update's (diffed, synchronized output); colours are picocolors' (NO_COLOR
 * honoured). Only used on an interactive terminal: pipes, CI and --quiet get
 * the PlainReporter.
 */
import { createLogUpdate } from 'log-update';
import type { JobEnd, Summary } from '@gator/protocol';
import { colorsFor, dotted, duration, jobTotals, type Colors } from './format.js';
import { JobTracker, PlainReporter, renderSummary, type Reporter, type ReporterOptions, type RunEnd } from './reporter.js';
import { stripAnsi } from './export-text.js';
import { terminalSafe } from './terminal-text.js';

export interface LiveReporterSettings {
  /** Least time between two redraws (default 250 ms). */
  redrawMs?: number;
  /** Most running jobs listed (default: what fits, at most 8). */
  maxRunning?: number;
  /** Jobs in the spec (`expectedJobs(spec)`): the bar's total (the summary's sub_total counts tiers too). */
  expectedJobs?: number;
}

type JobEvent = Parameters<Reporter['job']>[0];

/** Collects what the PlainReporter would print, line by line, to show it above the block. */
class LineSink {
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly push: (text: string) => void,
  ) {}
  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }
  get columns(): number | undefined {
    return this.stream.columns;
  }
  write(chunk: string | Uint8Array): boolean {
    this.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }
}

export interface ProgressCounts {
  total: number;
  passed: number;
  failed: number;
  running: number;
  pending: number;
  warnings: number;
  errors: number;
}

export function progressCounts(summary: Summary | undefined, expectedJobs?: number): ProgressCounts {
  if (!summary) return { total: expectedJobs ?? 0, passed: 0, failed: 0, running: 0, pending: expectedJobs ?? 0, warnings: 0, errors: 0 };
  const t = jobTotals(summary, expectedJobs);
  // Lost and skipped jobs are done and did not pass: they count with the failed part of the bar.
  const failed = t.failed + t.lost + t.skipped;
  const pending = Math.max(0, t.total - t.passed - failed - t.running);
  const m = summary.metrics;
  return {
    total: Math.max(t.total, t.passed + failed + t.running),
    passed: t.passed,
    failed,
    running: t.running,
    pending,
    warnings: m.msg_warning ?? 0,
    errors: (m.msg_error ?? 0) + (m.msg_critical ?? 0),
  };
}

/** `width` cells split in proportion (largest remainders), so the parts always fill the bar exactly. */
export function splitBar(width: number, parts: number[]): number[] {
  const total = parts.reduce((a, b) => a + b, 0);
  if (total <= 0 || width <= 0) return parts.map(() => 0);
  const exact = parts.map((p) => (p / total) * width);
  const cells = exact.map(Math.floor);
  let left = width - cells.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r);
  for (const { i } of order) {
    if (left <= 0) break;
    if (parts[i]! > 0) {
      cells[i]! += 1;
      left--;
    }
  }
  return cells;
}

/** The bar: colours tell the parts apart, and without colours so do the glyphs. */
export function renderBar(width: number, p: ProgressCounts, c: Colors): string {
  const [passed, failed, running, pending] = splitBar(width, [p.passed, p.failed, p.running, p.pending]);
  const color = c.isColorSupported;
  return (
    c.green('█'.repeat(passed!)) +
    c.red((color ? '█' : 'X').repeat(failed!)) +
    c.blue((color ? '█' : '▒').repeat(running!)) +
    c.dim('░'.repeat(pending! + (p.total === 0 ? width : 0)))
  );
}

export class LiveReporter implements Reporter {
  private readonly out: NodeJS.WriteStream;
  private readonly c: Colors;
  private readonly lines: PlainReporter;
  private readonly tracker: JobTracker;
  private readonly block: ReturnType<typeof createLogUpdate>;
  private readonly startedAt = Date.now();
  private readonly redrawMs: number;
  private readonly maxRunning: number;
  private readonly expectedJobs: number | undefined;
  /** Lines waiting to be printed above the block at the next redraw. */
  private pending: { stream: NodeJS.WriteStream; text: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: Summary | undefined;
  private done = false;

  constructor(
    private readonly options: ReporterOptions,
    settings: LiveReporterSettings = {},
  ) {
    this.out = options.out;
    this.c = colorsFor(options.out);
    this.redrawMs = settings.redrawMs ?? 250;
    this.maxRunning = settings.maxRunning ?? 8;
    this.expectedJobs = settings.expectedJobs;
    const queue = (stream: NodeJS.WriteStream) => new LineSink(stream, (text) => this.pending.push({ stream, text })) as unknown as NodeJS.WriteStream;
    // The same lines as the plain view, printed above the block (stderr too: it is usually this terminal).
    this.lines = new PlainReporter({ ...options, out: queue(options.out), err: queue(options.err) });
    this.tracker = new JobTracker((e) => this.job(e));
    this.block = createLogUpdate(options.out);
    this.timer = setInterval(() => this.redraw(), this.redrawMs);
    this.timer.unref();
  }

  notice(text: string, timestamp: number, path?: string[]): void {
    this.lines.notice(text, timestamp, path);
  }

  message(level: number, text: string, timestamp: number, path?: string[]): void {
    this.lines.message(level, text, timestamp, path);
  }

  job(e: JobEvent): void {
    // Starts show in the block; results scroll by.
    if (e.state === 'started') return;
    this.lines.job(e);
  }

  summary(summary: Summary): void {
    this.last = summary;
    this.tracker.update(summary);
  }

  jobEnd(end: JobEnd): void {
    this.tracker.end(end);
  }

  note(level: number, text: string): void {
    this.lines.note(level, text);
  }

  end(end: RunEnd): void {
    this.last = end.summary;
    this.tracker.update(end.summary);
    this.tracker.finish(end.summary);
    this.stop();
    this.out.write(renderSummary({ ...end, jobs: end.jobs ?? this.tracker.tally(end.expectedJobs) }, this.c, this.options));
  }

  close(): void {
    this.stop();
  }

  /** Print what is queued, drop the block and give the cursor back (idempotent). */
  private stop(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.block.clear();
    this.flushLines();
    this.block.done();
  }

  private flushLines(): void {
    const queued = this.pending;
    this.pending = [];
    for (const { stream, text } of queued) stream.write(text);
  }

  /** One frame of the block, as text (exported for tests through `frame()`). */
  frame(now = Date.now()): string {
    const c = this.c;
    const columns = Math.max(20, this.out.columns ?? 80);
    const rows = this.out.rows ?? 24;
    const p = progressCounts(this.last, this.expectedJobs);
    const lines: string[] = [];
    const running = this.tracker.runningJobs().sort((a, b) => a.since - b.since);
    const room = Math.max(1, Math.min(this.maxRunning, rows - 4));
    const shown = running.length > room ? running.slice(0, room - 1) : running;
    const nameWidth = Math.min(Math.max(0, ...shown.map((r) => this.show(r.path).length)), Math.max(10, columns - 16));
    for (const r of shown) {
      let name = this.show(r.path);
      if (name.length > nameWidth) name = `…${name.slice(name.length - nameWidth + 1)}`;
      lines.push(`${c.blue('▶')} ${name.padEnd(nameWidth)}  ${c.dim(duration(Math.max(0, now / 1000 - r.since)))}`);
    }
    if (running.length > shown.length) lines.push(c.dim(`  … and ${running.length - shown.length} more running`));
    const done = p.passed + p.failed;
    const stats = [
      `${done}/${p.total} jobs`,
      c.green(`${p.passed} passed`),
      (p.failed > 0 ? c.red : c.dim)(`${p.failed} failed`),
      c.blue(`${p.running} running`),
      c.dim(`${p.pending} pending`),
      (p.warnings > 0 ? c.yellow : c.dim)(`${p.warnings} warning${p.warnings === 1 ? '' : 's'}`),
      (p.errors > 0 ? c.red : c.dim)(`${p.errors} error${p.errors === 1 ? '' : 's'}`),
      c.dim(duration((now - this.startedAt) / 1000)),
    ].join('  ');
    const statsWidth = stripAnsi(stats).length;
    const barWidth = Math.min(40, columns - statsWidth - 3);
    if (barWidth >= 10) lines.push(`${renderBar(barWidth, p, c)}  ${stats}`);
    else {
      lines.push(renderBar(Math.min(40, columns - 1), p, c));
      lines.push(stats);
    }
    return lines.join('\n');
  }

  private show(p: string[]): string {
    const root = this.options.rootIdent;
    return terminalSafe(dotted(root && p[0] === root && p.length > 1 ? p.slice(1) : p));
  }

  private redraw(): void {
    if (this.done) return;
    if (this.pending.length > 0) {
      this.block.clear();
      this.flushLines();
    }
    this.block(this.frame());
  }
}

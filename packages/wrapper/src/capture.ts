/**
 * The text parsers of the design: the job's stdout and stderr, split into
 * lines (`LineSplitter`), each line given its severity (stdout INFO, stderr
 * ERROR or `stderr_severity`, then `log_rules`) and recorded; the raw bytes
 * of both go to `raw_<pid>.log`.
 */
import type { ChildProcess } from 'node:child_process';
import { type Job, Severity, severityFromName } from '@gator/protocol';
import type { RawLog } from '@gator/db';
import { LineSplitter } from './lines.js';
import { type MessageLog, nowSeconds } from './message-log.js';
import { type CompiledRule, classify } from './rules.js';

export interface CaptureOptions {
  spec: Job;
  rules: readonly CompiledRule[];
  maxLineBytes: number;
  log: MessageLog;
  rawLog: RawLog | undefined;
  /** Output is a sign of life (hang detection). */
  activity: () => void;
}

export class OutputCapture {
  /** Both pipes closed. */
  readonly closed: Promise<void>;
  private readonly child: ChildProcess;
  private readonly stdout: LineSplitter;
  private readonly stderr: LineSplitter;
  private readonly rawLog: RawLog | undefined;
  /** Time of the chunk being split (one clock read per chunk, not per line). */
  private chunkTime = 0;

  constructor(child: ChildProcess, o: CaptureOptions) {
    this.child = child;
    this.rawLog = o.rawLog;
    const stderrSeverity = o.spec.stderr_severity ? severityFromName(o.spec.stderr_severity) : Severity.ERROR;
    this.stdout = this.splitter('stdout', Severity.INFO, o);
    this.stderr = this.splitter('stderr', stderrSeverity, o);
    const streamClosed = (stream: NodeJS.ReadableStream | null) =>
      new Promise<void>((resolve) => (stream ? stream.once('close', () => resolve()) : resolve()));
    this.closed = Promise.all([streamClosed(child.stdout), streamClosed(child.stderr)]).then(() => undefined);
    const reader = (lines: LineSplitter) => (chunk: Buffer) => {
      this.chunkTime = nowSeconds();
      o.activity();
      this.rawLog?.write(chunk);
      lines.push(chunk);
    };
    child.stdout!.on('data', reader(this.stdout));
    child.stderr!.on('data', reader(this.stderr));
  }

  /**
   * Wait for the pipes to close, at most `ms`: a process that could not be
   * found (and ended) may still hold them; then stop reading.
   */
  async drain(ms: number): Promise<void> {
    const timer = setTimeout(() => {
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
    }, ms);
    await this.closed;
    clearTimeout(timer);
  }

  /** Record the last lines (without newline) and close the raw log. */
  end(): void {
    this.chunkTime = nowSeconds();
    this.stdout.end();
    this.stderr.end();
    this.rawLog?.close();
  }

  private splitter(source: 'stdout' | 'stderr', fallback: number, o: CaptureOptions): LineSplitter {
    const { rules, log } = o;
    const sink =
      rules.length > 0
        ? (line: string) => log.record(classify(rules, line, fallback), line, this.chunkTime, source, true)
        : (line: string) => log.record(fallback, line, this.chunkTime, source, true);
    return new LineSplitter(sink, o.maxLineBytes);
  }
}

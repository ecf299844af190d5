/**
 * The wrapper: runs one `!Job`, turns its output into messages, serves the
 * job API, samples its processes, stores everything in the layer's tracking
 * directory, reports to the parent tier and decides pass/fail.
 *
 * Life: open the store → write spec.yaml → start the job API server →
 * register with the parent → attributes → heartbeats → attempts (launch,
 * capture, wait, clean up, verdict; retried while failing) → final
 * attributes and summary → `update` + `complete` to the parent → close.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type ApiJob,
  type Connection,
  ENV,
  type Failure,
  GatorServer,
  type Handlers,
  type Job,
  JobResult,
  JobState,
  PROTOCOL_VERSION,
  PYTHON_DIALECT,
  type ParentDialect,
  type ProtocolError,
  type RequestPayload,
  type ResponsePayload,
  Severity,
  type Summary,
  dialectFromRegister,
  dumpSpec,
  expandVariables,
  jobResources,
  payloadForParent,
  severityFromName,
  severityName,
  shellQuote,
} from '@gator/protocol';
import { type LayerReader, type LayerStore, type RawLog, openLayerReader, openLayerStore } from '@gator/db';
import { jobEnvironment, specEnvironment } from './environment.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, capMessage } from './lines.js';
import {
  type ProcEntry,
  TreeSampler,
  hasProcFs,
  jobProcesses,
  processesWithEnv,
  readProcTable,
  signalGroup,
  signalIfSame,
  uptimeTicks,
} from './processes.js';
import { type CompiledRule, classify, compileLogRules } from './rules.js';
import { failureSignature } from './signature.js';

export interface WrapperLimits {
  /** Most WARNING messages allowed (null/undefined = unlimited). */
  warning?: number | null;
  /** Most ERROR messages allowed (default 0). */
  error?: number;
  /** Most CRITICAL messages allowed (default 0). */
  critical?: number;
}

export interface WrapperOptions {
  spec: Job;
  /** The job's id (the CLI's `--id`); replaces `spec.ident`. */
  ident: string;
  /** Tracking directory of this layer (created 0700). */
  tracking: string;
  /** Open connection to the parent tier; absent for a root job. */
  parent?: Connection;
  /** Message limits: a count greater than the limit fails the job. */
  limits?: WrapperLimits;
  /** Seconds between heartbeats and resource samples (default 5). */
  interval?: number;
  /** Forward own messages >= INFO to the parent as posted `log`. */
  allMsg?: boolean;
  /** Run secret this wrapper's server requires (a random one when absent). */
  token?: string;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Host advertised to peers (default: the bound host). */
  advertiseHost?: string;
  /** SIGTERM → SIGKILL grace when stopping the job, ms (default 5000). */
  stopGraceMs?: number;
  /** Longest stored line in UTF-8 bytes (default 64 KiB); longer lines are cut. */
  maxLineBytes?: number;
  /** What happens, for the CLI to render (the library never prints). */
  onEvent?: (event: WrapperEvent) => void;
}

export type MessageSource = 'stdout' | 'stderr' | 'api' | 'wrapper';

export type WrapperEvent =
  | { type: 'message'; severity: number; message: string; timestamp: number; source: MessageSource }
  | { type: 'started'; pid: number; command: string; attempt: number }
  | { type: 'exited'; code: number | null; signal: string | null; attempt: number }
  | { type: 'summary'; summary: Summary }
  | { type: 'complete'; result: number; code: number; reason?: string };

export interface WrapperOutcome {
  result: JobResult;
  /** Exit code reported: the job's, `-signo` when killed by a signal, 255 when stopped or not started. */
  code: number;
  /** Why it failed (or `passed on attempt N` after retries). */
  reason?: string;
  summary: Summary;
  /** Attempts made (1 without retries). */
  attempts: number;
  dbFile: string;
}

export interface Wrapper {
  run(): Promise<WrapperOutcome>;
  /** Stop the job (SIGTERM, then SIGKILL after the grace). Safe before start, twice, after the end. */
  stop(reason?: string): void;
  /** `host:port` of the job API server, once started. */
  readonly address?: string;
}

const OWN = '_OWN_';
const GROUP = '_GROUP_';
/** Index of a severity in count arrays: critical, error, warning, info, debug (Python's metric order). */
const LEVELS = [Severity.CRITICAL, Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.DEBUG] as const;
const COUNT_METRICS = ['msg_critical', 'msg_error', 'msg_warning', 'msg_info', 'msg_debug'] as const;
const BUILTIN = new Set(['sub_total', 'sub_active', 'sub_passed', 'sub_failed', 'jobs_passed', 'jobs_failed', ...COUNT_METRICS]);
/** Fewest ms between two state-change updates. */
const UPDATE_THROTTLE_MS = 250;
const UPDATE_TIMEOUT_MS = 10_000;
const COMPLETE_TIMEOUT_MS = 30_000;
/** Stop forwarding (and say so) while this much is queued towards the parent. */
const FORWARD_BUFFER_LIMIT = 16 * 1024 * 1024;
/** Longest wait for the job's pipes to close once its processes are gone. */
const PIPE_CLOSE_MS = 2_000;
const MAX_PAGE = 10_000;
const FAILURE_ERROR_LINES = 5;
const HANG_CPU_PERCENT = 1;
/** Delay of a job's first resource sample, ms. */
const FIRST_SAMPLE_MS = 100;

function nowSeconds(): number {
  return Date.now() / 1000;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function signalNumber(signal: string): number {
  return (os.constants.signals as Record<string, number>)[signal] ?? 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

class AttemptState {
  readonly counts = [0, 0, 0, 0, 0];
  /** First message of each severity bucket. */
  readonly first: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  /** First error (and critical) lines, for failure reports. */
  readonly errors: string[] = [];
  storeUid: number | undefined;
  child: ChildProcess | undefined;
  pid = 0;
  startedAt: number | undefined;
  /** Clock ticks since boot just before the launch (/proc's unit of process start times). */
  startTicks = 0;
  running = false;
  stopReason: string | undefined;
  retryable = false;
  sampler: TreeSampler | undefined;
  killTimer: NodeJS.Timeout | undefined;
  /** Limit crossings already announced, by bucket. */
  readonly crossed = [false, false, false];
  constructor(readonly number: number) {}
}

interface AttemptVerdict {
  passed: boolean;
  code: number;
  reason: string | undefined;
  retryable: boolean;
}

class JobWrapper implements Wrapper {
  private readonly spec: Job;
  private readonly ident: string;
  private readonly tracking: string;
  private readonly parent: Connection | undefined;
  private readonly intervalMs: number;
  private readonly sampleMs: number;
  private readonly stopGraceMs: number;
  private readonly maxLineBytes: number;
  private readonly token: string;
  private readonly onEvent: ((event: WrapperEvent) => void) | undefined;
  private readonly forward: boolean;
  private readonly host: string;
  private readonly advertiseHost: string | undefined;
  /** Limit per bucket (critical, error, warning); a count above it violates. */
  private readonly limits: number[];

  private store: LayerStore | undefined;
  private reader: LayerReader | undefined;
  private server: GatorServer | undefined;
  private runPromise: Promise<WrapperOutcome> | undefined;

  private path: string[] = [];
  /** What the parent understands (learnt at register; Python Gator's subset until then). */
  private parentDialect: ParentDialect = PYTHON_DIALECT;
  private root = 0;
  private uidx = 0;
  private startedAt = nowSeconds();
  private stoppedAt: number | undefined;
  private updatedAt: number | undefined;

  private attempt = new AttemptState(1);
  private readonly maxAttempts: number;
  private readonly totals = [0, 0, 0, 0, 0];
  private readonly jobMetrics = new Map<string, number>();
  private rules: CompiledRule[] = [];
  /** Messages logged before the store was open (e.g. a stop before run()). */
  private readonly early: { severity: number; message: string; timestamp: number; logFile: boolean }[] = [];

  private stopRequested = false;
  private fatalReason: string | undefined;
  private databaseFailed = false;
  private parentLost = false;
  /** The current (last possible) attempt already violates a limit. */
  private failingEarly = false;
  private finished = false;
  private completing = false;
  private final: { result: JobResult; code: number; reason: string | undefined } | undefined;

  /** Time of the chunk being split (one clock read per chunk, not per line). */
  private chunkTime = 0;
  private lastActivity = 0;
  private jobAddress = '';

  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sampleTimer: NodeJS.Timeout | undefined;
  private firstSampleTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private updateInFlight: Promise<void> | undefined;
  private updateAgain = false;
  private updateThrottle: NodeJS.Timeout | undefined;
  private lastUpdateAt = 0;
  private forwardSkipped = 0;
  private cpuOver = false;
  private memOver = false;

  constructor(options: WrapperOptions) {
    this.spec = options.spec;
    this.ident = options.ident;
    this.tracking = path.resolve(options.tracking);
    this.parent = options.parent;
    this.onEvent = options.onEvent;
    this.forward = options.allMsg === true && options.parent !== undefined;
    this.token = options.token ?? randomBytes(16).toString('hex');
    this.host = options.host ?? '127.0.0.1';
    this.advertiseHost = options.advertiseHost;
    this.stopGraceMs = Math.max(0, options.stopGraceMs ?? 5000);
    this.maxLineBytes = Math.max(256, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    const interval = options.interval !== undefined && options.interval > 0 ? options.interval : 5;
    this.intervalMs = interval * 1000;
    const hang = this.spec.hang_timeout;
    // Hang detection needs a few samples within the hang timeout.
    this.sampleMs = hang !== undefined && hang > 0 ? Math.min(this.intervalMs, (hang * 1000) / 3) : this.intervalMs;
    const limits = options.limits ?? {};
    this.limits = [
      limits.critical ?? 0,
      limits.error ?? 0,
      limits.warning === null || limits.warning === undefined ? Number.POSITIVE_INFINITY : limits.warning,
    ];
    this.maxAttempts = 1 + Math.max(0, this.spec.retries ?? 0);
  }

  get address(): string | undefined {
    return this.server?.address;
  }

  run(): Promise<WrapperOutcome> {
    this.runPromise ??= this.execute().catch((error: unknown) => this.crashed(error));
    return this.runPromise;
  }

  /** A bug of the wrapper: fail the job with it and still report, rather than leave the tree waiting. */
  private async crashed(error: unknown): Promise<WrapperOutcome> {
    if (this.final) throw error;
    this.fail(`internal error: ${errorText(error)}`);
    this.log(Severity.CRITICAL, `Internal error of the wrapper: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const a = this.attempt;
    if (a.running) {
      this.stopAttempt('internal error', false);
      signalGroup(a.pid, 'SIGKILL');
    }
    return this.finish({ passed: false, code: 255, reason: undefined, retryable: false });
  }

  stop(reason = 'stopped'): void {
    if (this.finished || this.completing || this.stopRequested) return;
    this.stopRequested = true;
    this.log(Severity.WARNING, 'Stopping leaf job');
    this.stopAttempt(reason, false);
  }

  // ------------------------------------------------------------------ life

  private async execute(): Promise<WrapperOutcome> {
    this.startedAt = nowSeconds();
    this.openStore();
    await this.startServer();
    // Register even when failing already: the parent must hear why.
    if (this.parent) await this.register();
    this.jobAddress = this.server ? this.server.addressWithToken : '';

    const env = jobEnvironment({
      inherited: process.env,
      specEnv: this.spec.env,
      parentAddress: this.jobAddress,
      jobPath: [...this.path, this.ident].join('.'),
      tracking: this.tracking,
    });
    const cwd = path.resolve(process.cwd(), this.spec.cwd ?? '.');
    const argv = this.expandArgv(env);
    this.recordStartAttributes(cwd, argv, env);

    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.intervalMs);
    this.heartbeatTimer.unref();
    this.heartbeat();

    if (argv && !this.fatalReason) {
      try {
        this.rules = compileLogRules(this.spec.log_rules);
      } catch (error) {
        this.fail(`invalid log rules: ${errorText(error)}`);
        this.log(Severity.ERROR, `Invalid log rules of ${this.ident}: ${errorText(error)}`);
      }
    }
    let last: AttemptVerdict = { passed: false, code: 255, reason: undefined, retryable: false };
    if (argv && !this.fatalReason) last = await this.runAttempts(argv, env, cwd);
    return this.finish(last);
  }

  private openStore(): void {
    try {
      const store = openLayerStore({ dir: this.tracking, kind: 'wrapper' });
      this.store = store;
      store.on('error', (error) => this.onDatabaseError(error));
      if (store.failure) this.onDatabaseError(store.failure);
      store.writeSpec(dumpSpec({ ...this.spec, ident: this.ident }));
      for (const m of this.early.splice(0)) store.addMessage(m);
    } catch (error) {
      this.onDatabaseError(error);
    }
  }

  private async startServer(): Promise<void> {
    try {
      this.server = await GatorServer.listen({
        host: this.host,
        ...(this.advertiseHost ? { advertiseHost: this.advertiseHost } : {}),
        token: this.token,
        handlers: this.jobHandlers(),
        onBadFrame: (error: ProtocolError) => this.log(Severity.WARNING, `Rejected frame from job: ${error.message}`),
        onRejected: (info) => this.log(Severity.WARNING, `Refused a connection from ${info.remote}: ${info.reason}`),
        onHandlerError: (error, action) => this.log(Severity.DEBUG, `A '${action}' request from the job failed: ${errorText(error)}`),
      });
    } catch (error) {
      this.fail(`could not start the job API server: ${errorText(error)}`);
      this.log(Severity.CRITICAL, `Could not start the job API server: ${errorText(error)}`);
    }
  }

  private async register(): Promise<void> {
    const parent = this.parent!;
    parent.setHandlers(this.parentHandlers());
    void parent.closed.then(() => this.onParentClosed());
    if (!parent.isOpen) {
      this.onParentClosed();
      return;
    }
    try {
      const reply = await parent.request(
        'register',
        { ident: this.ident, server: this.server?.address ?? '', protocol: PROTOCOL_VERSION },
        { timeoutMs: COMPLETE_TIMEOUT_MS },
      );
      this.path = reply.path;
      this.root = reply.root;
      this.uidx = reply.uidx;
      this.parentDialect = dialectFromRegister(reply);
    } catch (error) {
      if (!parent.isOpen) this.onParentClosed();
      else {
        this.fail(`could not register with the parent: ${errorText(error)}`);
        this.log(Severity.CRITICAL, `Could not register with the parent: ${errorText(error)}`);
      }
    }
  }

  private expandArgv(env: Record<string, string>): string[] | undefined {
    try {
      return [this.spec.command, ...this.spec.args].map((part) => expandVariables(String(part), env));
    } catch (error) {
      this.fail(`could not expand the command: ${errorText(error)}`);
      this.log(Severity.ERROR, `Could not expand the command of ${this.ident}: ${errorText(error)}`);
      return undefined;
    }
  }

  private recordStartAttributes(cwd: string, argv: string[] | undefined, env: Record<string, string>): void {
    const res = jobResources(this.spec);
    const raw = [this.spec.command, ...this.spec.args.map(String)];
    this.attr('ident', this.ident);
    this.attr('uidx', this.uidx);
    this.attr('root', this.root);
    this.attr('path', this.path.join('.'));
    this.attr('started', this.startedAt);
    this.attr('cmd', shellQuote(argv ?? raw));
    this.attr('cwd', cwd);
    this.attr('host', os.hostname());
    this.attr('req_cores', res.cores);
    // Python writes the memory request as a float (`1500.0`), `0` when none.
    this.attr('req_memory', res.memoryMb ? (Number.isInteger(res.memoryMb) ? `${res.memoryMb}.0` : String(res.memoryMb)) : '0');
    this.attr(
      'req_licenses',
      Object.entries(res.licenses)
        .map(([name, count]) => `${name}=${count}`)
        .join(','),
    );
    // Gator's own, for `gator repro`: the job's spec env and the argv it ran.
    this.attr('env', JSON.stringify(specEnvironment(this.spec.env)));
    this.attr('argv', JSON.stringify(argv ?? raw));
    if (env[ENV.SEED] !== undefined) this.attr('seed', env[ENV.SEED]);
  }

  private async runAttempts(argv: string[], env: Record<string, string>, cwd: string): Promise<AttemptVerdict> {
    for (;;) {
      const verdict = await this.runAttempt(argv, env, cwd);
      const a = this.attempt;
      if (a.storeUid !== undefined) {
        this.safeStore((s) =>
          s.updateAttempt(a.storeUid!, { stopped: nowSeconds(), exit: verdict.code, result: verdict.passed ? JobResult.SUCCESS : JobResult.FAILURE, reason: verdict.reason ?? null }),
        );
      }
      const canRetry = verdict.retryable && !this.stopRequested && !this.fatalReason && a.number < this.maxAttempts;
      if (verdict.passed || !canRetry) return verdict;
      this.log(Severity.WARNING, `Attempt ${a.number} failed (${verdict.reason}); retrying (attempt ${a.number + 1} of ${this.maxAttempts})`);
      this.attempt = new AttemptState(a.number + 1);
      this.cpuOver = false;
      this.memOver = false;
    }
  }

  private async runAttempt(argv: string[], env: Record<string, string>, cwd: string): Promise<AttemptVerdict> {
    const a = this.attempt;
    a.storeUid = this.safeStore((s) => s.addAttempt({ attempt: a.number, started: nowSeconds() }));
    if (this.stopRequested || a.stopReason) {
      return { passed: false, code: 255, reason: a.stopReason ?? 'stopped', retryable: false };
    }
    const [command, ...args] = argv;
    if (hasProcFs) a.startTicks = uptimeTicks();
    const launched = await this.launch(command, args, env, cwd);
    if ('error' in launched) {
      const detail = launched.error;
      this.log(Severity.CRITICAL, `Caught exception launching ${this.ident}: ${detail}`);
      this.attr('pid', 0);
      return { passed: false, code: 255, reason: `could not start ${command}: ${detail}`, retryable: true };
    }
    const child = launched.child;
    const pid = child.pid!;
    a.child = child;
    a.pid = pid;
    a.startedAt = nowSeconds();
    a.running = true;
    this.lastActivity = Date.now();
    this.attr('pid', pid);

    let rawLog: RawLog | undefined;
    try {
      rawLog = this.store?.openRawLog(pid);
    } catch (error) {
      this.onDatabaseError(error);
    }
    const stdoutLines = this.lineSplitter('stdout');
    const stderrLines = this.lineSplitter('stderr');
    const streamClosed = (stream: NodeJS.ReadableStream | null) =>
      new Promise<void>((resolve) => (stream ? stream.once('close', () => resolve()) : resolve()));
    const closed = Promise.all([streamClosed(child.stdout), streamClosed(child.stderr)]);
    child.stdout!.on('data', (chunk: Buffer) => {
      this.chunkTime = nowSeconds();
      this.lastActivity = Date.now();
      rawLog?.write(chunk);
      stdoutLines.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.chunkTime = nowSeconds();
      this.lastActivity = Date.now();
      rawLog?.write(chunk);
      stderrLines.push(chunk);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

    this.emit({ type: 'started', pid, command: shellQuote(argv), attempt: a.number });
    this.requestUpdate(true);
    a.sampler = new TreeSampler(pid, pid);
    // The first sample a moment after the start, not at once: a sample reads the whole
    // process table, and a job that ends within it (`true`) would pay for nothing.
    this.firstSampleTimer = setTimeout(() => void this.sample(), Math.min(FIRST_SAMPLE_MS, this.sampleMs));
    this.firstSampleTimer.unref();
    this.sampleTimer = setInterval(() => void this.sample(), this.sampleMs);
    this.sampleTimer.unref();
    const timeout = this.spec.timeout;
    if (timeout !== undefined && timeout > 0) {
      this.timeoutTimer = setTimeout(() => this.stopAttempt(`timed out after ${timeout}s`, true), timeout * 1000);
      this.timeoutTimer.unref();
    }
    // A stop that arrived while launching.
    if (a.stopReason) this.terminate(a);

    const exit = await exited;
    a.running = false;
    clearTimeout(this.firstSampleTimer);
    clearInterval(this.sampleTimer);
    clearTimeout(this.timeoutTimer);
    await this.reap(a);
    if (a.killTimer) clearTimeout(a.killTimer);
    const timer = setTimeout(() => {
      // A process we could not find still holds the pipes: stop reading.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, PIPE_CLOSE_MS);
    await closed;
    clearTimeout(timer);
    this.chunkTime = nowSeconds();
    stdoutLines.end();
    stderrLines.end();
    rawLog?.close();
    a.sampler.dispose();
    this.emit({ type: 'exited', code: exit.code, signal: exit.signal, attempt: a.number });
    this.requestUpdate(true);
    return this.judge(a, exit.code, exit.signal);
  }

  private launch(
    command: string,
    args: string[],
    env: Record<string, string>,
    cwd: string,
  ): Promise<{ child: ChildProcess } | { error: string }> {
    try {
      if (!fs.statSync(cwd).isDirectory()) return Promise.resolve({ error: `working directory ${cwd} is not a directory` });
    } catch {
      return Promise.resolve({ error: `working directory ${cwd} does not exist` });
    }
    let child: ChildProcess;
    try {
      // Own process group (detached) so the whole job can be signalled; stdin is /dev/null.
      child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      return Promise.resolve({ error: errorText(error) });
    }
    if (child.pid !== undefined) {
      child.on('error', () => {
        /* later errors (failed kill) change nothing */
      });
      return Promise.resolve({ child });
    }
    return new Promise((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        const why =
          error.code === 'ENOENT'
            ? `command not found (${error.message})`
            : error.code === 'EACCES'
              ? `permission denied (${error.message})`
              : error.message;
        resolve({ error: why });
      });
    });
  }

  private lineSplitter(source: 'stdout' | 'stderr'): LineSplitter {
    const rules = this.rules;
    const fallback =
      source === 'stdout' ? Severity.INFO : this.spec.stderr_severity ? severityFromName(this.spec.stderr_severity) : Severity.ERROR;
    const sink =
      rules.length > 0
        ? (line: string) => this.record(classify(rules, line, fallback), line, this.chunkTime, source, true)
        : (line: string) => this.record(fallback, line, this.chunkTime, source, true);
    return new LineSplitter(sink, this.maxLineBytes);
  }

  /** Verdict of one finished attempt (before the wrapper's own failure message is logged). */
  private judge(a: AttemptState, code: number | null, signal: NodeJS.Signals | null): AttemptVerdict {
    if (a.stopReason) return { passed: false, code: 255, reason: a.stopReason, retryable: a.retryable };
    const exitCode = code ?? (signal ? -signalNumber(signal) : 255);
    const reasons: string[] = [];
    if (code !== 0) reasons.push(signal ? `killed by ${signal}` : `exited with code ${exitCode}`);
    const violation = this.violations(a);
    if (violation) reasons.push(violation);
    const reason = reasons.length > 0 ? reasons.join('; ') : undefined;
    return { passed: reason === undefined, code: exitCode, reason, retryable: true };
  }

  /** `1 ERROR message (limit 0): <first error line>` for every limit the attempt exceeds. */
  private violations(a: AttemptState): string | undefined {
    const out: string[] = [];
    for (let b = 0; b < 3; b++) {
      if (a.counts[b] > this.limits[b]) {
        out.push(`${plural(a.counts[b], `${severityName(LEVELS[b])} message`)} (limit ${this.limits[b]}): ${a.first[b] ?? ''}`);
      }
    }
    return out.length > 0 ? out.join('; ') : undefined;
  }

  private async finish(last: AttemptVerdict): Promise<WrapperOutcome> {
    const a = this.attempt;
    let result: JobResult;
    let reason: string | undefined;
    let code = last.code;
    if (this.fatalReason) {
      result = JobResult.FAILURE;
      reason = this.fatalReason;
      if (!a.pid) code = 255;
    } else if (last.passed) {
      result = JobResult.SUCCESS;
      reason = a.number > 1 ? `passed on attempt ${a.number}` : undefined;
    } else {
      result = JobResult.FAILURE;
      reason = last.reason ?? 'failed';
    }
    this.stoppedAt = nowSeconds();
    this.final = { result, code, reason };
    // Logged after the verdict was taken, so it does not decide it (it is counted, as in Python).
    if (result === JobResult.FAILURE) this.log(Severity.ERROR, `Job failed: ${reason}`);
    this.finished = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.updateThrottle);

    this.attr('exit', code);
    this.attr('stopped', this.stoppedAt);
    this.attr('result', result);
    if (reason !== undefined) this.attr('reason', reason);
    this.attr('attempts', a.number);

    const summary = this.summary();
    this.safeStore((s) => {
      s.setMetrics(OWN, summary.metrics);
      s.setMetrics(GROUP, summary.metrics);
    });
    this.emit({ type: 'summary', summary });
    await this.report(summary, result, code, reason);
    this.emit({ type: 'complete', result, code, ...(reason !== undefined ? { reason } : {}) });

    await this.server?.close().catch(() => undefined);
    this.reader?.close();
    this.store?.close();
    return {
      result,
      code,
      ...(reason !== undefined ? { reason } : {}),
      summary,
      attempts: a.number,
      dbFile: this.store?.dbFile ?? path.join(this.tracking, 'db.sqlite'),
    };
  }

  /** Final `update` and `complete` to the parent. */
  private async report(summary: Summary, result: JobResult, code: number, reason: string | undefined): Promise<void> {
    const parent = this.parent;
    this.updateAgain = false;
    while (this.updateInFlight) await this.updateInFlight;
    this.completing = true;
    if (!parent || this.parentLost || !parent.isOpen) return;
    try {
      await parent.request('update', payloadForParent(this.parentDialect, 'update', { ident: this.ident, summary, result }), { timeoutMs: UPDATE_TIMEOUT_MS });
    } catch (error) {
      this.log(Severity.WARNING, `The parent did not accept the final update: ${errorText(error)}`, false);
    }
    try {
      await parent.request(
        'complete',
        payloadForParent(this.parentDialect, 'complete', { ident: this.ident, code, result, summary, ...(reason !== undefined ? { reason } : {}) }),
        { timeoutMs: COMPLETE_TIMEOUT_MS },
      );
    } catch (error) {
      this.log(Severity.WARNING, `The parent did not accept the completion: ${errorText(error)}`, false);
    }
  }

  // ------------------------------------------------------------------ stopping

  private stopAttempt(reason: string, retryable: boolean): void {
    const a = this.attempt;
    if (a.stopReason) return;
    a.stopReason = reason;
    a.retryable = retryable;
    if (a.running) this.terminate(a);
  }

  /** SIGTERM to the job's process group (and escaped processes seen), SIGKILL after the grace. */
  private terminate(a: AttemptState): void {
    signalGroup(a.pid, 'SIGTERM');
    for (const p of a.sampler?.seen.values() ?? []) if (p.pgid !== a.pid) signalIfSame(p, 'SIGTERM');
    a.killTimer ??= setTimeout(() => {
      signalGroup(a.pid, 'SIGKILL');
      for (const p of a.sampler?.seen.values() ?? []) signalIfSame(p, 'SIGKILL');
    }, this.stopGraceMs);
  }

  /**
   * After the main process exited: end what is left of the job (its process
   * group, processes seen in its tree, and processes carrying this wrapper's
   * GATOR_PARENT), SIGTERM first, SIGKILL after the grace.
   */
  private async reap(a: AttemptState): Promise<void> {
    // The environment scan is the costly part: once, and only of processes younger than
    // the job (less a second for clock rounding); then only those pids are rechecked.
    let first = hasProcFs ? readProcTable() : undefined;
    const since = Math.max(0, a.startTicks - 100);
    const marked = first && this.jobAddress ? processesWithEnv(`${ENV.PARENT}=${this.jobAddress}`, first, since) : [];
    const leftovers = (): ProcEntry[] => {
      if (!hasProcFs) return signalGroup(a.pid, 0) ? [{ pid: -a.pid } as ProcEntry] : [];
      const table = first ?? readProcTable();
      first = undefined;
      const found = new Map<number, ProcEntry>();
      for (const p of jobProcesses(table, a.pid, a.pid)) found.set(p.pid, p);
      for (const p of [...(a.sampler?.seen.values() ?? []), ...marked]) {
        const now = table.get(p.pid);
        if (now && now.start === p.start) found.set(p.pid, now);
      }
      return [...found.values()];
    };
    const signal = (procs: ProcEntry[], sig: NodeJS.Signals) => {
      signalGroup(a.pid, sig);
      for (const p of procs) if (p.pid > 0) signalIfSame(p, sig);
    };
    let left = leftovers();
    if (left.length === 0) return;
    signal(left, 'SIGTERM');
    const deadline = Date.now() + this.stopGraceMs;
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      left = leftovers();
    }
    if (left.length === 0) return;
    signal(left, 'SIGKILL');
    const killDeadline = Date.now() + 2000;
    while (left.length > 0 && Date.now() < killDeadline) {
      await new Promise((r) => setTimeout(r, 20));
      left = leftovers();
    }
  }

  private onParentClosed(): void {
    if (this.finished || this.completing || this.parentLost) return;
    this.parentLost = true;
    this.fail('parent connection lost');
    this.log(Severity.ERROR, 'The connection to the parent was lost: stopping the job');
    this.stopRequested = true;
    this.stopAttempt('parent connection lost', false);
  }

  private onDatabaseError(error: unknown): void {
    if (this.databaseFailed) return;
    this.databaseFailed = true;
    const message = `database error: ${errorText(error)}`;
    this.fail(message);
    this.emit({ type: 'message', severity: Severity.CRITICAL, message: `Job failed: ${message}`, timestamp: nowSeconds(), source: 'wrapper' });
    this.stopAttempt(message, false);
  }

  /** Fails the job for a reason outside the job itself (first reason wins). */
  private fail(reason: string): void {
    this.fatalReason ??= reason;
    this.requestUpdate(true);
  }

  // ------------------------------------------------------------------ messages

  /** Stores, counts, reports and forwards one message. The hot path of job output. */
  private record(severity: number, message: string, timestamp: number, source: MessageSource, logFile: boolean): void {
    const a = this.attempt;
    const b = severity >= 50 ? 0 : severity >= 40 ? 1 : severity >= 30 ? 2 : severity >= 20 ? 3 : 4;
    const n = ++a.counts[b];
    this.totals[b]++;
    if (n === 1) a.first[b] = message;
    // The wrapper's own verdict line is not one of the job's errors.
    if (b < 2 && a.errors.length < FAILURE_ERROR_LINES && this.final === undefined) a.errors.push(message);
    const store = this.store;
    if (store !== undefined) store.addMessage({ severity, message, timestamp, logFile });
    else if (!this.databaseFailed) this.early.push({ severity, message, timestamp, logFile });
    if (this.onEvent !== undefined) this.emit({ type: 'message', severity, message, timestamp, source });
    if (this.forward && severity >= Severity.INFO) this.forwardMessage(severity, message, timestamp);
    if (b < 3 && n > this.limits[b] && !a.crossed[b] && this.final === undefined) this.limitCrossed(a, b);
  }

  /** A message of the wrapper itself. */
  private log(severity: number, message: string, logFile = true): void {
    this.record(severity, message, nowSeconds(), 'wrapper', logFile);
  }

  private limitCrossed(a: AttemptState, b: number): void {
    a.crossed[b] = true;
    this.log(Severity.INFO, `${severityName(LEVELS[b])} message count of ${a.counts[b]} exceeds provided limit of ${this.limits[b]}`);
    if (a.number >= this.maxAttempts && !this.failingEarly) {
      this.failingEarly = true;
      this.requestUpdate(true);
    }
  }

  private forwardMessage(severity: number, message: string, timestamp: number): void {
    const parent = this.parent!;
    if (parent.bufferedAmount > FORWARD_BUFFER_LIMIT) {
      this.forwardSkipped++;
      return;
    }
    parent.post('log', payloadForParent(this.parentDialect, 'log', { timestamp: Math.floor(timestamp), severity: severityName(severity), message }));
  }

  private emit(event: WrapperEvent): void {
    const listener = this.onEvent;
    if (!listener) return;
    try {
      listener(event);
    } catch {
      // A failing listener must not break the job's capture.
    }
  }

  // ------------------------------------------------------------------ job API

  private jobHandlers(): Handlers {
    return {
      log: async (payload, { posted }) => {
        const severity = severityFromName(payload.severity);
        // The same cap as output lines: a job cannot store a 16 MiB message by the API either.
        const message = capMessage((payload.message ?? 'N/A').trim(), this.maxLineBytes);
        this.lastActivity = Date.now();
        this.record(severity, message, payload.timestamp ?? nowSeconds(), 'api', true);
        // An acknowledged message must survive a crash of the wrapper.
        if (!posted && this.store) await this.store.durable();
        return {};
      },
      metric: (payload) => {
        // A metric is a sign of life, as a message is (hang detection).
        this.lastActivity = Date.now();
        this.jobMetrics.set(payload.name, payload.value);
        this.safeStore((s) => s.setMetric(OWN, payload.name, payload.value));
        return { result: 'success' as const };
      },
      get_messages: (payload) => this.getMessages(payload),
      resolve: (payload) => this.resolve(payload),
    };
  }

  private parentHandlers(): Handlers {
    return {
      stop: () => {
        this.stop();
        return {};
      },
      get_messages: (payload) => this.getMessages(payload),
      resolve: (payload) => this.resolve(payload),
    };
  }

  private getMessages(payload: RequestPayload<'get_messages'>): ResponsePayload<'get_messages'> {
    const after = payload.after ?? 0;
    const limit = Math.min(payload.limit ?? 10, MAX_PAGE);
    const store = this.store;
    if (!store || this.databaseFailed) throw new Error(`The messages of ${this.ident} cannot be read: ${this.fatalReason ?? 'no database'}`);
    store.flush();
    this.reader ??= openLayerReader(store.dbFile);
    const messages = limit > 0 ? this.reader.messages({ after, limit }) : [];
    return {
      messages: messages.map((m) => ({ uid: m.uid, severity: m.severity, message: m.message, timestamp: Math.floor(m.timestamp) })),
      total: this.reader.countMessages(),
      status: JobState.STARTED,
    };
  }

  private resolve(payload: RequestPayload<'resolve'>): ApiJob {
    const child = payload.root_path[0] ?? payload.nest_path?.[0];
    if (child !== undefined) throw new Error(`'${child}' is not a child of ${this.ident}: a job has no children`);
    const summary = this.summary();
    return {
      uidx: this.uidx,
      root: this.root,
      path: this.path,
      ident: this.ident,
      status: this.finished ? JobState.COMPLETE : JobState.STARTED,
      metrics: summary.metrics,
      server_url: this.server?.address ?? '',
      db_file: this.store?.dbFile ?? path.join(this.tracking, 'db.sqlite'),
      owner: null,
      started: this.startedAt,
      updated: this.updatedAt ?? null,
      stopped: this.stoppedAt ?? null,
      result: this.currentResult(),
      children: [],
      expected_children: 0,
    };
  }

  // ------------------------------------------------------------------ heartbeat

  private heartbeat(): void {
    if (this.finished) return;
    this.updatedAt = nowSeconds();
    if (this.forwardSkipped > 0) {
      const skipped = this.forwardSkipped;
      this.forwardSkipped = 0;
      this.log(Severity.INFO, `${plural(skipped, 'message')} not forwarded to the parent (connection busy); all are stored in ${this.tracking}`);
    }
    const summary = this.summary();
    this.safeStore((s) => {
      s.setMetrics(OWN, summary.metrics);
      s.setMetrics(GROUP, summary.metrics);
    });
    this.emit({ type: 'summary', summary });
    this.requestUpdate(false);
  }

  /** Ask for an `update` to the parent: never two in flight; urgent ones throttled to one per 250 ms. */
  private requestUpdate(urgent: boolean): void {
    const parent = this.parent;
    if (!parent || this.completing || this.parentLost || this.final) return;
    if (this.updateInFlight) {
      this.updateAgain = true;
      return;
    }
    const wait = this.lastUpdateAt + UPDATE_THROTTLE_MS - Date.now();
    if (urgent && wait > 0) {
      if (!this.updateThrottle) {
        this.updateThrottle = setTimeout(() => {
          this.updateThrottle = undefined;
          this.requestUpdate(true);
        }, wait);
        this.updateThrottle.unref();
      }
      return;
    }
    clearTimeout(this.updateThrottle);
    this.updateThrottle = undefined;
    this.lastUpdateAt = Date.now();
    const summary = this.summary();
    this.updateInFlight = parent
      .request('update', payloadForParent(this.parentDialect, 'update', { ident: this.ident, summary, result: this.currentResult() }), {
        timeoutMs: UPDATE_TIMEOUT_MS,
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (parent.isOpen) this.log(Severity.WARNING, `The parent did not accept an update: ${errorText(error)}`);
        },
      )
      .finally(() => {
        this.updateInFlight = undefined;
        if (this.updateAgain) {
          this.updateAgain = false;
          this.requestUpdate(true);
        }
      });
  }

  private currentResult(): JobResult {
    if (this.final) return this.final.result;
    return this.fatalReason || this.failingEarly ? JobResult.FAILURE : JobResult.UNKNOWN;
  }

  private summary(): Summary {
    const a = this.attempt;
    const done = this.final;
    const metrics: Record<string, number> = {
      sub_total: 1,
      sub_active: done ? 0 : 1,
      sub_passed: done?.result === JobResult.SUCCESS ? 1 : 0,
      sub_failed: done && done.result !== JobResult.SUCCESS ? 1 : 0,
    };
    for (let b = 0; b < 5; b++) metrics[COUNT_METRICS[b]] = this.totals[b];
    // Jobs only (sub_* count tiers too), after Python's nine: summed up the tree
    // like every metric, so the root can say "3 of 5 jobs passed".
    metrics.jobs_passed = done?.result === JobResult.SUCCESS ? 1 : 0;
    metrics.jobs_failed = done && done.result !== JobResult.SUCCESS ? 1 : 0;
    for (const [name, value] of this.jobMetrics) if (!BUILTIN.has(name)) metrics[name] = value;
    const result = this.currentResult();
    const summary: Summary = {
      metrics,
      failed_ids: result === JobResult.FAILURE ? [[this.ident]] : [],
      running_ids: a.running ? [[this.ident]] : [],
    };
    if (a.running && a.startedAt !== undefined) summary.running_since = [a.startedAt];
    if (result === JobResult.FAILURE) {
      const reason = done?.reason ?? this.fatalReason ?? this.violations(a) ?? 'failed';
      const signature = failureSignature(a.errors[0] ?? reason);
      const failure: Failure = {
        path: [this.ident],
        reason,
        errors: a.errors.slice(0, FAILURE_ERROR_LINES),
        log: this.tracking,
        signature,
      };
      if (this.maxAttempts > 1) failure.attempt = a.number;
      summary.failures = [failure];
      // This job's share of its ancestors' failure buckets (they add these up).
      summary.buckets = [{ signature, count: 1, examples: [[this.ident]] }];
    }
    // So the root can say "passed on attempt 2" (it only ever sees summaries).
    if (a.number > 1) summary.retried = [{ path: [this.ident], attempt: a.number, result }];
    if (this.jobMetrics.size > 0) {
      const stats: NonNullable<Summary['stats']> = {};
      for (const [name, value] of this.jobMetrics) stats[name] = { count: 1, sum: value, min: value, max: value };
      summary.stats = stats;
    }
    return summary;
  }

  // ------------------------------------------------------------------ sampling

  private async sample(): Promise<void> {
    const a = this.attempt;
    const sampler = a.sampler;
    if (!sampler || !a.running) return;
    const s = await sampler.sample();
    if (!a.running && s.nproc === 0) return;
    this.safeStore((store) => store.addProcStat({ nproc: s.nproc, cpu: s.cpu, mem: s.mem, vmem: s.vmem, timestamp: nowSeconds() }));
    const { cores, memoryMb } = jobResources(this.spec);
    const cpuOver = cores > 0 && s.cpu > 100 * cores;
    if (cpuOver && !this.cpuOver) {
      this.log(Severity.WARNING, `Job is using ${Math.round(s.cpu)}% CPU, more than the ${plural(cores, 'core')} it requested`);
    }
    this.cpuOver = cpuOver;
    const memOver = memoryMb > 0 && s.mem > memoryMb * 1_000_000;
    if (memOver && !this.memOver) {
      this.log(Severity.WARNING, `Job is using ${Math.round(s.mem / 1_000_000)} MB of memory, more than the ${memoryMb} MB it requested`);
    }
    this.memOver = memOver;
    if (s.cpu >= HANG_CPU_PERCENT) this.lastActivity = Date.now();
    const hang = this.spec.hang_timeout;
    if (hang !== undefined && hang > 0 && a.running && Date.now() - this.lastActivity >= hang * 1000) {
      this.stopAttempt(`hung: no output and no CPU for ${hang}s`, true);
    }
  }

  // ------------------------------------------------------------------ store helpers

  private attr(name: string, value: string | number): void {
    this.safeStore((s) => s.setAttribute(name, value));
  }

  private safeStore<T>(action: (store: LayerStore) => T): T | undefined {
    const store = this.store;
    if (!store) return undefined;
    try {
      return action(store);
    } catch (error) {
      this.onDatabaseError(error);
      return undefined;
    }
  }
}

/** A wrapper for one job; call `run()` to run it. */
export function createWrapper(options: WrapperOptions): Wrapper {
  return new JobWrapper(options);
}

/** Run one job to completion. */
export function runWrapper(options: WrapperOptions): Promise<WrapperOutcome> {
  return createWrapper(options).run();
}

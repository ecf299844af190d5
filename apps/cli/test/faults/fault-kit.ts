/**
 * The fault suite's kit: a `gator run` whose every process is accounted for
 * (sampled while it runs, and found by a marker variable in the environment
 * at the end), a final check that none is left (leftovers are ended by pid and
 * counted), a check that the run's secret leaked into no argv and no file, and
 * the suite's counters, merged into test-results/faults.json.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { descendants, isAlive, startGator, waitFor, type GatorRun } from '../helpers.js';

/** Name of the variable that marks every process of one run (inherited by tiers, wrappers and jobs). */
export const RUN_MARKER = 'GATOR_FAULT_RUN';
const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-results/faults.json');

export interface FaultRun extends GatorRun {
  marker: string;
  /** Every pid seen in the run's tree (the root included). */
  pids: Set<number>;
  /** argv of every process seen, by pid (the latest seen). */
  argv: Map<number, string>;
  /** Every argv ever seen in the run. */
  allArgv: Set<string>;
  /** The run's read token (given to the root). */
  token: string | undefined;
  /** Sample the tree now (the background sampler also does, every 100 ms). */
  sample(): void;
  /** Stop sampling. */
  stopSampling(): void;
}

function readEnviron(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return [];
  }
}

/** argv of a process joined by spaces ('' when it is gone). */
export function cmdlineOf(pid: number): string {
  return readCmdline(pid) ?? '';
}

function readCmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Live pids whose environment carries `RUN_MARKER=marker`. */
export function markedProcesses(marker: string): number[] {
  const entry = `${RUN_MARKER}=${marker}`;
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (readEnviron(pid).includes(entry) && isAlive(pid)) out.push(pid);
  }
  return out;
}

/**
 * Start `gator ARGS` with its processes accounted for. The root is given its
 * read token (GATOR_TOKEN, which it takes out of its environment), so the kit
 * knows the run's secret to look for in argv and files.
 */
export function startRun(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): FaultRun {
  const marker = randomUUID();
  const token = options.env?.GATOR_TOKEN ?? randomBytes(18).toString('base64url');
  const run = startGator(args, { cwd: options.cwd, env: { GATOR_TOKEN: token, ...options.env, [RUN_MARKER]: marker } }) as FaultRun;
  run.marker = marker;
  run.pids = new Set([run.child.pid!]);
  run.argv = new Map();
  run.allArgv = new Set();
  run.token = token;
  const see = (pid: number) => {
    run.pids.add(pid);
    // Read again each time: between fork and exec a process still shows its parent's argv.
    const cmd = readCmdline(pid);
    if (cmd) {
      run.argv.set(pid, cmd);
      run.allArgv.add(cmd);
    }
  };
  run.sample = () => {
    if (run.child.pid === undefined) return;
    see(run.child.pid);
    for (const pid of descendants(run.child.pid)) see(pid);
  };
  const timer = setInterval(() => run.sample(), 100);
  timer.unref();
  run.stopSampling = () => clearInterval(timer);
  void run.done.then(() => clearInterval(timer));
  run.sample();
  return run;
}

// ---------------------------------------------------------------- counters

export interface FaultCounts {
  faultsInjected: number;
  badSpecs: number;
  hostileFrames: number;
  processesLeft: number;
  messagesLost: number;
  /** Acknowledged messages checked on disk after a kill. */
  messagesAcknowledged: number;
  /** Named measurements (e.g. ms until every child of a killed root exited). */
  measurements: Record<string, number>;
}

const counts: FaultCounts = {
  faultsInjected: 0,
  badSpecs: 0,
  hostileFrames: 0,
  processesLeft: 0,
  messagesLost: 0,
  messagesAcknowledged: 0,
  measurements: {},
};

export function countFault(n = 1): void {
  counts.faultsInjected += n;
}
export function countBadSpecs(n: number): void {
  counts.badSpecs += n;
}
export function countFrames(n: number): void {
  counts.hostileFrames += n;
}
export function countMessages(acknowledged: number, lost: number): void {
  counts.messagesAcknowledged += acknowledged;
  counts.messagesLost += lost;
}
export function measure(name: string, value: number): void {
  counts.measurements[name] = Math.round(value);
}

export function summaryLine(c: FaultCounts): string {
  return `faults: ${c.faultsInjected} injected, ${c.badSpecs} bad specs, ${c.hostileFrames} hostile frames, ${c.processesLeft} processes left, ${c.messagesLost} messages lost`;
}

/**
 * Add this file's counts to test-results/faults.json (files run one after the
 * other; a file from another `vitest run` is started afresh) and print the line.
 */
export function flushCounts(fileUrl: string): void {
  const file = fileURLToPath(fileUrl);
  const runId = process.env.GATOR_TEST_RUN_ID ?? 'standalone';
  let stored: { runId: string; files: Record<string, FaultCounts> } = { runId, files: {} };
  try {
    const previous = JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as typeof stored;
    if (previous.runId === runId && previous.files) stored = previous;
  } catch {
    /* first file of this run */
  }
  stored.files[path.basename(file)] = structuredClone(counts);
  const total: FaultCounts = { faultsInjected: 0, badSpecs: 0, hostileFrames: 0, processesLeft: 0, messagesLost: 0, messagesAcknowledged: 0, measurements: {} };
  for (const [name, c] of Object.entries(stored.files)) {
    total.faultsInjected += c.faultsInjected;
    total.badSpecs += c.badSpecs;
    total.hostileFrames += c.hostileFrames;
    total.processesLeft += c.processesLeft;
    total.messagesLost += c.messagesLost;
    total.messagesAcknowledged += c.messagesAcknowledged;
    for (const [k, v] of Object.entries(c.measurements)) total.measurements[`${name.replace(/\.test\.ts$/, '')}: ${k}`] = v;
  }
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify({ ...stored, total, line: summaryLine(total) }, null, 2)}\n`);
  console.log(`${summaryLine(total)}  (${Object.keys(stored.files).length} fault files; ${path.relative(process.cwd(), RESULTS)})`);
}

// ---------------------------------------------------------------- end-of-case checks

/**
 * Every process of the run must end (within `timeoutMs`); leftovers are
 * SIGKILLed by pid, counted, and fail the case.
 */
export async function expectNoneLeft(run: FaultRun, timeoutMs = 20_000): Promise<void> {
  run.sample();
  const living = () => [...new Set([...run.pids, ...markedProcesses(run.marker)])].filter(isAlive);
  let left: number[] = [];
  try {
    await waitFor(() => (left = living()).length === 0, timeoutMs, 'every process of the run to end');
  } catch {
    /* reported below */
  }
  run.stopSampling();
  if (left.length === 0) return;
  const described = left.map((pid) => `  ${pid} ${readCmdline(pid) ?? '?'}`);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  counts.processesLeft += left.length;
  expect.fail(`${left.length} process(es) of the run were still running:\n${described.join('\n')}`);
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The run's secret is in no process's argv and in no file of its tracking directory. */
export function expectSecretKept(run: FaultRun, trackingDir: string): void {
  const token = run.token;
  if (!token) return;
  for (const argv of run.allArgv) expect(argv.includes(token), `an argv (${argv}) holds the run token`).toBe(false);
  const needle = Buffer.from(token);
  for (const file of filesUnder(trackingDir)) {
    expect(fs.readFileSync(file).includes(needle), `${file} holds the run token`).toBe(false);
  }
  expect(run.stdout.includes(token) || run.stderr.includes(token), 'the console output holds the run token').toBe(false);
}

/** Pid of the first process of the run whose argv matches. */
export function findProcess(run: FaultRun, pattern: RegExp): number | undefined {
  run.sample();
  for (const [pid, argv] of run.argv) if (pattern.test(argv) && isAlive(pid)) return pid;
  return undefined;
}

/** Wait for a process of the run whose argv matches. */
/** The command line of a layer process (the CLI or the lean child entry) started as `--id ID`. */
export function layerWithId(id: string): RegExp {
  return new RegExp(`(?:cli\\.js|child\\.cjs) .*--id ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `);
}

export async function waitForProcess(run: FaultRun, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<number> {
  let pid: number | undefined;
  await waitFor(() => {
    if (run.code !== null || run.signal !== null) throw new Error(`the run ended before ${what}:\n${run.stdout}\n${run.stderr}`);
    return (pid = findProcess(run, pattern)) !== undefined;
  }, timeoutMs, what);
  return pid!;
}

/** Environment of a process, as a map. */
export function environmentOf(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of readEnviron(pid)) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** No output line looks like a stack trace or an internal error. */
export function expectNoCrash(run: GatorRun): void {
  const text = run.stdout + run.stderr;
  expect(text, 'a stack trace in the output').not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$|^ {4}at /m);
  expect(text).not.toMatch(/internal error/i);
}

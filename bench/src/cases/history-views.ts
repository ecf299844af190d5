/**
 * history views (issue 19, scale): `gator diff` (the latest run against the
 * one before), `gator history JOB_PATH` and the hub's
 * `GET /api/job/<uid>/history?path=JOB_PATH`, its runs list (`GET /api/jobs`)
 * and the spec's pass-rate trend (`GET /api/job/<uid>/trend`) over a history of
 * 30 runs of a 10,000-job spec (quick: 3 runs of 500), each against 1 s. The
 * runs list and the trend count every run they show: their figure is the cold
 * request (a hub that has read none of the runs yet), the warm ones are in the
 * details.
 *
 * The runs are written with @gator/db's store, as a finished run leaves them
 * (a root tier, tiers of 1,000 jobs, each job's database with its attributes,
 * attempts, messages and metrics; ChildEntry rows and roll-ups that agree),
 * not run: 300,000 real jobs would take the shared machine most of a day. A
 * job that passes on its first attempt is the same file in every run (a hard
 * link to one written once): each run still has 10,000 job databases; the
 * jobs that fail, pass on a retry or get slower in a run are written for that
 * run. Built once, kept under the bench's work directory (`.work/`, or
 * GATOR_BENCH_WORK), keyed by the sizes and the fixture's version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLayerStore } from '@gator/db';
import { JobResult, layerFile } from '@gator/protocol';
import type { BenchCase, BenchContext } from '../context.js';
import { judge, type Row } from '../report.js';
import { BenchError, cliPath, median, nowMs, waitFor } from '../measure.js';

/** Bump when the fixture's files change: a cached history of another version is rebuilt. */
const FIXTURE_VERSION = 1;
const PER_TIER = 1000;
const DAY = 86_400;
const T0 = 1_700_000_000;
/** The job `gator history` and the hub are asked about: one that fails now and then. */
const WATCHED = 'block_0.job_97';

type Fate = 'pass' | 'fail' | 'flaky' | 'slow';

/** What job `i` comes to in run `r`: a few jobs change from run to run, as in a regression. */
function fateOf(i: number, r: number): Fate {
  if ((i + r) % 97 === 0) return 'fail';
  if ((i * 7 + r) % 499 === 0) return 'flaky';
  if ((i + 3 * r) % 331 === 0) return 'slow';
  return 'pass';
}

interface JobEnd {
  result: number;
  started: number;
  stopped: number;
  attempt: number;
  fate: Fate;
}

/** One job's database as its wrapper leaves it. */
function writeJob(dir: string, ident: string, pathAttr: string, uidx: number, fate: Fate, started: number): JobEnd {
  const store = openLayerStore({ dir, kind: 'wrapper', batchSize: 100_000, flushIntervalMs: 60_000 });
  const failed = fate === 'fail';
  const attempts = fate === 'flaky' ? 2 : 1;
  const stopped = started + (fate === 'slow' ? 9 : 2);
  store.setAttribute('ident', ident);
  store.setAttribute('uidx', uidx);
  store.setAttribute('root', 0);
  store.setAttribute('path', pathAttr);
  store.setAttribute('cmd', `./sim ${ident}`);
  store.setAttribute('cwd', '/tmp');
  store.setAttribute('started', started);
  let t = started;
  for (let a = 1; a <= attempts; a++) {
    const uid = store.addAttempt({ attempt: a, started: t });
    store.addMessage({ severity: 20, message: `${ident} attempt ${a} starting`, timestamp: t + 0.01 });
    const bad = failed || a < attempts;
    if (bad) store.addMessage({ severity: 40, message: `${ident} assertion failed at cycle ${uidx * 10}`, timestamp: t + 0.5 });
    t = a === attempts ? stopped : t + 1;
    store.updateAttempt(uid, { stopped: t, exit: bad ? 1 : 0, result: bad ? JobResult.FAILURE : JobResult.SUCCESS, reason: bad ? 'exited with code 1' : null });
  }
  const errors = failed ? 1 : attempts - 1;
  store.setMetrics('_OWN_', { sub_total: 1, sub_active: 0, sub_passed: failed ? 0 : 1, sub_failed: failed ? 1 : 0, msg_critical: 0, msg_error: errors, msg_warning: 0, msg_info: attempts, msg_debug: 0 });
  store.setAttribute('exit', failed ? 1 : 0);
  store.setAttribute('result', failed ? JobResult.FAILURE : JobResult.SUCCESS);
  store.setAttribute('outcome', failed ? 'failed' : 'passed');
  if (failed) store.setAttribute('outcome_kind', 'exit');
  if (failed) store.setAttribute('reason', 'exited with code 1');
  else if (attempts > 1) store.setAttribute('reason', `passed on attempt ${attempts}`);
  store.setAttribute('stopped', stopped);
  store.close();
  return { result: failed ? JobResult.FAILURE : JobResult.SUCCESS, started, stopped, attempt: attempts, fate };
}

interface Tally {
  total: number;
  passed: number;
  failed: number;
}

/** A tier with its ChildEntry rows and roll-up, as a finished tier leaves it. */
function writeTier(
  dir: string,
  ident: string,
  pathAttr: string,
  uidx: number,
  started: number,
  children: { ident: string; dbFile: string; expected: number; end: JobEnd; failures: object[]; retried: object[]; tally: Tally }[],
): { result: number; failures: object[]; retried: object[]; tally: Tally } {
  const store = openLayerStore({ dir, kind: 'tier', batchSize: 100_000, flushIntervalMs: 60_000 });
  store.setAttribute('ident', ident);
  store.setAttribute('uidx', uidx);
  store.setAttribute('root', 0);
  store.setAttribute('path', pathAttr);
  store.setAttribute('started', started);
  const prefix = (p: string[]) => [ident, ...p];
  const failures: { path: string[] }[] = [];
  const retried: { path: string[] }[] = [];
  const tally: Tally = { total: 0, passed: 0, failed: 0 };
  let stopped = started;
  for (const child of children) {
    const u = store.addChild({ ident: child.ident, dbFile: child.dbFile, expectedChildren: child.expected });
    // The tier's clock: the child registers a little after it starts and completes a little after it ends.
    store.updateChild(u, { serverUrl: '127.0.0.1:1', started: child.end.started + 0.004, updated: child.end.stopped + 0.003, stopped: child.end.stopped + 0.003, result: child.end.result });
    for (const f of child.failures as { path: string[] }[]) failures.push({ ...f, path: prefix(f.path) });
    for (const r of child.retried as { path: string[] }[]) retried.push({ ...r, path: prefix(r.path) });
    tally.total += child.tally.total;
    tally.passed += child.tally.passed;
    tally.failed += child.tally.failed;
    stopped = Math.max(stopped, child.end.stopped + 0.01);
  }
  const result = tally.failed > 0 ? JobResult.FAILURE : JobResult.SUCCESS;
  const jobs = { total: tally.total, passed: tally.passed, failed: tally.failed, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 };
  const metrics = { sub_total: tally.total + 1, sub_active: 0, sub_passed: tally.passed, sub_failed: tally.failed, jobs_passed: tally.passed, jobs_failed: tally.failed };
  store.setMetrics('_GROUP_', metrics);
  store.setAttribute(
    'summary',
    JSON.stringify({ metrics, failed_ids: failures.map((f) => f.path), running_ids: [], running_since: [], ...(failures.length ? { failures } : {}), ...(retried.length ? { retried } : {}), jobs }),
  );
  store.setAttribute('stopped', stopped);
  store.setAttribute('result', result);
  store.setAttribute('outcome', result === JobResult.SUCCESS ? 'passed' : 'failed');
  store.close();
  return { result, failures, retried, tally };
}

/** Run `r` of the history under `runDir`; passing jobs are links to `template/<i>`. */
function writeRun(runDir: string, r: number, jobs: number, template: string): void {
  const started = T0 + r * DAY;
  const root = 'hist';
  const tiers = [];
  for (let b = 0, first = 0; first < jobs; b++, first += PER_TIER) {
    const tierIdent = `block_${b}`;
    const tierDir = path.join(runDir, tierIdent);
    fs.mkdirSync(tierDir, { recursive: true });
    const children = [];
    for (let i = first; i < Math.min(jobs, first + PER_TIER); i++) {
      const ident = `job_${i}`;
      const dir = path.join(tierDir, ident);
      const fate = fateOf(i, r);
      let end: JobEnd;
      if (fate === 'pass') {
        fs.mkdirSync(dir);
        fs.linkSync(layerFile(path.join(template, String(i)), 'db'), layerFile(dir, 'db'));
        end = { result: JobResult.SUCCESS, started: T0 + i * 0.001, stopped: T0 + i * 0.001 + 2, attempt: 1, fate };
      } else {
        end = writeJob(dir, ident, `${root}.${tierIdent}`, i - first + 1, fate, started + 1 + i * 0.001);
      }
      const failures = fate === 'fail' ? [{ path: [ident], reason: 'exited with code 1', kind: 'exit', log: dir, signature: 'exited with code <n>' }] : [];
      const retried = end.attempt > 1 ? [{ path: [ident], attempt: end.attempt, result: end.result }] : [];
      const tally = { total: 1, passed: fate === 'fail' ? 0 : 1, failed: fate === 'fail' ? 1 : 0 };
      children.push({ ident, dbFile: layerFile(dir, 'db'), expected: 0, end, failures, retried, tally });
    }
    const tier = writeTier(tierDir, tierIdent, root, b + 1, started + 0.5, children);
    tiers.push({ ident: tierIdent, dbFile: layerFile(tierDir, 'db'), expected: children.length, end: { result: tier.result, started: started + 0.5, stopped: started + 20, attempt: 1, fate: 'pass' as Fate }, failures: tier.failures, retried: tier.retried, tally: tier.tally });
  }
  writeTier(runDir, root, '', 0, started, tiers);
}

/** The passing job `i` as every run has it. */
function writeTemplate(template: string, jobs: number): void {
  for (let i = 0; i < jobs; i++) {
    const b = Math.floor(i / PER_TIER);
    writeJob(path.join(template, String(i)), `job_${i}`, `hist.block_${b}`, (i % PER_TIER) + 1, 'pass', T0 + i * 0.001);
  }
}

function workDir(): string {
  return process.env.GATOR_BENCH_WORK ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.work');
}

/** The cached history of `runs` runs of `jobs` jobs (built when missing): its directory. */
export function historyFixture(jobs: number, runs: number, progress: (text: string) => void): string {
  const dir = path.join(workDir(), `history-v${FIXTURE_VERSION}-${jobs}x${runs}`);
  if (fs.existsSync(path.join(dir, 'complete'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = nowMs();
  progress(`history views: writing ${runs} runs of ${jobs.toLocaleString('en-US')} jobs once (kept in ${dir})`);
  const template = path.join(dir, 'template');
  writeTemplate(template, jobs);
  for (let r = 0; r < runs; r++) writeRun(path.join(dir, 'tracking', `run-${String(r).padStart(2, '0')}`), r, jobs, template);
  fs.writeFileSync(path.join(dir, 'complete'), `${JSON.stringify({ jobs, runs, seconds: (nowMs() - t0) / 1000 })}\n`);
  return dir;
}

/** `gator ARGS` to its end, timed from spawn to exit; its whole output kept (`run` keeps the last 64 KiB, a diff of 10,000 jobs prints more). */
async function timedCli(args: string[], cwd: string, okCodes: number[]): Promise<{ ms: number; stdout: string }> {
  const { spawn } = await import('node:child_process');
  const t0 = nowMs();
  const child = spawn(process.execPath, [cliPath(), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const ms = nowMs() - t0;
  if (code === null || !okCodes.includes(code)) throw new BenchError(`gator ${args.join(' ')} ended with ${code}`, stderr);
  return { ms, stdout: Buffer.concat(out).toString('utf8') };
}

async function timedGet(url: string): Promise<{ ms: number; body: string }> {
  const t0 = nowMs();
  const res = await fetch(url);
  const body = await res.text();
  const ms = nowMs() - t0;
  if (!res.ok) throw new BenchError(`GET ${url}: HTTP ${res.status}`, body.slice(0, 2000));
  return { ms, body };
}

const REPEAT = 3;

/** `cold`: the figure is the first (cold) sample, not the median. */
function row(variant: string, samples: number[], details: Record<string, unknown>, cold = false): Row {
  const s = (cold ? samples[0]! : median(samples)) / 1000;
  return judge({
    case: 'history views',
    variant,
    figure: { value: s, unit: 's' },
    baseline: { value: 1, unit: 's' },
    ratio: s / 1,
    target: { kind: 'max', value: 1, of: 'ratio', text: '≤ 1× (1 s)' },
    details: { samples_ms: samples.map((ms) => Math.round(ms)), cold_ms: Math.round(samples[0]!), ...details },
  });
}

export const historyViews: BenchCase = {
  id: 'history',
  name: 'history views',
  async run(ctx: BenchContext): Promise<Row[]> {
    const jobs = ctx.size(10_000, 500);
    const runs = ctx.quick ? 3 : Math.max(2, Math.round(30 * Math.min(1, ctx.scale)));
    const build0 = nowMs();
    const dir = historyFixture(jobs, runs, (t) => ctx.progress(t));
    const buildSeconds = (nowMs() - build0) / 1000;
    const sizes = { jobs, runs, fixture: dir, build_seconds: Math.round(buildSeconds * 10) / 10 };
    ctx.progress(`history views: gator diff, gator history ${WATCHED}, the hub's history, over ${runs} runs of ${jobs.toLocaleString('en-US')} jobs`);
    const rows: Row[] = [];

    const diff: number[] = [];
    let counts: unknown;
    for (let i = 0; i < REPEAT; i++) {
      const done = await timedCli(['diff', '--json'], dir, [0, 1]);
      diff.push(done.ms);
      counts = (JSON.parse(done.stdout) as { counts: unknown }).counts;
    }
    rows.push(row(`gator diff (${jobs.toLocaleString('en-US')} jobs, latest vs previous)`, diff, { ...sizes, counts }));

    const history: number[] = [];
    let shown = 0;
    for (let i = 0; i < REPEAT; i++) {
      const done = await timedCli(['history', WATCHED, '--json', '--last', String(runs)], dir, [0]);
      history.push(done.ms);
      shown = (JSON.parse(done.stdout) as { rows: unknown[] }).rows.length;
    }
    if (shown !== runs) throw new BenchError(`gator history ${WATCHED} showed ${shown} runs of ${runs}`);
    rows.push(row(`gator history ${WATCHED} (${runs} runs)`, history, { ...sizes, rows: shown }));

    rows.push(...(await hubViews(dir, runs, jobs, sizes)));
    return rows;
  },
};

/** `gator hub` on `database` in `dir`, listening; `stop` ends it. */
async function startHub(dir: string, database: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const hub = spawn(process.execPath, [cliPath(), 'hub', '--port', '0', '--database', database], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  hub.stdout.on('data', (d: Buffer) => (out += d.toString()));
  hub.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async () => {
    hub.kill('SIGTERM');
    await new Promise((resolve) => (hub.exitCode !== null ? resolve(null) : hub.once('exit', resolve)));
  };
  try {
    const url = await waitFor('the hub to listen', () => /listening on (http:\/\/\S+)/.exec(out)?.[1]?.replace(/\/$/, ''), 60_000);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A hub (`gator hub`) that knows every run of the history: times its runs list
 * (cold: the hub has read no run yet), `/api/job/<latest>/history?path=…`,
 * and, on a second hub over the same database (cold again), the spec's trend.
 */
async function hubViews(dir: string, runs: number, jobs: number, sizes: Record<string, unknown>): Promise<Row[]> {
  const database = path.join(dir, `hub-${process.pid}.sqlite`);
  const rows: Row[] = [];
  try {
    let hub = await startHub(dir, database);
    let latest = 0;
    try {
      for (const name of fs.readdirSync(path.join(dir, 'tracking')).sort()) {
        const reg = (await (await fetch(`${hub.url}/api/register`, { method: 'POST', body: JSON.stringify({ ident: 'hist', url: '127.0.0.1:1', layer: 'tier', owner: 'bench' }) })).json()) as { uid: number };
        await fetch(`${hub.url}/api/job/${reg.uid}/complete`, { method: 'POST', body: JSON.stringify({ db_file: layerFile(path.join(dir, 'tracking', name), 'db'), result: 2 }) });
        latest = reg.uid;
      }
      const list: number[] = [];
      let listed: { outcome?: string; summary: { jobs?: Tally } }[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const got = await timedGet(`${hub.url}/api/jobs?limit=${runs}`);
        list.push(got.ms);
        listed = (JSON.parse(got.body) as { children: typeof listed }).children;
      }
      const counted = listed.filter((r) => r.summary.jobs?.total === jobs && r.outcome !== undefined).length;
      if (counted !== runs) throw new BenchError(`the hub's runs list counted ${jobs} jobs and a verdict for ${counted} of ${runs} runs`);
      const failedJobs = listed.map((r) => r.summary.jobs!.failed);
      rows.push(row(`hub /api/jobs (${runs} runs, each with its jobs and verdict; cold)`, list, { ...sizes, warm_ms: list.slice(1).map(Math.round), failed_jobs: failedJobs }, true));

      const samples: number[] = [];
      let seen = 0;
      for (let i = 0; i < REPEAT; i++) {
        const got = await timedGet(`${hub.url}/api/job/${latest}/history?path=${encodeURIComponent(WATCHED)}`);
        samples.push(got.ms);
        seen = (JSON.parse(got.body) as { job?: { rows: unknown[] } }).job?.rows.length ?? 0;
      }
      if (seen !== Math.min(runs, 20)) throw new BenchError(`the hub's history of ${WATCHED} had ${seen} rows for ${runs} runs`);
      rows.push(row(`hub /api/job/<uid>/history?path=${WATCHED} (${runs} runs, with the diff)`, samples, { ...sizes, rows: seen }));
    } finally {
      await hub.stop();
    }

    // A hub that has read none of the runs: the trend counts every one of them.
    hub = await startHub(dir, database);
    try {
      const trend: number[] = [];
      let points: { jobs: Tally | null; passRate: number | null }[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const got = await timedGet(`${hub.url}/api/job/${latest}/trend`);
        trend.push(got.ms);
        points = (JSON.parse(got.body) as { points: typeof points }).points;
      }
      const counted = points.filter((p) => p.jobs?.total === jobs && p.passRate !== null).length;
      if (counted !== runs) throw new BenchError(`the hub's trend counted ${jobs} jobs for ${counted} of ${runs} runs`);
      rows.push(row(`hub /api/job/<uid>/trend (${runs} runs' pass rates; cold)`, trend, { ...sizes, warm_ms: trend.slice(1).map(Math.round), points: points.length }, true));
    } finally {
      await hub.stop();
    }
    return rows;
  } finally {
    fs.rmSync(database, { force: true });
    for (const extra of ['-wal', '-shm']) fs.rmSync(`${database}${extra}`, { force: true });
  }
}

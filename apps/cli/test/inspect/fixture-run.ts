/**
 * A realistic finished run written with @gator/db's own store, as the tier and
 * wrapper write it: root tier `nightly` → job `compile` (passed), array tier
 * `tests` → `seed_0` (passed), `seed_1` and `seed_2` (failed, same bucket),
 * and job `report` (skipped: its dependency failed, no database).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLayerStore, type LayerStore } from '@gator/db';
import { JobResult, Severity, type Summary } from '@gator/protocol';

export const T0 = 1_750_000_000;

export interface FixtureRun {
  /** Parent temp dir (remove it after). */
  base: string;
  /** Root tracking dir. */
  tracking: string;
}

function wrapper(dir: string, o: {
  ident: string;
  path: string;
  started: number;
  stopped?: number;
  result?: number;
  exit?: number;
  reason?: string;
  messages: [number, string, number][];
  metrics?: Record<string, number>;
  env?: Record<string, string>;
  argv?: string[];
  cwd?: string;
}): void {
  const store = openLayerStore({ dir, kind: 'wrapper' });
  store.setAttribute('ident', o.ident);
  store.setAttribute('path', o.path);
  store.setAttribute('started', String(o.started));
  const argv = o.argv ?? ['sh', '-c', `echo ${o.ident}`];
  store.setAttribute('cmd', argv.map((a) => `'${a}'`).join(' '));
  store.setAttribute('argv', JSON.stringify(argv));
  store.setAttribute('cwd', o.cwd ?? dir);
  store.setAttribute('env', JSON.stringify(o.env ?? {}));
  if (o.env?.GATOR_SEED) store.setAttribute('seed', o.env.GATOR_SEED);
  for (const [severity, message, timestamp] of o.messages) store.addMessage({ severity, message, timestamp });
  const counts = { msg_debug: 0, msg_info: 0, msg_warning: 0, msg_error: 0, msg_critical: 0 };
  for (const [sev] of o.messages) counts[(['msg_debug', 'msg_info', 'msg_warning', 'msg_error', 'msg_critical'] as const)[sev / 10 - 1]] += 1;
  store.setMetrics('_OWN_', { ...counts, ...(o.metrics ?? {}) });
  if (o.stopped !== undefined) {
    store.setAttribute('exit', String(o.exit ?? 0));
    store.setAttribute('stopped', String(o.stopped));
    if (o.reason) store.setAttribute('reason', o.reason);
    store.setAttribute('result', String(o.result ?? JobResult.SUCCESS));
  }
  store.close();
}

function finish(store: LayerStore, stopped: number, result: number, summary: Summary, reason?: string): void {
  store.setAttribute('summary', JSON.stringify(summary));
  if (reason) store.setAttribute('reason', reason);
  store.setAttribute('stopped', String(stopped));
  store.setAttribute('result', String(result));
}

const ASSERT_1 = 'Assertion failed at /src/alu.c:12: expected 4, got 5';
const ASSERT_2 = 'Assertion failed at /src/alu.c:40: expected 1, got 0';

/**
 * `live: true` leaves seed_2 running and no `stopped` on the tiers;
 * `skippedList` puts the skip into the root roll-up's `skipped` list too.
 */
export function makeFixtureRun(options: { live?: boolean; skippedList?: boolean } = {}): FixtureRun {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-inspect-'));
  const tracking = path.join(base, 'run');
  const live = options.live ?? false;

  const root = openLayerStore({ dir: tracking, kind: 'tier' });
  root.setAttribute('ident', 'nightly');
  root.setAttribute('path', '');
  root.setAttribute('started', String(T0));
  root.addMessage({ severity: Severity.INFO, message: 'Starting nightly', timestamp: T0 + 0.1 });

  const compileDir = path.join(tracking, 'compile');
  const testsDir = path.join(tracking, 'tests');
  const reportDir = path.join(tracking, 'report');
  const cCompile = root.addChild({ ident: 'compile', dbFile: path.join(compileDir, 'db.sqlite'), expectedChildren: 0 });
  const cTests = root.addChild({ ident: 'tests', dbFile: path.join(testsDir, 'db.sqlite'), expectedChildren: 3 });
  const cReport = root.addChild({ ident: 'report', dbFile: path.join(reportDir, 'db.sqlite'), expectedChildren: 0 });

  wrapper(compileDir, {
    ident: 'compile',
    path: 'nightly',
    started: T0 + 1,
    stopped: T0 + 3,
    messages: [
      [Severity.INFO, 'compiling 12 files', T0 + 1.5],
      [Severity.WARNING, 'unused variable x', T0 + 2],
    ],
    metrics: { files: 12 },
    argv: ['make', '-j2', 'all'],
    env: { CC: 'gcc' },
  });
  root.updateChild(cCompile, { started: T0 + 1, stopped: T0 + 3, result: JobResult.SUCCESS });

  const tests = openLayerStore({ dir: testsDir, kind: 'tier' });
  tests.setAttribute('ident', 'tests');
  tests.setAttribute('path', 'nightly');
  tests.setAttribute('started', String(T0 + 3));
  const seeds = [0, 1, 2].map((i) => ({
    i,
    dir: path.join(testsDir, 'seed', String(i)),
    uidx: tests.addChild({ ident: `seed_${i}`, dbFile: path.join(testsDir, 'seed', String(i), 'db.sqlite'), expectedChildren: 0 }),
  }));
  const seedEnv = (i: number) => ({ GATOR_ARRAY_INDEX: String(i), GATOR_SEED: String(1000 + i), MODE: 'fast' });
  wrapper(seeds[0]!.dir, {
    ident: 'seed_0',
    path: 'nightly.tests',
    started: T0 + 3,
    stopped: T0 + 5,
    messages: [[Severity.INFO, 'seed 1000 ok', T0 + 4]],
    metrics: { coverage: 80 },
    env: seedEnv(0),
    argv: [process.execPath, '-e', 'process.exit(Number(process.env.GATOR_SEED) % 7)'],
  });
  tests.updateChild(seeds[0]!.uidx, { started: T0 + 3, stopped: T0 + 5, result: JobResult.SUCCESS });
  wrapper(seeds[1]!.dir, {
    ident: 'seed_1',
    path: 'nightly.tests',
    started: T0 + 3.2,
    stopped: T0 + 6,
    result: JobResult.FAILURE,
    exit: 3,
    reason: 'exited with code 3',
    messages: [
      [Severity.INFO, 'seed 1001 start', T0 + 3.5],
      [Severity.ERROR, ASSERT_1, T0 + 5.5],
      [Severity.ERROR, 'backtrace: alu_add <- main', T0 + 5.6],
    ],
    metrics: { coverage: 60 },
    env: seedEnv(1),
  });
  tests.updateChild(seeds[1]!.uidx, { started: T0 + 3.2, stopped: T0 + 6, result: JobResult.FAILURE });
  if (live) {
    wrapper(seeds[2]!.dir, {
      ident: 'seed_2',
      path: 'nightly.tests',
      started: T0 + 3.4,
      messages: [[Severity.INFO, 'seed 1002 start', T0 + 3.6]],
      env: seedEnv(2),
    });
    tests.updateChild(seeds[2]!.uidx, { started: T0 + 3.4 });
    tests.close();
    root.updateChild(cTests, { started: T0 + 3 });
    root.close();
    return { base, tracking };
  }
  wrapper(seeds[2]!.dir, {
    ident: 'seed_2',
    path: 'nightly.tests',
    started: T0 + 3.4,
    stopped: T0 + 7,
    result: JobResult.FAILURE,
    exit: 1,
    reason: 'exceeded the ERROR limit (1 > 0)',
    messages: [
      [Severity.DEBUG, 'debug detail', T0 + 3.7],
      [Severity.ERROR, ASSERT_2, T0 + 6.5],
    ],
    metrics: { coverage: 70 },
    env: seedEnv(2),
  });
  tests.updateChild(seeds[2]!.uidx, { started: T0 + 3.4, stopped: T0 + 7, result: JobResult.FAILURE });
  tests.addMessage({ severity: Severity.ERROR, message: '2 of 3 children failed', timestamp: T0 + 7.1 });
  const testsFailures = [
    { path: ['seed_1'], reason: 'exited with code 3', errors: [ASSERT_1], log: seeds[1]!.dir, signature: 'Assertion failed at <path>:<n>: expected <n>, got <n>' },
    { path: ['seed_2'], reason: 'exceeded the ERROR limit (1 > 0)', errors: [ASSERT_2], log: seeds[2]!.dir, signature: 'Assertion failed at <path>:<n>: expected <n>, got <n>' },
  ];
  const bucket = { signature: 'Assertion failed at <path>:<n>: expected <n>, got <n>', count: 2, examples: [['tests', 'seed_1'], ['tests', 'seed_2']] };
  finish(tests, T0 + 7.2, JobResult.FAILURE, {
    metrics: { sub_total: 4, sub_passed: 1, sub_failed: 3, msg_error: 4, msg_info: 2, msg_debug: 1, jobs_total: 3, jobs_passed: 1, jobs_failed: 2 },
    failed_ids: [['tests', 'seed_1'], ['tests', 'seed_2']],
    running_ids: [],
    failures: testsFailures.map((f) => ({ ...f, path: ['tests', ...f.path] })),
    buckets: [{ ...bucket, examples: bucket.examples }],
    stats: { coverage: { count: 3, sum: 210, min: 60, max: 80 } },
    sub_skipped: 0,
    sub_lost: 0,
  }, '2 of 3 jobs failed');
  tests.close();
  root.updateChild(cTests, { started: T0 + 3, stopped: T0 + 7.2, result: JobResult.FAILURE });
  // `report` depends on `tests`: pruned, never launched.
  root.updateChild(cReport, { result: JobResult.ABORTED, stopped: T0 + 7.3 });
  root.addMessage({ severity: Severity.WARNING, message: "Skipping job 'report': dependency 'tests' failed", timestamp: T0 + 7.3 });
  finish(root, T0 + 8, JobResult.FAILURE, {
    metrics: { sub_total: 6, sub_passed: 2, sub_failed: 3, msg_warning: 2, msg_error: 4, jobs_total: 5, jobs_passed: 2, jobs_failed: 2 },
    failed_ids: [['nightly', 'tests', 'seed_1'], ['nightly', 'tests', 'seed_2']],
    running_ids: [],
    failures: testsFailures.map((f) => ({ ...f, path: ['nightly', 'tests', ...f.path] })),
    buckets: [{ ...bucket, examples: bucket.examples.map((e) => ['nightly', ...e]) }],
    stats: { coverage: { count: 3, sum: 210, min: 60, max: 80 }, files: { count: 1, sum: 12, min: 12, max: 12 } },
    sub_skipped: 1,
    ...(options.skippedList ? { skipped: [{ path: ['nightly', 'report'], reason: "dependency 'tests' did not pass" }] } : {}),
    sub_lost: 0,
  }, '2 jobs failed, 1 skipped');
  root.close();
  return { base, tracking };
}

/** One layer of a small tree written by `writeTree` (a child without `attrs` never started). */
export interface TreeLayer {
  ident: string;
  attrs?: Record<string, string | number>;
  messages?: [number, string][];
  notices?: { kind: 'failed' | 'lost' | 'stopped' | 'skipped' | 'problem'; path?: string; message: string }[];
  summary?: Partial<Summary>;
  children?: TreeLayer[];
  /** ChildEntry result of a child that never started. */
  entryResult?: number;
}

/** Writes a small run tree with the store, as tiers and wrappers write it (new contract or old). */
export function writeTree(dir: string, layer: TreeLayer): void {
  const store = openLayerStore({ dir, kind: layer.children ? 'tier' : 'wrapper' });
  store.setAttribute('ident', layer.ident);
  for (const [name, value] of Object.entries(layer.attrs ?? {})) store.setAttribute(name, value);
  for (const [severity, message] of layer.messages ?? []) store.addMessage({ severity, message, timestamp: T0 + 1 });
  for (const n of layer.notices ?? []) store.addNotice({ ...n, timestamp: T0 + 2 });
  if (layer.summary) store.setAttribute('summary', JSON.stringify({ metrics: {}, failed_ids: [], running_ids: [], ...layer.summary }));
  for (const child of layer.children ?? []) {
    const childDir = path.join(dir, child.ident);
    const uidx = store.addChild({ ident: child.ident, dbFile: path.join(childDir, 'db.sqlite'), expectedChildren: child.children?.length ?? 0 });
    if (child.attrs) {
      writeTree(childDir, child);
      store.updateChild(uidx, { started: T0, stopped: child.attrs.stopped !== undefined ? T0 + 9 : null, result: Number(child.attrs.result ?? JobResult.UNKNOWN) });
    } else if (child.entryResult !== undefined) store.updateChild(uidx, { result: child.entryResult });
  }
  store.close();
}

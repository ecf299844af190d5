// Builds a finished Gator run on disk with @gator/db (tiers and wrappers with their
// attributes, metrics, ChildEntry rows and messages), as a real run leaves it.
// Shared by the hub's tests and its open-tree benchmark.
import path from 'node:path';
import { openLayerStore } from '@gator/db';
import { layerFile } from '@gator/protocol';

const SEVERITY_METRIC = { 10: 'msg_debug', 20: 'msg_info', 30: 'msg_warning', 40: 'msg_error', 50: 'msg_critical' };

function zeroMetrics() {
  return { sub_total: 0, sub_active: 0, sub_passed: 0, sub_failed: 0, msg_critical: 0, msg_error: 0, msg_warning: 0, msg_info: 0, msg_debug: 0 };
}

function add(into, from) {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * Writes `node` (and its subtree) under `dir`. A node is
 * `{ ident, result?, messages?: [[severity, text], ...], children?: [...], cmd?, cwd?, env?, metrics?, notStarted? }`.
 * Returns `{ metrics, failures, result, jobs }` (the group metrics, the roll-up's failure
 * records with paths from this node's ident, its result and its jobs by outcome).
 */
export function writeLayer(dir, node, ctx = { path: [], uidx: 0, root: 0, t0: 1_700_000_000 }) {
  const isTier = Array.isArray(node.children);
  const store = openLayerStore({ dir, kind: isTier ? 'tier' : 'wrapper', batchSize: 100_000, flushIntervalMs: 60_000 });
  const started = ctx.t0 + 1;
  store.setAttribute('ident', node.ident);
  store.setAttribute('uidx', ctx.uidx);
  store.setAttribute('root', ctx.root);
  store.setAttribute('path', ctx.path.join('.'));
  store.setAttribute('started', started);
  const own = zeroMetrics();
  own.sub_total = 1;
  let t = started;
  for (const [severity, text] of node.messages ?? []) {
    store.addMessage({ severity, message: text, timestamp: (t += 0.01) });
    own[SEVERITY_METRIC[severity]] += 1;
  }
  if (!isTier) {
    store.setAttribute('cmd', node.cmd ?? `echo ${node.ident}`);
    store.setAttribute('cwd', node.cwd ?? '/tmp');
    if (node.env) store.setAttribute('env', JSON.stringify(node.env));
    store.setAttribute('exit', node.result === 2 ? 1 : 0);
    store.addProcStat({ nproc: 1, cpu: 12.5, mem: 8_000_000, vmem: 20_000_000, timestamp: started + 0.5 });
    Object.assign(own, node.metrics ?? {});
  }
  const group = { ...own };
  const failures = [];
  // The jobs of the subtree by outcome, as a tier's roll-up keeps them (`summary.jobs`).
  const jobs = { total: 0, passed: 0, failed: 0, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 };
  const skipped = [];
  if (isTier) {
    const childPath = [...ctx.path, node.ident];
    for (const child of node.children) {
      const childDir = path.join(dir, child.ident);
      const childDb = layerFile(childDir, 'db');
      const expected = Array.isArray(child.children) ? child.children.length : 0;
      const uidx = store.addChild({ ident: child.ident, dbFile: childDb, expectedChildren: expected });
      if (child.notStarted) {
        // Pruned: never launched, no files; its parent records ABORTED.
        store.updateChild(uidx, { result: 3 });
        const n = leaves(child);
        jobs.total += n;
        jobs.skipped += n;
        skipped.push({ path: [node.ident, child.ident], reason: 'never ran (skipped)' });
        continue;
      }
      const sub = writeLayer(childDir, child, { path: childPath, uidx, root: ctx.root, t0: ctx.t0 });
      add(group, sub.metrics);
      for (const k of Object.keys(jobs)) jobs[k] += sub.jobs[k];
      // A roll-up's paths start at its own tier's ident.
      failures.push(...sub.failures.map((f) => ({ ...f, path: [node.ident, ...f.path] })));
      store.setMetrics(child.ident, sub.metrics);
      store.updateChild(uidx, { serverUrl: '127.0.0.1:1', started: started + 0.1, updated: started + 2, stopped: started + 2, result: sub.result });
    }
    group.sub_total = Math.max(group.sub_total, node.children.length + 1);
  }
  const result = node.result ?? (failures.length > 0 ? 2 : 1);
  if (result === 1) group.sub_passed += 1;
  else group.sub_failed += 1;
  if (result === 1) own.sub_passed = 1;
  else own.sub_failed = 1;
  if (!isTier) {
    jobs.total = 1;
    jobs[result === 1 ? 'passed' : 'failed'] = 1;
    if (result === 2) {
      const errors = (node.messages ?? []).filter(([s]) => s >= 40).map(([, m]) => m).slice(0, 3);
      failures.push({ path: [node.ident], reason: 'exit code 1', errors, log: dir, kind: 'exit' });
      store.setAttribute('reason', 'exit code 1');
      store.setAttribute('outcome_kind', 'exit');
    }
  }
  store.setMetrics('_OWN_', own);
  store.setMetrics('_GROUP_', group);
  if (isTier) {
    store.setAttribute(
      'summary',
      JSON.stringify({
        metrics: group,
        failed_ids: failures.map((f) => f.path),
        running_ids: [],
        failures,
        ...(skipped.length ? { skipped } : {}),
        jobs,
      }),
    );
  }
  store.setAttribute('stopped', started + 2);
  store.setAttribute('result', result);
  store.setAttribute('outcome', result === 1 ? 'passed' : 'failed');
  store.close();
  return { metrics: group, failures, result, jobs };
}

/** The jobs of a spec node (a job is one). */
function leaves(node) {
  return Array.isArray(node.children) ? node.children.reduce((n, c) => n + leaves(c), 0) : 1;
}

/** A tier of `jobs` wrappers (every `failEvery`-th failing), grouped in tiers of `perTier`. */
export function bigRunSpec({ jobs, perTier = 1000, failEvery = 97, messages = 2 }) {
  const tiers = [];
  for (let start = 0; start < jobs; start += perTier) {
    const children = [];
    for (let i = start; i < Math.min(jobs, start + perTier); i++) {
      const fail = failEvery > 0 && i % failEvery === failEvery - 1;
      const msgs = [];
      for (let m = 0; m < messages; m++) msgs.push([20, `job ${i} line ${m}`]);
      if (fail) msgs.push([40, `job ${i} failed: assertion error at cycle ${i * 10}`]);
      children.push({ ident: `job_${i}`, result: fail ? 2 : 1, messages: msgs });
    }
    tiers.push({ ident: `block_${tiers.length}`, children });
  }
  return { ident: 'big', children: tiers };
}

/**
 * The run model read back from databases written here with the store, in the
 * new contract (outcome attributes, notices, summary.jobs) and the old one
 * (result attributes, `Job failed:` / `Skipping …` lines), and a dead run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobResult, tallyOf, type JobTally } from '@gator/protocol';
import { jobsOf, loadRunModel, openLayerStore, type LayerStore } from '../src/index.js';
import { tempDir } from './helpers.js';

interface Layer {
  ident: string;
  attrs?: Record<string, string | number>;
  messages?: [number, string][];
  notices?: { kind: 'failed' | 'lost' | 'stopped' | 'skipped' | 'problem'; path?: string; message: string }[];
  summary?: Record<string, unknown>;
  /** Children of a tier; a child without `attrs` never started (no database). */
  children?: Layer[];
  /** ChildEntry result of a child that never started. */
  entryResult?: number;
}

function write(dir: string, layer: Layer): void {
  const kind = layer.children ? 'tier' : 'wrapper';
  const store: LayerStore = openLayerStore({ dir, kind });
  store.setAttribute('ident', layer.ident);
  for (const [name, value] of Object.entries(layer.attrs ?? {})) store.setAttribute(name, value);
  for (const [severity, message] of layer.messages ?? []) store.addMessage({ severity, message, timestamp: 100 });
  for (const n of layer.notices ?? []) store.addNotice({ ...n, timestamp: 101 });
  if (layer.summary) store.setAttribute('summary', JSON.stringify({ metrics: {}, failed_ids: [], running_ids: [], ...layer.summary }));
  for (const child of layer.children ?? []) {
    const childDir = path.join(dir, child.ident);
    const uidx = store.addChild({ ident: child.ident, dbFile: path.join(childDir, 'db.sqlite'), expectedChildren: child.children?.length ?? 0 });
    if (child.attrs) {
      write(childDir, child);
      store.updateChild(uidx, { started: 1, stopped: child.attrs.stopped !== undefined ? 9 : null, result: Number(child.attrs.result ?? JobResult.UNKNOWN) });
    } else if (child.entryResult !== undefined) store.updateChild(uidx, { result: child.entryResult });
  }
  store.close();
}

const done = (result: number, extra: Record<string, string | number> = {}) => ({ started: 1, stopped: 9, result, ...extra });

function tally(t: Partial<JobTally>): JobTally {
  return { ...tallyOf('passed', 0), ...t };
}

describe('loadRunModel', () => {
  it('a triage job skipped because its build passed does not fail the run (notices and outcome attributes)', () => {
    const dir = tempDir();
    write(dir, {
      ident: 'ci',
      attrs: done(JobResult.SUCCESS, { outcome: 'passed' }),
      summary: { jobs: tally({ total: 2, passed: 1, skipped: 1 }) },
      notices: [{ kind: 'skipped', path: 'triage', message: "its on_fail dependency 'build' passed" }],
      children: [
        { ident: 'build', attrs: done(JobResult.SUCCESS, { outcome: 'passed', exit: 0 }), messages: [[20, 'built']] },
        { ident: 'triage', entryResult: JobResult.ABORTED },
      ],
    });
    const model = loadRunModel(dir);
    expect(model.totals).toEqual(tally({ total: 2, passed: 1, skipped: 1 }));
    expect(model.outcome).toBe('passed');
    expect(model.verdict.exit).toBe(0);
    const triage = jobsOf(model.root).find((j) => j.ident === 'triage')!;
    expect(triage).toMatchObject({ outcome: 'skipped', reason: "its on_fail dependency 'build' passed", outcomeKind: 'dependency' });
    expect(model.notices.map((n) => n.path.join('.'))).toEqual(['ci.triage']);
  });

  it("counts a job's own messages only: the failure is a notice, with its kind", () => {
    const dir = tempDir();
    write(dir, {
      ident: 'ci',
      attrs: done(JobResult.FAILURE, { outcome: 'failed' }),
      children: [
        {
          ident: 'sim',
          attrs: done(JobResult.FAILURE, { outcome: 'failed', outcome_kind: 'timeout', exit: 143 }),
          messages: [[40, 'assertion failed']],
          notices: [{ kind: 'failed', message: 'exceeded its time limit of 5s' }],
        },
      ],
    });
    const model = loadRunModel(dir);
    const sim = jobsOf(model.root)[0]!;
    expect(sim).toMatchObject({ outcome: 'failed', outcomeKind: 'timeout', reason: 'exceeded its time limit of 5s', errors: ['assertion failed'] });
    expect(sim.messages.error).toBe(1);
    expect(model.messages.error).toBe(1);
    expect(model.verdict).toMatchObject({ outcome: 'failed', exit: 1, reason: '1 job failed' });
  });

  it('older runs: the `Job failed:` line is not counted as an error of the job, `Skipping` lines give the reason', () => {
    const dir = tempDir();
    write(dir, {
      ident: 'ci',
      attrs: done(JobResult.FAILURE),
      messages: [[30, "Skipping job 'report': dependency 'sim' failed"]],
      children: [
        { ident: 'sim', attrs: done(JobResult.FAILURE, { exit: 1 }), messages: [[40, 'assertion failed'], [40, 'Job failed: exited with code 1']] },
        { ident: 'report', entryResult: JobResult.ABORTED },
      ],
    });
    const model = loadRunModel(dir);
    const [sim, report] = jobsOf(model.root);
    expect(sim!.messages.error).toBe(1);
    expect(sim!.errors).toEqual(['assertion failed']);
    expect(sim!.outcomeKind).toBe('exit');
    expect(report).toMatchObject({ outcome: 'skipped', reason: "dependency 'sim' failed", outcomeKind: 'dependency' });
    expect(model.messages).toMatchObject({ warning: 0, error: 1 });
  });

  it('tiers are never counted as jobs: a group of two jobs has two', () => {
    const dir = tempDir();
    write(dir, {
      ident: 'top',
      attrs: done(JobResult.FAILURE),
      children: [
        {
          ident: 'pair',
          attrs: done(JobResult.FAILURE),
          children: [
            { ident: 'a', attrs: done(JobResult.SUCCESS) },
            { ident: 'b', attrs: done(JobResult.FAILURE, { exit: 2 }) },
          ],
        },
      ],
    });
    const model = loadRunModel(dir);
    expect(model.totals).toEqual(tally({ total: 2, passed: 1, failed: 1 }));
    expect(model.root.children![0]!.totals).toEqual(tally({ total: 2, passed: 1, failed: 1 }));
  });

  it('a run whose root process is gone without recording its end is interrupted, with when it was last heard of', () => {
    const dir = tempDir();
    // A pid that was this machine's and is no more.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    write(dir, {
      ident: 'nightly',
      attrs: { started: 1, pid: Number(gone.stdout), host: os.hostname() },
      children: [
        { ident: 'done', attrs: done(JobResult.SUCCESS) },
        { ident: 'cut', attrs: { started: 2 } },
        { ident: 'never' },
      ],
    });
    const model = loadRunModel(dir);
    expect(model.interrupted).toBe(true);
    expect(model.live).toBe(false);
    expect(model.outcome).toBe('interrupted');
    expect(model.lastHeard).toBeGreaterThan(0);
    expect(model.verdict.reason).toContain(`last heard of at ${new Date(model.lastHeard! * 1000).toISOString()}`);
    const states = Object.fromEntries(jobsOf(model.root).map((j) => [j.ident, j.outcome]));
    expect(states).toEqual({ done: 'passed', cut: 'lost', never: 'skipped' });
  });

  it('a root whose process is alive is running; a silent one on another host is interrupted', () => {
    const dir = tempDir();
    write(dir, { ident: 'nightly', attrs: { started: 1, pid: process.pid, host: os.hostname() }, children: [{ ident: 'j', attrs: { started: 2 } }] });
    expect(loadRunModel(dir)).toMatchObject({ outcome: 'running', interrupted: false, live: true });
    const far = tempDir();
    write(far, { ident: 'nightly', attrs: { started: 1, pid: 1, host: 'elsewhere.invalid' }, children: [{ ident: 'j', attrs: { started: 2 } }] });
    const old = Date.now() / 1000 - 300; // 5 minutes: under the default 10, over 1
    for (const f of fs.readdirSync(far)) if (f.startsWith('db.sqlite') || f === 'messages.log') fs.utimesSync(path.join(far, f), old, old);
    expect(loadRunModel(far)).toMatchObject({ outcome: 'running' });
    expect(loadRunModel(far, { silentAfter: 60 })).toMatchObject({ outcome: 'interrupted', interrupted: true });
  });
});

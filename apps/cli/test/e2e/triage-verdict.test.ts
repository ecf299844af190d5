/**
 * Issue 14, the layers' part: the root's stored result, its tally and the exit
 * status of `gator run` are one verdict (docs/run-model.md), and Gator's notices
 * are kept apart from the jobs' messages. Through the built CLI, real processes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { gator, tempDir, writeSpec } from '../helpers.js';

const SUCCESS = '1';

const TRIAGE = `!JobGroup
ident: top
jobs:
  - !Job {ident: build, command: "true"}
  - !Job {ident: triage, on_fail: [build], command: "true"}
`;

const ONE_FAILS = `!JobGroup
ident: pair
jobs:
  - !Job {ident: good, command: "true"}
  - !Job {ident: bad, command: bash, args: [-c, "echo broken >&2"]}
`;

const TREE = `!JobGroup
ident: top
jobs:
  - !Job {ident: build, command: "true"}
  - !JobGroup
    ident: suite
    on_pass: [build]
    jobs:
      - !JobArray
        ident: sims
        repeats: 3
        jobs:
          - !Job {ident: sim, command: "true"}
      - !Job {ident: lint, command: bash, args: [-c, "echo lint broke >&2"]}
      - !Job {ident: if_lint_passed, on_pass: [lint], command: "true"}
      - !Job {ident: if_lint_failed, on_fail: [lint], command: "true"}
  - !Job {ident: publish, on_pass: [suite], command: "true"}
`;

const KINDS = `!JobGroup
ident: kinds
jobs:
  - !Job {ident: by_exit, command: bash, args: [-c, "exit 3"]}
  - !Job {ident: by_errors, command: bash, args: [-c, "echo broken >&2"]}
  - !Job {ident: by_timeout, command: sleep, args: ["30"], timeout: 0.5}
`;

function readLayer(dir: string) {
  const reader = openLayerReader(dir);
  try {
    const attributes = reader.attributes();
    return {
      attributes,
      summary: JSON.parse(attributes.summary ?? '{}'),
      messages: reader.messages({ limit: 10_000 }),
      notices: reader.notices(),
      metrics: reader.metrics('_GROUP_'),
    };
  } finally {
    reader.close();
  }
}

describe('one verdict from the layers', () => {
  it('an on_fail triage job skipped because its build passed leaves the run passing, even with --limit-warning 0', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'triage.yaml', TRIAGE);
    for (const extra of [[], ['--limit-warning', '0']]) {
      const tracking = `run${extra.length}`;
      const run = await gator(['run', spec, '--tracking', tracking, ...extra], { cwd: dir });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const root = readLayer(path.join(dir, tracking));
      expect(root.attributes).toMatchObject({ result: SUCCESS, outcome: 'passed' });
      expect(root.summary.jobs).toEqual({ total: 2, passed: 1, failed: 0, lost: 0, skipped: 1, stopped: 0, running: 0, pending: 0 });
      expect(root.summary.skipped).toEqual([{ path: ['top', 'triage'], reason: "dependency 'build' passed", kind: 'dependency' }]);
      // The skip is a notice, never a WARNING message.
      expect(root.notices.map((n) => [n.kind, n.path, n.message])).toEqual([['skipped', 'triage', "Skipping job 'triage': dependency 'build' passed"]]);
      expect(root.messages.some((m) => m.message.startsWith('Skipping'))).toBe(false);
      expect(root.metrics.msg_warning).toBe(0);
      expect(root.messages.map((m) => m.message)).toContain('Complete - W: 0, E: 0, C: 0, T: 2, A: 0, P: 1, F: 0, lost: 0, skipped: 1, stopped: 0');
    }
  });

  it('a group of two jobs, one printing one error line: two jobs, one error, and why it failed a notice', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'pair.yaml', ONE_FAILS);
    const run = await gator(['run', spec, '--tracking', 'run'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const root = readLayer(path.join(dir, 'run'));
    expect(root.attributes).toMatchObject({ result: '2', outcome: 'failed' });
    expect(root.summary.jobs).toMatchObject({ total: 2, passed: 1, failed: 1 });
    expect(root.summary.failures).toEqual([expect.objectContaining({ path: ['pair', 'bad'], kind: 'errors', errors: ['broken'] })]);
    // One error in the whole run: the job's line. Gator's "failed" lines are notices.
    expect(root.metrics.msg_error).toBe(1);
    expect(root.messages.map((m) => m.message)).toContain('Complete - W: 0, E: 1, C: 0, T: 2, A: 0, P: 1, F: 1, lost: 0, skipped: 0, stopped: 0');
    expect(root.notices.map((n) => n.kind)).toEqual(['failed']);
    const bad = readLayer(path.join(dir, 'run', 'bad'));
    expect(bad.metrics.msg_error).toBe(1);
    expect(bad.messages.filter((m) => m.severity >= 40).map((m) => m.message)).toEqual(['broken']);
    expect(bad.notices.map((n) => [n.kind, n.message])).toEqual([['failed', 'Job failed: 1 ERROR message (limit 0): broken']]);
    expect(bad.attributes).toMatchObject({ result: '2', outcome: 'failed', outcome_kind: 'errors' });
  });

  it('the tally of a three-level tree sums to its total and matches what each wrapper recorded', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'tree.yaml', TREE);
    const run = await gator(['run', spec, '--tracking', 'run', '--sched-arg', 'concurrency=3'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const jobs = readLayer(path.join(dir, 'run')).summary.jobs;
    // 7 jobs (tiers are not jobs): build, 3 sims, if_lint_failed passed; lint failed; if_lint_passed, publish skipped.
    expect(jobs).toEqual({ total: 8, passed: 5, failed: 1, lost: 0, skipped: 2, stopped: 0, running: 0, pending: 0 });
    const sum = jobs.passed + jobs.failed + jobs.lost + jobs.skipped + jobs.stopped + jobs.running + jobs.pending;
    expect(sum).toBe(jobs.total);
    // Every wrapper that ran, found through the ChildEntry rows: their outcomes are the tally's.
    const outcomes: Record<string, number> = {};
    const visit = (layerDir: string): void => {
      const reader = openLayerReader(layerDir);
      const children = reader.children();
      const { outcome, cmd } = reader.attributes();
      reader.close();
      if (cmd !== undefined) outcomes[outcome!] = (outcomes[outcome!] ?? 0) + 1;
      for (const c of children) if (c.dbFile && fs.existsSync(c.dbFile)) visit(path.dirname(c.dbFile));
    };
    visit(path.join(dir, 'run'));
    expect(outcomes).toEqual({ passed: jobs.passed, failed: jobs.failed });
    const suite = readLayer(path.join(dir, 'run', 'suite'));
    expect(suite.attributes).toMatchObject({ result: '2', outcome: 'failed' });
    expect(suite.summary.jobs).toMatchObject({ total: 6, passed: 4, failed: 1, skipped: 1 });
    expect(readLayer(path.join(dir, 'run', 'suite', 'sims')).attributes).toMatchObject({ result: SUCCESS, outcome: 'passed' });
  });

  it('records why each job failed: its exit code, its errors, its timeout', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'kinds.yaml', KINDS);
    const run = await gator(['run', spec, '--tracking', 'run'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    for (const [ident, kind] of [['by_exit', 'exit'], ['by_errors', 'errors'], ['by_timeout', 'timeout']] as const) {
      expect(readLayer(path.join(dir, 'run', ident)).attributes, ident).toMatchObject({ outcome: 'failed', outcome_kind: kind });
    }
    const root = readLayer(path.join(dir, 'run'));
    expect(root.summary.jobs).toMatchObject({ total: 3, failed: 3 });
    const kinds = Object.fromEntries(root.summary.failures.map((f: { path: string[]; kind: string }) => [f.path.at(-1), f.kind]));
    expect(kinds).toEqual({ by_exit: 'exit', by_errors: 'errors', by_timeout: 'timeout' });
  });
});

/**
 * Issue 14, the live stream: every job of a run gets exactly one final line,
 * from its end as the layers report it up the tree (never "passed" then
 * "failed", no job too short to be seen), and Ctrl-C is its own outcome:
 * running jobs "stopped", one line for the jobs never started, exit 130,
 * nothing counted as failed. The built CLI, piped (the PlainReporter), real
 * processes at every level.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { tempDir, waitFor, writeSpec } from '../helpers.js';
import { expectNoCrash, expectNoneLeft, startRun } from '../faults/fault-kit.js';

const ABORTED = 3;

/** `[hh:mm:ss] ✔ passed  a.b.c: reason` → {state: 'passed', path, reason}. */
const FINAL = /^\[\d\d:\d\d:\d\d\] (✔ passed |✖ failed |✖ lost   |○ skipped|■ stopped) (\S+?)(?:: (.*))?$/;

function finalLines(stdout: string): { state: string; path: string; reason: string | undefined }[] {
  const out: { state: string; path: string; reason: string | undefined }[] = [];
  for (const line of stdout.split('\n')) {
    const m = FINAL.exec(line);
    if (m) out.push({ state: m[1]!.slice(2).trim(), path: m[2]!, reason: m[3] });
  }
  return out;
}

interface Level {
  ident: string;
  /** YAML of the level's own entries (besides the next level). */
  jobs: string[];
}

const job = (ident: string, command: string, extra = '') => `{ident: ${ident}, command: bash, args: [-c, ${JSON.stringify(command)}]${extra}}`;

/** Five levels of groups (an array at the third), many short jobs, a timeout, retries, a failure at every depth, a triage job skipped. */
function deepTree(marker: string): { yaml: string; jobs: Record<string, 'passed' | 'failed' | 'skipped'>; reasons: Record<string, RegExp> } {
  const levels: Level[] = [];
  const jobs: Record<string, 'passed' | 'failed' | 'skipped'> = {};
  const reasons: Record<string, RegExp> = {};
  const prefixes = [[], ['l2'], ['l2', 'l3'], ['l2', 'l3', 'l4'], ['l2', 'l3', 'l4', 'l5']] as string[][];
  for (let depth = 0; depth < 5; depth++) {
    const own: string[] = [];
    const at = (id: string) => [...prefixes[depth]!, id].join('.');
    for (let i = 0; i < 6; i++) {
      own.push(job(`q${depth}_${i}`, 'true'));
      jobs[at(`q${depth}_${i}`)] = 'passed';
    }
    own.push(job(`bad${depth}`, `echo broken at ${depth} >&2; exit 3`));
    jobs[at(`bad${depth}`)] = 'failed';
    reasons[at(`bad${depth}`)] = /^exited with code 3/;
    levels.push({ ident: depth === 0 ? 'deep' : `l${depth + 1}`, jobs: own });
  }
  // A timeout and retried jobs at the top, an on_fail triage skipped because its job passed.
  levels[0]!.jobs.push(`{ident: slow, command: sleep, args: ["20"], timeout: 1}`);
  jobs.slow = 'failed';
  reasons.slow = /^timed out after 1s$/;
  levels[0]!.jobs.push(job('flaky', `if [ -e ${marker} ]; then exit 0; else touch ${marker}; exit 1; fi`, ', retries: 2'));
  jobs.flaky = 'passed';
  reasons.flaky = /^passed on attempt 2$/;
  levels[1]!.jobs.push(job('hopeless', 'exit 1', ', retries: 1'));
  jobs['l2.hopeless'] = 'failed';
  reasons['l2.hopeless'] = /^exited with code 1 \(attempt 2\)$/;
  levels[1]!.jobs.push(`{ident: triage, command: "true", on_fail: [q1_0]}`);
  jobs['l2.triage'] = 'skipped';
  // An array of short copies at the third level.
  levels[2]!.jobs.push(`!JobArray {ident: arr, repeats: 5, jobs: [!Job {ident: t, command: "true"}]}`);
  for (let i = 0; i < 5; i++) jobs[`l2.l3.arr.t_${i}`] = 'passed';

  let yaml = '';
  for (let depth = 4; depth >= 0; depth--) {
    const level = levels[depth]!;
    const entries = level.jobs.map((j) => (j.startsWith('!') ? j : `!Job ${j}`));
    if (yaml) entries.push(yaml);
    yaml = `!JobGroup {ident: ${level.ident}, jobs: [${entries.join(', ')}]}`;
  }
  return { yaml: `${yaml}\n`, jobs, reasons };
}

describe('the live stream: one final line per job', () => {
  it('a 5-level tree of many short jobs, a timeout and retries: every job once, none "passed" then "failed"', async () => {
    const dir = tempDir('gator-ends-');
    const tree = deepTree(path.join(dir, 'flaky-attempted'));
    const spec = writeSpec(dir, 'deep.yaml', tree.yaml);
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=4'], { cwd: dir });
    const done = await run.done;
    const text = done.stdout + done.stderr;
    expect(done.code, text).toBe(1);
    expectNoCrash(done);
    await expectNoneLeft(run);

    const lines = finalLines(done.stdout);
    const byPath = new Map<string, typeof lines>();
    for (const line of lines) byPath.set(line.path, [...(byPath.get(line.path) ?? []), line]);
    const expected = Object.keys(tree.jobs);
    expect(expected.length).toBeGreaterThanOrEqual(40);
    // Exactly the jobs of the spec, each exactly once (the tiers never have a line).
    expect([...byPath.keys()].sort()).toEqual([...expected].sort());
    for (const [p, seen] of byPath) expect(seen.map((l) => l.state), `${p}:\n${text}`).toHaveLength(1);
    for (const [p, outcome] of Object.entries(tree.jobs)) expect(byPath.get(p)![0]!.state, p).toBe(outcome);
    for (const [p, reason] of Object.entries(tree.reasons)) expect(byPath.get(p)![0]!.reason, p).toMatch(reason);

    const count = (outcome: string) => Object.values(tree.jobs).filter((o) => o === outcome).length;
    expect(done.stdout).toMatch(new RegExp(`Failed {2}${count('passed')} passed, ${count('failed')} failed, 0 lost, ${count('skipped')} skipped of ${expected.length} jobs`));
  });
});

const STOP_SPEC = `!JobGroup
ident: halt
jobs:
  - !Job {ident: a, command: sleep, args: ["30"]}
  - !Job {ident: b, command: sleep, args: ["30"]}
  - !Job {ident: c, command: sleep, args: ["30"]}
  - !Job {ident: d, command: sleep, args: ["30"], on_done: [a]}
  - !JobGroup
    ident: more
    jobs:
      - !Job {ident: e, command: sleep, args: ["30"]}
      - !Job {ident: f, command: sleep, args: ["30"]}
      - !JobArray {ident: arr, repeats: 3, jobs: [!Job {ident: t, command: sleep, args: ["30"]}]}
  - !JobGroup
    ident: later
    on_pass: [b]
    jobs:
      - !Job {ident: g, command: sleep, args: ["30"]}
      - !Job {ident: h, command: sleep, args: ["30"]}
`;
const STOP_JOBS = 11;

describe.each(['SIGINT', 'SIGTERM'] as const)('Ctrl-C and stop (%s)', (signal) => {
  it('mid-run: exit 130, running jobs stopped, one line for the ones not started, no failures counted', async () => {
    const dir = tempDir('gator-ends-');
    const spec = writeSpec(dir, 'stop.yaml', STOP_SPEC);
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1', '--sched-arg', 'concurrency=2'], { cwd: dir });
    // Two jobs running (the pool holds two), the others waiting.
    await waitFor(() => (run.stdout.match(/▶ started/g) ?? []).length >= 2 || run.code !== null, 60_000, 'two jobs to run');
    expect(run.code, run.stdout + run.stderr).toBeNull();
    run.child.kill(signal);
    const done = await run.done;
    const text = done.stdout + done.stderr;
    expect(done.code, text).toBe(130);
    expectNoCrash(done);
    await expectNoneLeft(run);

    const lines = finalLines(done.stdout);
    const stopped = lines.filter((l) => l.state === 'stopped');
    expect(lines.filter((l) => l.state !== 'stopped'), text).toEqual([]);
    expect(stopped.length, text).toBe(2);
    expect(new Set(stopped.map((l) => l.path)).size).toBe(2);
    // The others, in one line.
    const notStarted = done.stdout.split('\n').filter((l) => /not started/.test(l));
    expect(notStarted, text).toEqual([expect.stringMatching(new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ○ ${STOP_JOBS - 2} jobs not started: run stopped$`))]);
    expect(done.stdout).not.toMatch(/✖|failed:|jobs? failed/);
    expect(done.stdout).toMatch(new RegExp(`Stopped {2}0 passed, 0 failed, 0 lost, ${STOP_JOBS - 2} skipped, 2 stopped of ${STOP_JOBS} jobs`));

    // The root's database says stopped, not failed.
    const rootDir = path.join(dir, 'run');
    expect(fs.existsSync(path.join(rootDir, 'db.sqlite'))).toBe(true);
    const reader = openLayerReader(rootDir);
    try {
      expect(Number(reader.attribute('result'))).toBe(ABORTED);
      expect(reader.attribute('outcome')).toBe('stopped');
    } finally {
      reader.close();
    }
  });
});

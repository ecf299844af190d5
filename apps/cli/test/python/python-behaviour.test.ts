/**
 * Python Gator's own behaviour tests (tests/test_command.py, test_tier.py,
 * test_wrapper.py, test_types.py, test_local_scheduler.py, common/test_ws_*.py)
 * ported to real processes: each scenario runs through the real Python Gator
 * and through Gator, side by side, and both must agree on what the Python test
 * asserts (exit status, files touched, stored rows, wire replies). Python
 * internals (its mocks, its db mapper, plotting, the logger's console markup)
 * are not ported. Where Gator deliberately differs, the case asserts Gator's
 * documented behaviour and names the docs/compatibility.md entry.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { childArgv, connect, loadSpec, type JobGroup } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import { createLocalScheduler, type LocalScheduler } from '@gator/scheduler-local';
import { createTier } from '@gator/tier';
import { CLI, gator, startGator, tempDir, waitFor, writeSpec, type GatorRun } from '../helpers.js';
import { PYTHON, needsPythonPeer, python, startPythonGator } from './peer.js';

needsPythonPeer();

async function pyRun(args: string[], cwd: string): Promise<GatorRun> {
  return startPythonGator(args, { cwd }).done;
}

/** Both at once: `python3 -m gator ARGS` and `gator ARGS`, each with its own tracking directory. */
async function both(dir: string, spec: string, args: string[] = [], options: { oneAtATime?: boolean } = {}) {
  const py = pyRun(['--tracking', path.join(dir, 'py'), ...args, spec], dir);
  if (options.oneAtATime) await py;
  const gt = gator([spec, '--tracking', path.join(dir, 'gt'), ...args], { cwd: dir });
  return { py: await py, gt: await gt };
}

function rows(dbFile: string, sql: string): any[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

// ------------------------------------------------------------------ tests/test_command.py

const COMMAND_CASES: [name: string, spec: string, args: string[], passes: boolean][] = [
  ['test_good_job_exit', '!Job\nident: test_job\ncommand: bash\nargs: [-c, exit 0]\n', [], true],
  ['test_bad_job_exit', '!Job\nident: test_job\ncommand: bash\nargs: ["-c", "exit 1"]\n', [], false],
  ['test_good_array_exit', '!JobArray\nident: test_array\nrepeats: 2\njobs:\n- !Job\n    ident  : nested\n    command: bash\n    args: ["-c", "exit 0"]\n', [], true],
  ['test_bad_array_exit', '!JobArray\nident: test_array\nrepeats: 2\njobs:\n- !Job\n    ident  : nested\n    command: bash\n    args: ["-c", "exit $GATOR_ARRAY_INDEX"]\n', [], false],
  ['test_good_group_exit', '!JobGroup\nident: test_group\njobs:\n- !Job\n    ident  : job_a\n    command: bash\n    args: ["-c", "exit 0"]\n- !Job\n    ident  : job_b\n    command: bash\n    args: ["-c", "exit 0"]\n', [], true],
  ['test_bad_group_exit', '!JobGroup\nident: test_group\njobs:\n- !Job\n    ident  : job_a\n    command: bash\n    args: ["-c", "exit 0"]\n- !Job\n    ident  : job_b\n    command: bash\n    args: ["-c", "exit 1"]\n', [], false],
  ['test_bad_limit_good_job_exit', '!Job\nident: test_job\ncommand: bash\nargs: [-c, echo stderr >&2; exit 0]\n', ['--limit-error=0'], false],
  ['test_good_limit_good_job_exit', '!Job\nident: test_job\ncommand: bash\nargs: [-c, echo stderr >&2; exit 0]\n', ['--limit-error=1'], true],
  ['test_bad_limit_good_nested_exit', '!JobGroup\nident: test_group\njobs:\n- !Job\n    ident  : job_a\n    command: bash\n    args: ["-c", "echo stderr >&2; exit 0"]\n- !Job\n    ident  : job_b\n    command: bash\n    args: ["-c", "exit 0"]\n', ['--limit-error=0'], false],
  ['test_good_limit_good_nested_exit', '!JobGroup\nident: test_group\njobs:\n- !Job\n    ident  : job_a\n    command: bash\n    args: ["-c", "echo stderr >&2; exit 0"]\n- !Job\n    ident  : job_b\n    command: bash\n    args: ["-c", "exit 0"]\n', ['--limit-error=1'], true],
];

describe('test_command.py: exit status', () => {
  it.each(COMMAND_CASES)('%s', async (name, text, args, passes) => {
    const dir = tempDir('gator-pybeh-');
    const spec = writeSpec(dir, `${name}.yaml`, text);
    const { py, gt } = await both(dir, spec, args);
    expect(py.code === 0, `python: ${py.stdout}${py.stderr}`).toBe(passes);
    // Gator: 0 passed, 1 failed (Python: any non-zero).
    expect(gt.code, gt.stdout + gt.stderr).toBe(passes ? 0 : 1);
  });
});

// ------------------------------------------------------------------ tests/test_tier.py

describe('test_tier.py: what runs', () => {
  const touched = (dir: string, names: string[]) => names.filter((n) => fs.existsSync(path.join(dir, n)));

  /** Run the spec (with TOUCH replaced by a directory per side) both ways; the files each side touched. */
  async function touches(spec: (touch: string) => string, names: string[], args: string[] = []) {
    const dir = tempDir('gator-pybeh-');
    const out: Record<'py' | 'gt', string[]> = { py: [], gt: [] };
    const codes: Record<'py' | 'gt', number | null> = { py: null, gt: null };
    await Promise.all(
      (['py', 'gt'] as const).map(async (side) => {
        const t = path.join(dir, `touch-${side}`);
        fs.mkdirSync(t);
        const file = writeSpec(dir, `${side}.yaml`, spec(t));
        const run = side === 'py' ? await pyRun(['--tracking', path.join(dir, side), ...args, file], dir) : await gator([file, '--tracking', path.join(dir, side), ...args], { cwd: dir });
        out[side] = touched(t, names);
        codes[side] = run.code;
      }),
    );
    return { touched: out, codes, dir };
  }

  it('test_tier_group, test_tier_subgroup: every job of nested groups runs', async () => {
    const { touched: t, codes } = await touches(
      (d) => `!JobGroup
ident: top
jobs:
  - !Job {ident: c, command: touch, args: [${d}/touch.c]}
  - !JobGroup
    ident: mid
    jobs:
      - !Job {ident: b, command: touch, args: [${d}/touch.b]}
      - !JobGroup {ident: low, jobs: [!Job {ident: a, command: touch, args: [${d}/touch.a]}]}
`,
      ['touch.a', 'touch.b', 'touch.c'],
      ['--sched-arg', 'concurrency=3'],
    );
    expect(t.py).toEqual(['touch.a', 'touch.b', 'touch.c']);
    expect(t.gt).toEqual(t.py);
    expect(codes).toEqual({ py: 0, gt: 0 });
  });

  it('test_tier_array: each copy sees its GATOR_ARRAY_INDEX', async () => {
    const names = [0, 1, 2, 3, 4].map((i) => `touch_${i}`);
    const { touched: t } = await touches(
      (d) => `!JobArray\nident: arr\nrepeats: 5\njobs:\n  - !Job {ident: n, command: touch, args: ['${d}/touch_\${GATOR_ARRAY_INDEX}']}\n`,
      names,
      ['--sched-arg', 'concurrency=5'],
    );
    expect(t.py).toEqual(names);
    expect(t.gt).toEqual(names);
  });

  it('test_tier_dependencies: on_pass and on_done run after a pass, on_fail does not', async () => {
    const { touched: t } = await touches(
      (d) => `!JobGroup
ident: grp
jobs:
  - !Job {ident: a, command: touch, args: [${d}/touch.a]}
  - !Job {ident: b, command: touch, args: [${d}/touch.b], on_fail: [a]}
  - !Job {ident: c, command: touch, args: [${d}/touch.c], on_pass: [a]}
  - !Job {ident: d, command: touch, args: [${d}/touch.d], on_done: [a]}
`,
      ['touch.a', 'touch.b', 'touch.c', 'touch.d'],
    );
    expect(t.py).toEqual(['touch.a', 'touch.c', 'touch.d']);
    expect(t.gt).toEqual(t.py);
  });

  it('test_tier_dependency_on_fail: a command that cannot start fails its job; the right dependants run', async () => {
    const { touched: t, dir } = await touches(
      (d) => `!JobGroup
ident: grp
jobs:
  - !Job {ident: x, command: fake, args: []}
  - !Job {ident: y, command: "true", args: []}
  - !Job {ident: a, command: touch, args: [${d}/touch.a], on_pass: [x]}
  - !Job {ident: b, command: touch, args: [${d}/touch.b], on_fail: [x]}
  - !Job {ident: c, command: touch, args: [${d}/touch.c], on_pass: [y]}
  - !Job {ident: d, command: touch, args: [${d}/touch.d], on_fail: [y]}
`,
      ['touch.a', 'touch.b', 'touch.c', 'touch.d'],
    );
    expect(t.py).toEqual(['touch.b', 'touch.c']);
    expect(t.gt).toEqual(t.py);
    // Python's warnings name the pruned jobs; Gator records them skipped, with the reason.
    const skipped = openLayerReader(path.join(dir, 'gt'));
    try {
      expect(skipped.children().filter((c) => c.result === 3).map((c) => c.ident)).toEqual(['a', 'd']);
    } finally {
      skipped.close();
    }
    // A command that cannot start: Python exit 0 with a CRITICAL, Gator 255 with the reason
    // (docs/compatibility.md, "A command that cannot start reports exit code 255").
    expect(rows(path.join(dir, 'py', 'x', 'db.sqlite'), "SELECT value FROM Attribute WHERE name = 'exit'")[0].value).toBe('255');
    expect(rows(path.join(dir, 'gt', 'x', 'db.sqlite'), "SELECT value FROM Attribute WHERE name = 'exit'")[0].value).toBe('255');
  });

  it.each([
    ['test_tier_missing_dep', 'c', '[a, x]', /'x'/],
    ['test_tier_circular_dep', 'c', '[a, c]', /itself|cycle|'c'/],
  ])('%s: nothing is launched (Gator refuses the spec before the run, exit 2)', async (_name, who, deps, message) => {
    const { touched: t, codes, dir } = await touches(
      (d) => `!JobGroup
ident: grp
jobs:
  - !Job {ident: a, command: touch, args: [${d}/a]}
  - !Job {ident: b, command: touch, args: [${d}/b], on_done: [a]}
  - !Job {ident: ${who}, command: touch, args: [${d}/c], on_done: ${deps}}
`,
      ['a', 'b', 'c'],
    );
    expect(t).toEqual({ py: [], gt: [] });
    expect(codes.py).not.toBe(0);
    // docs/compatibility.md, "Dependency names and cycles are checked before launch".
    expect(codes.gt).toBe(2);
    expect(fs.existsSync(path.join(dir, 'gt', 'db.sqlite'))).toBe(false);
    const again = await gator(['validate', path.join(dir, 'gt.yaml')], { cwd: dir });
    expect(again.stdout + again.stderr).toMatch(message);
  });

  it('test_tier_terminate: stopping the root stops the running job and never launches its dependant', async () => {
    const dir = tempDir('gator-pybeh-');
    for (const side of ['py', 'gt'] as const) {
      const t = path.join(dir, `touch-${side}`);
      fs.mkdirSync(t);
      const file = writeSpec(
        dir,
        `${side}.yaml`,
        `!JobGroup
ident: grp
jobs:
  - !Job {ident: a, command: touch, args: [${t}/touch.a]}
  - !Job {ident: s, command: bash, args: [-c, 'touch ${t}/touch.s; exec sleep 60'], on_pass: [a]}
  - !Job {ident: b, command: touch, args: [${t}/touch.b], on_pass: [s]}
`,
      );
      const run = side === 'py' ? startPythonGator(['--tracking', path.join(dir, side), file], { cwd: dir }) : startGator([file, '--tracking', path.join(dir, side)], { cwd: dir });
      await waitFor(() => fs.existsSync(path.join(t, 'touch.s')), 60_000, `${side}: the sleep job to start`);
      run.child.kill('SIGTERM');
      const done = await run.done;
      expect(fs.existsSync(path.join(t, 'touch.a'))).toBe(true);
      expect(fs.existsSync(path.join(t, 'touch.b'))).toBe(false);
      // The stopped job's wrapper records exit 255 in both.
      expect(rows(path.join(dir, side, 's', 'db.sqlite'), "SELECT value FROM Attribute WHERE name = 'exit'")[0].value).toBe('255');
      // Gator: 130 after a signal, and the never-launched dependant is recorded skipped (ABORTED)
      // (docs/compatibility.md, "Stop records children still waiting as skipped"); Python: 1, left UNKNOWN.
      const b = rows(path.join(dir, side, 'db.sqlite'), "SELECT result FROM ChildEntry WHERE ident = 'b'")[0].result;
      if (side === 'gt') {
        expect(done.code).toBe(130);
        expect(b).toBe('3');
      } else {
        expect(done.code).toBe(1);
        expect(b).toBe('0');
      }
    }
  });
});

describe('test_tier.py: test_tier_get_tree (over the wire)', () => {
  const schedulers: LocalScheduler[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.close();
  });

  it("a running root lists its launched children; the tree below shows every job STARTED", async () => {
    // The root runs in this process so the test knows its address; get_tree itself is only
    // served to a parent (Python's too), and is covered in packages/tier/test/serve.test.ts.
    const dir = tempDir('gator-pybeh-');
    const marks = path.join(dir, 'marks');
    fs.mkdirSync(marks);
    const job = (id: string) => `!Job {ident: ${id}, command: sh, args: [-c, 'touch ${marks}/${id}; sleep 30']}`;
    const spec = loadSpec(
      `!JobGroup\nident: top\njobs:\n  - ${job('c')}\n  - !JobGroup\n    ident: mid\n    jobs:\n      - ${job('b')}\n      - !JobGroup {ident: low, jobs: [${job('a')}]}\n`,
      'tree.yaml',
    ) as JobGroup;
    const token = randomBytes(12).toString('hex');
    const scheduler = await createLocalScheduler({ options: { concurrency: '3' }, token });
    schedulers.push(scheduler);
    const tier = createTier({ spec, ident: 'top', tracking: path.join(dir, 'run'), scheduler, schedulerName: 'local', schedArgs: { concurrency: '3' }, childCommand: [process.execPath, CLI], token, interval: 1, cwd: dir });
    const running = tier.run();
    await waitFor(() => ['a', 'b', 'c'].every((n) => fs.existsSync(path.join(marks, n))), 60_000, 'the three jobs to start');
    const observer = await connect(tier.address!, { token });
    try {
      const { children } = await observer.request('children', {});
      expect(new Set(children.filter((c) => c.status === 1 || c.status === 2).map((c) => c.ident))).toEqual(new Set(['c', 'mid']));
      const states = (job: { ident: string; status: number; children: any[] }): unknown =>
        job.children.length === 0 ? ['STARTED', 'COMPLETE'][job.status - 2] : Object.fromEntries(job.children.map((c) => [c.ident, states(c)]));
      const tree = await observer.request('resolve', { root_path: [], nest_path: null, depth: 3 });
      expect(states(tree)).toEqual({ c: 'STARTED', mid: { b: 'STARTED', low: { a: 'STARTED' } } });
    } finally {
      observer.close();
      tier.stop('test done');
      await running;
    }
  });
});

// ------------------------------------------------------------------ tests/test_wrapper.py

describe('test_wrapper.py: what a wrapper records', () => {
  const PY_ATTRIBUTES = ['ident', 'uidx', 'root', 'path', 'started', 'cmd', 'cwd', 'host', 'req_cores', 'req_memory', 'req_licenses', 'pid', 'exit', 'stopped', 'result'];

  it('test_wrapper_basic: the attributes, their values, the job output and the message counts', async () => {
    const dir = tempDir('gator-pybeh-');
    const spec = writeSpec(dir, 'basic.yaml', `!Job\nident: test\ncwd: ${dir}\ncommand: echo\nargs: [hi]\nresources: [!Cores [2], !License [A, 1], !License [B, 3], !Memory [1.5, GB]]\n`);
    const { py, gt } = await both(dir, spec);
    expect([py.code, gt.code]).toEqual([0, 0]);
    const attrs = (side: string) => rows(path.join(dir, side, 'db.sqlite'), 'SELECT name, value FROM Attribute ORDER BY db_uid') as { name: string; value: string }[];
    const pyAttrs = attrs('py');
    const gtAttrs = attrs('gt');
    expect(pyAttrs.map((a) => a.name)).toEqual(PY_ATTRIBUTES);
    const value = (list: { name: string; value: string }[], name: string) => list.find((a) => a.name === name)?.value;
    for (const [name, expected] of Object.entries({ ident: 'test', uidx: '0', root: '0', path: '', cmd: 'echo hi', cwd: dir, host: os.hostname(), req_cores: '2', req_memory: '1500.0', req_licenses: 'A=1,B=3', exit: '0', result: '1' })) {
      expect([name, value(pyAttrs, name)]).toEqual([name, expected]);
      expect([name, value(gtAttrs, name)]).toEqual([name, expected]);
    }
    for (const list of [pyAttrs, gtAttrs]) {
      expect(Number(value(list, 'pid'))).toBeGreaterThan(0);
      expect(Number(value(list, 'stopped'))).toBeGreaterThanOrEqual(Number(value(list, 'started')));
    }
    // Gator keeps Python's rows in Python's order, with its own in between and after
    // (docs/compatibility.md, "Extra Attribute rows and the GatorAttempt table").
    expect(gtAttrs.map((a) => a.name).filter((n) => PY_ATTRIBUTES.includes(n))).toEqual(PY_ATTRIBUTES);
    expect(gtAttrs.map((a) => a.name).filter((n) => !PY_ATTRIBUTES.includes(n))).toEqual(['env', 'argv', 'outcome', 'attempts']);
    for (const side of ['py', 'gt']) {
      const logged = rows(path.join(dir, side, 'db.sqlite'), "SELECT severity, message FROM LogEntry WHERE message = 'hi'");
      expect(logged).toEqual([{ severity: '20', message: 'hi' }]);
    }
    // Python also stores its own "Launching task" / "Task completed" INFO and DEBUG lines; Gator
    // stores only the job's (docs/compatibility.md, "Gator's own progress lines are not stored").
    const group = (side: string) => Object.fromEntries(rows(path.join(dir, side, 'db.sqlite'), "SELECT name, value FROM Metric WHERE scope = '_GROUP_'").map((r: any) => [r.name, r.value]));
    expect(group('py').msg_info).toBeGreaterThan(group('gt').msg_info);
    expect(group('py').msg_debug).toBeGreaterThan(0);
    expect(group('gt')).toMatchObject({ msg_info: 1, msg_debug: 0 });
  });

  it('test_wrapper_procstat, test_wrapper_procstat_tree: samples of the whole process tree at the interval', async () => {
    const dir = tempDir('gator-pybeh-');
    for (let i = 0; i < 5; i++) {
      const lines = ['sleep 2', ...(i > 0 ? [`sh ${path.join(dir, `script_${i - 1}.sh`)}`] : [])];
      fs.writeFileSync(path.join(dir, `script_${i}.sh`), `${lines.join('\n')}\n`, { mode: 0o777 });
    }
    const spec = writeSpec(dir, 'tree.yaml', `!Job\nident: test\ncwd: ${dir}\ncommand: sh\nargs: [${path.join(dir, 'script_4.sh')}]\n`);
    // One at a time: the sample counts depend on the machine being free enough.
    const { py, gt } = await both(dir, spec, ['--interval', '1'], { oneAtATime: true });
    expect([py.code, gt.code]).toEqual([0, 0]);
    for (const side of ['py', 'gt']) {
      const stats = rows(path.join(dir, side, 'db.sqlite'), 'SELECT nproc, cpu, mem, vmem FROM ProcStat');
      // 10 s of jobs at one sample a second (Python's test asks for >= 10; the machine may be slower).
      expect(stats.length, side).toBeGreaterThanOrEqual(5);
      expect(stats.every((s) => s.nproc >= 1 && s.cpu >= 0 && s.mem >= 0 && s.vmem >= 0), side).toBe(true);
      expect(stats.some((s) => s.nproc >= 6), `${side}: ${stats.map((s) => s.nproc)}`).toBe(true);
    }
  });

  it('test_wrapper_metric: metrics a job sets (and resets) are stored and reported up', async () => {
    const dir = tempDir('gator-pybeh-');
    const script = path.join(dir, 'metrics.py');
    fs.writeFileSync(
      script,
      `import asyncio, json, os, websockets
async def main():
    async with websockets.connect(f"ws://{os.environ['GATOR_PARENT']}") as ws:
        for i, (name, value) in enumerate([("widgets", 123), ("gizmos", 345), ("gadgets", 567), ("widgets", 678), ("gizmos", 789), ("gadgets", 890)]):
            await ws.send(json.dumps({"action": "metric", "req_id": i, "payload": {"name": name, "value": value}}))
            assert json.loads(await ws.recv())["payload"] == {"result": "success"}
asyncio.run(main())
`,
    );
    const spec = writeSpec(dir, 'metric.yaml', `!JobGroup\nident: grp\njobs:\n  - !Job {ident: test, command: ${PYTHON}, args: [${script}]}\n`);
    const { py, gt } = await both(dir, spec);
    expect([py.code, gt.code], py.stdout + gt.stdout).toEqual([0, 0]);
    const expected = { widgets: 678, gizmos: 789, gadgets: 890 };
    for (const side of ['py', 'gt']) {
      const own = Object.fromEntries(rows(path.join(dir, side, 'test', 'db.sqlite'), "SELECT name, value FROM Metric WHERE scope = '_OWN_'").map((r: any) => [r.name, r.value]));
      expect(own, side).toMatchObject(expected);
      // Summed into the parent's group metrics, and recorded under the child's ident there.
      const root = Object.fromEntries(rows(path.join(dir, side, 'db.sqlite'), "SELECT scope || '.' || name AS k, value FROM Metric WHERE name IN ('widgets', 'gizmos', 'gadgets')").map((r: any) => [r.k, r.value]));
      expect(root, side).toMatchObject({ '_GROUP_.widgets': 678, 'test.widgets': 678, '_GROUP_.gadgets': 890 });
    }
  });
});

// ------------------------------------------------------------------ tests/test_types.py (storage)

describe('test_types.py: how rows are stored (column types as SQLite sees them)', () => {
  it('Attribute, LogEntry, ProcStat, Metric and ChildEntry values have the same SQLite types in both', async () => {
    const dir = tempDir('gator-pybeh-');
    const spec = writeSpec(dir, 'types.yaml', `!JobGroup\nident: grp\njobs:\n  - !Job {ident: j, command: bash, args: [-c, 'echo out; echo err >&2; sleep 1.5']}\n`);
    const { py, gt } = await both(dir, spec, ['--interval', '1', '--limit-error', '5']);
    expect([py.code, gt.code]).toEqual([0, 0]);
    const types = (side: string) => {
      const w = path.join(dir, side, 'j', 'db.sqlite');
      const t = path.join(dir, side, 'db.sqlite');
      const one = (file: string, sql: string) => rows(file, sql).map((r) => Object.values(r).join(' '));
      return {
        attribute: one(w, 'SELECT DISTINCT typeof(value) FROM Attribute'),
        logSeverity: one(w, 'SELECT DISTINCT typeof(severity) FROM LogEntry'),
        logTimestamp: one(w, "SELECT DISTINCT typeof(timestamp) FROM LogEntry WHERE message IN ('out', 'err')"),
        severities: one(w, "SELECT severity FROM LogEntry WHERE message IN ('out', 'err') ORDER BY message DESC"),
        procstat: one(w, 'SELECT DISTINCT typeof(nproc), typeof(mem), typeof(vmem), typeof(timestamp) FROM ProcStat'),
        metric: one(w, 'SELECT DISTINCT typeof(value) FROM Metric'),
        child: one(t, 'SELECT typeof(server_url), typeof(db_file), typeof(started), typeof(updated), typeof(stopped), typeof(result), typeof(expected_children), result FROM ChildEntry'),
      };
    };
    const expected = {
      attribute: ['text'],
      logSeverity: ['text'],
      logTimestamp: ['real'],
      severities: ['20', '40'],
      procstat: ['integer integer integer real'],
      metric: ['integer'],
      child: ['text text text text text text integer 1'],
    };
    expect(types('py')).toEqual(expected);
    expect(types('gt')).toEqual(expected);
  });
});

// ------------------------------------------------------------------ tests/test_local_scheduler.py

describe('test_local_scheduler.py: the child command line', () => {
  it("is Python's create_command, token for token, for the same options", async () => {
    const cases: { limits: { warning?: number; error?: number; critical?: number }; quiet: boolean; opts: Record<string, string>; interval: number }[] = [
      { limits: {}, quiet: false, opts: {}, interval: 7 },
      { limits: { warning: 3, error: 2, critical: 1 }, quiet: true, opts: { concurrency: '4', foo: 'bar' }, interval: 5 },
    ];
    const pyLines = await python<string[]>(
      `
import json, sys
from pathlib import Path
from unittest.mock import MagicMock
from gator.common.child import Child
from gator.common.logger import MessageLimits
from gator.scheduler import LocalScheduler
from gator.specs.jobs import Job
out = []
for c in json.loads(sys.argv[1]):
    s = LocalScheduler(parent="test:1234", interval=c["interval"], quiet=c["quiet"], options=c["opts"],
                       limits=MessageLimits(warning=c["limits"].get("warning"), error=c["limits"].get("error", 0), critical=c["limits"].get("critical", 0)))
    child = Child(spec=Job(), ident="T3", entry=MagicMock(), tracking=Path("/trk/T3"))
    out.append(s.create_command(child, {"concurrency": 1} if not c["opts"] else None))
print(json.dumps(out))
`,
      { args: [JSON.stringify(cases)] },
    );
    cases.forEach((c, i) => {
      const argv = childArgv(
        ['python3', '-m', 'gator'],
        { limits: c.limits, interval: c.interval, scheduler: 'local', allMsg: !c.quiet, schedArgs: Object.keys(c.opts).length ? c.opts : { concurrency: '1' } },
        { parent: 'test:1234', id: 'T3', tracking: '/trk/T3' },
      );
      expect(argv.join(' ')).toBe(pyLines[i]);
    });
  });
});

// ------------------------------------------------------------------ tests/common/test_ws_*.py (wire)

describe('test_ws_router.py, test_ws_link.py: what a server answers', () => {
  it('identify, posted and non-posted requests, unknown actions, failing handlers, logging: the same replies from both wrappers', async () => {
    const dir = tempDir('gator-pybeh-');
    const script = path.join(dir, 'router.py');
    fs.writeFileSync(
      script,
      `import asyncio, json, os, sys, websockets
async def main(out):
    async with websockets.connect(f"ws://{os.environ['GATOR_PARENT']}") as ws:
        frames = [
            {},                                                       # identify
            {"posted": True},                                         # posted identify: no reply
            {"req_id": 8},                                            # identify echoes req_id
            {"action": "bad_route", "payload": {"word": "hello"}, "posted": True},
            {"action": "bad_route", "req_id": 2, "payload": {"word": "hello"}, "posted": False},
            {"action": "metric", "req_id": 3, "posted": True, "payload": {"name": "m"}},
            {"action": "metric", "req_id": 3, "posted": False, "payload": {"name": "m"}},
            {"action": "metric", "req_id": 4, "payload": {"name": "m", "value": 2}},
        ] + [{"action": "log", "posted": True, "payload": {"timestamp": 123, "severity": s, "message": f"Hi {s}"}}
             for s in ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]] + [
            {"action": "log", "req_id": 9, "payload": {"message": "last"}},
        ]
        for f in frames:
            await ws.send(json.dumps(f))
        replies = []
        while not any(r.get("rsp_id") == 9 for r in replies):
            replies.append(json.loads(await ws.recv()))
        json.dump(replies, open(out, "w"))
asyncio.run(main(sys.argv[1]))
`,
    );
    const replies: Record<string, any[]> = {};
    for (const side of ['py', 'gt'] as const) {
      const out = path.join(dir, `${side}.json`);
      const spec = writeSpec(dir, `${side}.yaml`, `!Job\nident: router\ncommand: ${PYTHON}\nargs: [${script}, ${out}]\n`);
      const run = side === 'py' ? await pyRun(['--tracking', path.join(dir, side), '--limit-error', '9', '--limit-critical', '9', spec], dir) : await gator([spec, '--tracking', path.join(dir, side), '--limit-error', '9', '--limit-critical', '9'], { cwd: dir });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      replies[side] = JSON.parse(fs.readFileSync(out, 'utf8'));
      // test_ws_link_logging: each severity stored as sent, with the job's timestamp.
      const logged = rows(path.join(dir, side, 'db.sqlite'), "SELECT severity, message, timestamp FROM LogEntry WHERE message LIKE 'Hi %' ORDER BY db_uid");
      expect(logged, side).toEqual(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'].map((s, i) => ({ severity: String(10 * (i + 1)), message: `Hi ${s}`, timestamp: 123 })));
    }
    // Reasons are each implementation's words (Python's is its TypeError); the shapes are the same.
    const shape = (r: any) => (r.result === 'error' ? { result: 'error', rsp_id: r.rsp_id, ...(r.rsp_id === 2 ? { reason: r.reason } : {}) } : r);
    expect(replies.gt!.map(shape)).toEqual(replies.py!.map(shape));
    expect(replies.py!.map(shape)).toEqual([
      { action: 'identify', rsp_id: 0, result: 'success', payload: { tool: 'gator', version: '1.0' } },
      { action: 'identify', rsp_id: 8, result: 'success', payload: { tool: 'gator', version: '1.0' } },
      { result: 'error', rsp_id: 2, reason: "Unknown action 'bad_route'" },
      { result: 'error', rsp_id: 3 },
      { action: 'metric', rsp_id: 4, result: 'success', payload: { result: 'success' } },
      { action: 'log', rsp_id: 9, result: 'success', payload: {} },
    ]);
  });
});

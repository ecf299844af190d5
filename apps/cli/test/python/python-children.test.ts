/**
 * Python Gator children (jobs and tiers) under a Gator root (issue 18, the
 * opposite direction). The root is the real @gator/tier with the real local
 * scheduler, run in this process; its `childCommand` (how a tier starts a
 * child, `TierOptions.childCommand`) starts `python3 -m gator` instead of
 * Gator's CLI. Python's client presents no credential, so such a run needs the
 * explicit setting `allowTokenless` (`gator run --allow-tokenless`); without
 * it the children are refused, with a message that names the setting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSpec, JobResult, type JobGroup, type Summary } from '@gator/protocol';
import { createLocalScheduler, type LocalScheduler } from '@gator/scheduler-local';
import { createTier, type TierEvent, type TierOutcome } from '@gator/tier';
import { CLI, tempDir } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { PYTHON, needsPythonPeer, pythonEnv } from './peer.js';

needsPythonPeer();

const schedulers: LocalScheduler[] = [];
const savedEnv = { PATH: process.env.PATH, PYTHONPATH: process.env.PYTHONPATH };
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.close();
  process.env.PATH = savedEnv.PATH;
  if (savedEnv.PYTHONPATH === undefined) delete process.env.PYTHONPATH;
  else process.env.PYTHONPATH = savedEnv.PYTHONPATH;
});

interface RootRun {
  outcome: TierOutcome;
  events: TierEvent[];
  tracking: string;
}

/**
 * A Gator root tier over children started by `childCommand`, at a 1 s heartbeat: Python's tiers
 * beat every 5 s whatever they are told, so the root must allow Python children longer silences
 * than 3 intervals (it knows them by their `register`, which carries no protocol version).
 */
async function gatorRoot(spec: JobGroup, childCommand: string[], dir: string, name: string, allowTokenless = false): Promise<RootRun> {
  // The scheduler starts children with this process's environment: Python's, so
  // Python tiers find the venv's python3 (and the package) for their own children.
  Object.assign(process.env, pythonEnv());
  const tracking = path.join(dir, name);
  const token = randomBytes(12).toString('hex');
  const schedArgs = { concurrency: '4' };
  const scheduler = await createLocalScheduler({ options: schedArgs, token });
  schedulers.push(scheduler);
  const events: TierEvent[] = [];
  const tier = createTier({
    spec,
    ident: spec.ident ?? 'root',
    tracking,
    scheduler,
    schedulerName: 'local',
    schedArgs,
    childCommand,
    token,
    interval: 1,
    cwd: dir,
    ...(allowTokenless ? { allowTokenless } : {}),
    onEvent: (e) => events.push(e),
  });
  const outcome = await tier.run();
  return { outcome, events, tracking };
}

function results(tracking: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [p, r] of collectResults(tracking)) if (p) out[p] = r.result;
  return out;
}

const SUB = ['sub_total', 'sub_active', 'sub_passed', 'sub_failed'] as const;
const sub = (s: Summary) => Object.fromEntries(SUB.map((k) => [k, s.metrics[k]]));

describe('Python Gator children under a Gator root', () => {
  it('with the mixed-tree setting (allowTokenless), Python children without a credential pass 7 of 7 scenarios, as Gator children do', async () => {
    const dir = tempDir('gator-pychild-');
    const api = path.join(dir, 'api.py');
    // A job of the Python era: log and metric through ws://$GATOR_PARENT.
    fs.writeFileSync(
      api,
      `import asyncio, json, os, websockets
async def main():
    async with websockets.connect(f"ws://{os.environ['GATOR_PARENT']}") as ws:
        await ws.send(json.dumps({"action": "log", "posted": True, "payload": {"severity": "WARNING", "message": "from the job"}}))
        await ws.send(json.dumps({"action": "metric", "req_id": 0, "payload": {"name": "cells", "value": 7}}))
        assert json.loads(await ws.recv())["result"] == "success"
asyncio.run(main())
`,
    );
    const envDump = path.join(dir, 'env-dump');
    fs.writeFileSync(path.join(dir, 'env-dump.sh'), `env > '${envDump}'\n`);
    const spec = loadSpec(
      `!JobGroup
ident: root
jobs:
  - !Job {ident: passes, command: bash, args: ['${path.join(dir, 'env-dump.sh')}']}
  - !Job {ident: exits, command: bash, args: [-c, 'exit 4']}
  - !Job {ident: stderr, command: bash, args: [-c, 'echo bad >&2']}
  - !Job {ident: api, command: python3, args: ['${api}']}
  - !JobGroup
    ident: group
    jobs:
      - !Job {ident: a, command: sleep, args: ['4']}
      - !Job {ident: b, command: bash, args: [-c, 'exit 1']}
  - !JobArray
    ident: arr
    repeats: 2
    jobs:
      - !Job {ident: x, command: bash, args: [-c, 'echo index $GATOR_ARRAY_INDEX']}
  - !Job {ident: after_exits, on_fail: [exits], command: "true"}
  - !Job {ident: pruned, on_pass: [exits], command: "true"}
`,
      'scenarios.yaml',
    ) as JobGroup;

    const py = await gatorRoot(spec, [PYTHON, '-m', 'gator'], dir, 'py', true);
    // No secret reaches a Python job either: there is none in any child's environment.
    expect(fs.readFileSync(envDump, 'utf8')).not.toMatch(/^GATOR_TOKEN=/m);
    const gt = await gatorRoot(spec, [process.execPath, CLI], dir, 'gt');
    expect(fs.readFileSync(envDump, 'utf8')).not.toMatch(/^GATOR_TOKEN=/m);

    const expected = {
      passes: JobResult.SUCCESS,
      exits: JobResult.FAILURE,
      stderr: JobResult.FAILURE,
      api: JobResult.SUCCESS,
      group: JobResult.FAILURE,
      'group.a': JobResult.SUCCESS,
      'group.b': JobResult.FAILURE,
      arr: JobResult.SUCCESS,
      'arr.x_0': JobResult.SUCCESS,
      'arr.x_1': JobResult.SUCCESS,
      after_exits: JobResult.SUCCESS,
      pruned: JobResult.ABORTED,
    };
    expect(results(py.tracking)).toEqual(expected);
    expect(results(gt.tracking)).toEqual(expected);
    expect(py.outcome.result).toBe(JobResult.FAILURE);
    expect(sub(py.outcome.summary)).toEqual(sub(gt.outcome.summary));
    // Tiers list their failed jobs, not themselves, in both.
    const failed = (r: RootRun) => r.outcome.summary.failed_ids.map((p) => p.join('.')).sort();
    expect(failed(py)).toEqual(['root.exits', 'root.group.b', 'root.stderr']);
    expect(failed(gt)).toEqual(failed(py));
    // The job's metric, set through the Python wrapper, is summed into the Gator root.
    expect(py.outcome.summary.metrics.cells).toBe(7);
    expect(gt.outcome.summary.metrics.cells).toBe(7);
    // Nothing was lost or refused: every Python child registered and completed (the Python tier
    // 'group', silent for 4 s between its heartbeats, was not taken for lost at a 1 s interval).
    const trouble = py.events.filter((e) => (e.type === 'child' && e.state === 'lost') || (e.type === 'message' && /Refused a connection/.test(e.message)));
    expect(trouble).toEqual([]);
    // The Python layers wrote their own (Python) databases where the Gator tier said.
    expect(fs.existsSync(path.join(py.tracking, 'group', 'a', 'db.sqlite'))).toBe(true);
  });

  it('without the setting, Python children that present no credential are refused with a message naming it, and lost', async () => {
    const dir = tempDir('gator-pychild-');
    const spec = loadSpec('!JobGroup\nident: root\njobs:\n  - !Job {ident: plain, command: "true"}\n', 'plain.yaml') as JobGroup;
    const run = await gatorRoot(spec, [PYTHON, '-m', 'gator'], dir, 'py');
    expect(run.outcome.result).toBe(JobResult.FAILURE);
    const refused = run.events.filter((e) => e.type === 'message' && /Refused a connection from .*: missing credential/.test(e.message));
    expect(refused.length).toBeGreaterThan(0);
    // The refusal names the setting that would let the child in.
    expect(refused.map((e) => (e as { message: string }).message).join('\n')).toMatch(/gator run --allow-tokenless/);
    // And the tier's refusal is not a warning against anyone.
    expect(refused.every((e) => (e as { severity: number }).severity < 30)).toBe(true);
    const lost = run.events.find((e) => e.type === 'child' && e.id === 'plain' && e.state === 'lost');
    expect(lost, JSON.stringify(run.events.filter((e) => e.type === 'child'))).toBeDefined();
    // Python's own record of why: its client got HTTP 401 from the tier.
    expect(fs.readFileSync(path.join(run.tracking, 'plain', 'error.log'), 'utf8')).toMatch(/401/);
  });

});

// Against the real loopback cluster (test/cluster-setup.ts brings it up): what the
// conformance suite does not see — job names, what qsub was asked for, Grid Engine's
// own ends (Eqw, limits, someone else's qdel), arrays, nested tiers, the cost of
// polling, a qmaster restart, and that nothing stays in qstat.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MARKER } from '@gator/vitest-config/processes';
import { fixtureRequests, waitUntil } from '@gator/protocol/conformance';
import type { LaunchRequest, LaunchedChild } from '@gator/protocol';
import { createSgeScheduler, type SgeScheduler } from '../src/index.js';

const fixtures = fixtureRequests('gator-sge-test-');
const request = fixtures.request.bind(fixtures);

async function scheduler(options: Record<string, string> = {}, events?: string[]): Promise<SgeScheduler> {
  const s = await createSgeScheduler({
    options: { poll: '0.2', grace: '1', host: '127.0.0.1', ...options },
    ...(events ? { onEvent: (e) => events.push(`${e.level} ${e.message}`) } : {}),
  });
  onTestFinished(() => s.close());
  return s;
}


function sge(command: string, ...args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}

/** `qstat -j` of a job, or '' once Grid Engine has forgotten it. */
function details(handle: string): string {
  try {
    return sge('qstat', '-j', handle.split('.')[0]!);
  } catch {
    return '';
  }
}

/** Job numbers (and tasks) qstat still lists, of those given. */
function listed(...handles: string[]): string[] {
  const xml = sge('qstat', '-xml');
  const jobs = new Set([...xml.matchAll(/<JB_job_number>(\d+)<\/JB_job_number>/g)].map((m) => m[1]));
  return handles.filter((h) => jobs.has(h.split('.')[0]));
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('submission', () => {
  it('names the job after the Gator path, readable in qstat', async () => {
    const s = await scheduler();
    const { req, file } = request('sleeps', (f) => ['60000', f('ready')], { path: ['nightly', 'tests', 'seed 3'] });
    const child = await s.launch(req);
    await child.started;
    expect(child.handle).toMatch(/^\d+$/);
    expect(details(child.handle!)).toMatch(/^job_name:\s+gator\.nightly\.tests\.seed_3$/m);
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    await s.stop(child.id);
  });

  it('maps cores, memory and licenses to qsub, and keeps the run secret out of qstat, the script and the command line', async () => {
    const s = await scheduler();
    const secret = `secret-${process.pid}-${Date.now()}`;
    const { req, file, tracking } = request('records-env', (f) => [f('env.json'), 'GATOR_TOKEN', 'GATOR_EXTRA', 'PATH', 'NSLOTS', 'JOB_ID'], {
      env: { GATOR_TOKEN: secret, GATOR_EXTRA: 'it\'s "quoted", $HOME\nand a second line' },
      resources: { cores: 1.5, memoryMb: 300, licenses: { simtool: 1 } },
    });
    const child = await s.launch(req);
    await waitUntil(() => child.handle !== undefined, 'qsub to answer');
    const job = details(child.handle!);
    expect(job).toMatch(/^parallel environment:\s+smp range: 2$/m);
    // Per slot: (300 MB + 2000 MB for the wrapper) / 2 slots.
    expect(job).toMatch(/^hard resource_list:\s+.*h_vmem=1150m/m);
    expect(job).toMatch(/simtool=1/);
    expect(job).toMatch(new RegExp(`^cwd:\\s+${req.cwd}$`, 'm'));
    expect(job).not.toContain(secret);
    expect(await child.exited).toMatchObject({ code: 0 });
    const seen = JSON.parse(fs.readFileSync(file('env.json'), 'utf8')) as { env: Record<string, string> };
    expect(seen.env.GATOR_TOKEN).toBe(secret);
    expect(seen.env.GATOR_EXTRA).toBe(req.env.GATOR_EXTRA);
    // Our PATH, not the one a login shell's profile would set; Grid Engine's own per-job variables.
    expect(seen.env.PATH).toBe(process.env.PATH);
    expect(seen.env.NSLOTS).toBe('2');
    expect(seen.env.JOB_ID).toBe(child.handle);
    // The environment file is gone; the job's output file is private.
    expect(fs.readdirSync(tracking).sort()).toEqual(['scheduler.log', 'sge.sh']);
    expect(fs.statSync(path.join(tracking, 'scheduler.log')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(tracking, 'sge.sh'), 'utf8')).not.toContain(secret);
  });

  it('quotes argv so that spaces, quotes and $ reach the child unchanged', async () => {
    const s = await scheduler();
    const odd = `a b 'c' "d" $HOME \\ ; echo x`;
    const { req, file } = request('records-env', (f) => [f('env.json')]);
    // records-env writes the env names it is given: an odd name is echoed back as a key.
    req.command.push(odd);
    const child = await s.launch(req);
    expect(await child.exited).toMatchObject({ code: 0 });
    const seen = JSON.parse(fs.readFileSync(file('env.json'), 'utf8')) as { env: Record<string, string | null> };
    expect(Object.keys(seen.env)).toContain(odd);
  });

  it('reports a submission qsub refuses as an exit with its reason, not a throw', async () => {
    const s = await scheduler({ qsub_args: '-l gator_no_such_resource=1' });
    const { req, tracking } = request('exits-with', () => ['0']);
    const child = await s.launch(req);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, signal: null, neverStarted: true });
    expect(exit.reason).toBe('qsub failed: Unable to run job: unknown resource "gator_no_such_resource"');
    await expect(child.started).rejects.toThrow(/never started/);
    expect(fs.existsSync(path.join(tracking, 'sge-env.sh'))).toBe(false);
  });

  it('refuses at once what no queue can ever run (-w e), instead of leaving it in qw', async () => {
    // More simtool seats than exist, asked behind check()'s back.
    const s = await scheduler({ qsub_args: '-l simtool=3' });
    const child = await s.launch(request('exits-with', () => ['0']).req);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, neverStarted: true });
    expect(exit.reason).toMatch(/^qsub failed: Unable to run job: error: no suitable queues/);
  });
});

describe('ends decided by Grid Engine', () => {
  it('a missing working directory: Eqw, reported with the engine\'s reason, and deleted', async () => {
    const events: string[] = [];
    const s = await scheduler({}, events);
    const { req, tracking } = request('exits-with', () => ['0']);
    req.cwd = path.join(fixtures.root, 'no-such-dir');
    const child = await s.launch(req);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, signal: null, neverStarted: true });
    expect(exit.reason).toMatch(/^Eqw: can't chdir to .*no-such-dir: No such file or directory$/);
    expect(events.some((e) => e.startsWith('warning ') && e.includes('error state Eqw'))).toBe(true);
    await waitUntil(() => listed(child.handle!).length === 0, 'qdel of the Eqw job');
    expect(fs.existsSync(path.join(tracking, 'sge-env.sh'))).toBe(false);
  });

  it('an output file Grid Engine cannot open: Eqw, not a hang', async () => {
    // Held at submission, so that the output path can be removed before it is dispatched.
    const s = await scheduler({ qsub_args: '-h' });
    const { req, tracking } = request('exits-with', () => ['0']);
    const child = await s.launch(req);
    await waitUntil(() => child.handle !== undefined, 'qsub to answer');
    fs.rmSync(tracking, { recursive: true, force: true });
    sge('qrls', child.handle!);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, neverStarted: true });
    expect(exit.reason).toMatch(/^Eqw: can't open output file .*scheduler\.log/);
  });

  it('a running job deleted by someone else ends the child, not as a success', async () => {
    const s = await scheduler();
    const { req, file } = request('sleeps', (f) => ['60000', f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    const pid = Number(fs.readFileSync(file('ready'), 'utf8'));
    sge('qdel', child.handle!);
    const exit = await child.exited;
    expect(exit.neverStarted).toBeFalsy();
    expect(exit.code === 0).toBe(false);
    // -notify: the child got SIGTERM from its script first.
    expect(exit.signal).toBe('SIGTERM');
    expect(alive(pid)).toBe(false);
  });

  it('a job killed by its h_rt limit: a signal with the engine\'s reason, and the child\'s group ends too', async () => {
    const s = await scheduler({ time: '3' });
    const { req, file } = request('spawns-group', (f) => [f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    const pids = JSON.parse(fs.readFileSync(file('ready'), 'utf8')) as { pid: number; grandchild: number };
    const exit = await child.exited;
    // With -notify, Grid Engine warns with SIGUSR2 first: the script turns it into SIGTERM.
    expect(exit).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(exit.reason).toMatch(/^killed by Grid Engine: failed 37: qmaster enforced h_rt/);
    await waitUntil(() => !alive(pids.pid) && !alive(pids.grandchild), 'the child and its grandchild to end');
  });

  it('a job deleted by someone else while pending is reported, after lost_after, as never started', async () => {
    const s = await scheduler({ queue: 'tiny.q', lost_after: '2' });
    const holders: LaunchedChild[] = [];
    for (let i = 0; i < 2; i++) holders.push(await s.launch(request('sleeps', () => ['60000']).req));
    await Promise.all(holders.map((h) => h.started));
    const { req, file } = request('sleeps', (f) => ['60000', f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => child.handle !== undefined, 'qsub to answer');
    sge('qdel', child.handle!);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, signal: null, neverStarted: true });
    expect(exit.reason).toMatch(/^lost: Grid Engine no longer lists job \d+ and accounting has no record of it/);
    expect(fs.existsSync(file('ready'))).toBe(false);
  });
});

describe('check', () => {
  it('names unknown licenses, too many seats, too many cores and too much memory', async () => {
    const s = await scheduler({ queue: 'tiny.q' });
    const base = { id: 'x', path: ['nightly', 'x'], kind: 'job' as const };
    const r = (resources: Partial<LaunchRequest['resources']>) => ({ cores: 0, memoryMb: 0, licenses: {}, ...resources });
    expect(s.check({ ...base, resources: r({ cores: 2, memoryMb: 100, licenses: { simtool: 2 } }) })).toBeUndefined();
    expect(s.check({ ...base, resources: r({ licenses: { nosuch: 1 } }) })).toMatch(/license nosuch, which the cluster does not define as a consumable complex \(consumables: simtool:2\)/);
    expect(s.check({ ...base, resources: r({ licenses: { arch: 1 } }) })).toMatch(/license arch, but the cluster's complex arch is not a requestable consumable/);
    expect(s.check({ ...base, resources: r({ licenses: { simtool: 3 } }) })).toMatch(/3 simtool licenses but the cluster has 2/);
    expect(s.check({ ...base, resources: r({ cores: 3 }) })).toMatch(/3 cores but the largest queue instance of tiny\.q has 2 slots/);
    expect(s.check({ ...base, resources: r({ memoryMb: 1e9 }) })).toMatch(/memory but the largest host has/);
    expect(s.check({ ...base, kind: 'tier', resources: r({ cores: 99 }) })).toBeUndefined();
    await expect(s.launch(request('exits-with', () => ['0'], { resources: r({ licenses: { nosuch: 1 } }) }).req)).rejects.toMatchObject({
      code: 'GATOR_SCHEDULER_RESOURCES',
    });
    const noPe = await scheduler({ pe: 'gator-no-such-pe' });
    expect(noPe.check({ ...base, resources: r({ cores: 2 }) })).toMatch(/no parallel environment gator-no-such-pe \(parallel environments: smp/);
  });
});

describe('stop and close', () => {
  it('stop ends the job and its process group, and qstat no longer lists it', async () => {
    const s = await scheduler();
    const { req, file } = request('spawns-group', (f) => [f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    const pids = JSON.parse(fs.readFileSync(file('ready'), 'utf8')) as { pid: number; grandchild: number };
    await s.stop(child.id);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM', reason: 'stopped' });
    expect(listed(child.handle!)).toEqual([]);
    await waitUntil(() => !alive(pids.pid) && !alive(pids.grandchild), 'the child and its grandchild to end');
  });

  it('close deletes running and queued jobs and leaves nothing in qstat; twice is fine', async () => {
    const s = await createSgeScheduler({ options: { poll: '0.2', grace: '1', queue: 'tiny.q' } });
    onTestFinished(() => s.close());
    const jobs = Array.from({ length: 5 }, () => request('sleeps', (f) => ['60000', f('ready')]));
    const children: LaunchedChild[] = [];
    for (const j of jobs) children.push(await s.launch(j.req));
    // Grid Engine does not start them in submission order.
    await waitUntil(() => jobs.some((j) => fs.existsSync(j.file('ready'))), 'a job to run');
    await waitUntil(() => children.every((c) => c.handle !== undefined), 'every job to be submitted');
    await s.close();
    const exits = await Promise.all(children.map((c) => c.exited));
    expect(exits.filter((e) => e.neverStarted).length).toBeGreaterThanOrEqual(2);
    for (const exit of exits) expect(exit.code === 0).toBe(false);
    expect(listed(...children.map((c) => c.handle!))).toEqual([]);
    await s.close();
    await expect(s.launch(request('exits-with', () => ['0']).req)).rejects.toThrow(/closed/);
  });

  it('abandon() (the process-exit hook) deletes every job synchronously', async () => {
    const s = await scheduler({ queue: 'tiny.q' });
    const children: LaunchedChild[] = [];
    for (let i = 0; i < 3; i++) children.push(await s.launch(request('sleeps', () => ['60000']).req));
    // Grid Engine does not start them in submission order.
    await Promise.race(children.map((c) => c.started));
    await waitUntil(() => children.every((c) => c.handle !== undefined), 'every job to be submitted');
    s.abandon();
    await waitUntil(() => listed(...children.map((c) => c.handle!)).length === 0, 'qstat to drop the jobs');
    for (const c of children) expect((await c.exited).code === 0).toBe(false);
  });

  it('close right after launch deletes children whose qsub is still running', async () => {
    const s = await createSgeScheduler({ options: { poll: '0.2' } });
    onTestFinished(() => s.close());
    const children = [];
    for (let i = 0; i < 3; i++) children.push(await s.launch(request('sleeps', () => ['60000']).req));
    await s.close();
    for (const c of children) expect((await c.exited).code === 0).toBe(false);
    const handles = children.flatMap((c) => (c.handle ? [c.handle] : []));
    expect(listed(...handles)).toEqual([]);
  });
});

describe('array jobs', () => {
  it('children of one !JobArray launched together become one array job (qsub -t 1-N)', async () => {
    const s = await scheduler();
    const size = 5;
    const launched = await Promise.all(
      Array.from({ length: size }, (_, index) =>
        s.launch(request('exits-with', () => [String(index === 3 ? 3 : 0)], {
          id: `sim_${index}`,
          path: ['nightly', 'seed', `sim_${index}`],
          array: { base: 'sim', index, size },
        }).req),
      ),
    );
    const exits = await Promise.all(launched.map((c) => c.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 3, 0]);
    const jobs = new Set(launched.map((c) => c.handle!.split('.')[0]));
    expect(jobs.size).toBe(1);
    expect(launched.map((c) => c.handle!.split('.')[1])).toEqual(['1', '2', '3', '4', '5']);
    const accounting = sge('qacct', '-j', [...jobs][0]!);
    expect([...accounting.matchAll(/^jobname\s+(\S+)/gm)].map((m) => m[1])).toEqual(Array(size).fill('gator.nightly.seed.sim'));
    expect(s.counters.qsub).toBe(1);
  });

  it('arrays=off submits each child on its own', async () => {
    const s = await scheduler({ arrays: 'off' });
    const launched = await Promise.all(
      [0, 1].map((index) => s.launch(request('exits-with', () => ['0'], { array: { base: 'seed', index, size: 2 } }).req)),
    );
    await Promise.all(launched.map((c) => c.exited));
    for (const c of launched) expect(c.handle).toMatch(/^\d+$/);
  });

  it('stopping one task of an array leaves the others running', async () => {
    const s = await scheduler();
    const reqs = [0, 1].map((index) => request('sleeps', (f) => ['60000', f('ready')], { array: { base: 'grp', index, size: 2 } }));
    const launched = await Promise.all(reqs.map((r) => s.launch(r.req)));
    await waitUntil(() => reqs.every((r) => fs.existsSync(r.file('ready'))), 'both tasks to run');
    await s.stop(launched[0]!.id);
    expect((await launched[0]!.exited).code === 0).toBe(false);
    expect(sge('qstat', '-xml')).toMatch(new RegExp(`<JB_job_number>${launched[1]!.handle!.split('.')[0]}</JB_job_number>[\\s\\S]*?<state>r</state>`));
  });
});

describe('nested tiers', () => {
  it('tiers=local (default) runs a tier as a local process', async () => {
    const s = await scheduler();
    const { req } = request('exits-with', () => ['4'], { kind: 'tier' });
    const child = await s.launch(req);
    expect(await child.exited).toMatchObject({ code: 4 });
    expect(Number(child.handle)).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(req.tracking, 'sge.sh'))).toBe(false);
  });

  it('tiers=sge submits a tier as a 1-slot job, whatever it asks for', async () => {
    const s = await scheduler({ tiers: 'sge' });
    const { req } = request('sleeps', (f) => ['60000', f('ready')], { kind: 'tier', resources: { cores: 4, memoryMb: 100, licenses: {} } });
    const child = await s.launch(req);
    await child.started;
    const job = details(child.handle!);
    expect(job).not.toMatch(/parallel environment|hard resource_list/);
    await s.stop(child.id);
  });
});

describe('polling', () => {
  it('costs one qstat per poll whatever the job count, and no qacct while the accounting file is readable', async () => {
    const s = await scheduler({ poll: '0.5' });
    const launched = await Promise.all(Array.from({ length: 6 }, () => s.launch(request('exits-with', () => ['0']).req)));
    await Promise.all(launched.map((c) => c.exited));
    expect(s.counters.polls).toBeGreaterThan(0);
    expect(s.counters.qstat).toBe(s.counters.polls);
    expect(s.counters.qacct).toBe(0);
  });

  it('accounting=qacct reads exit statuses with qacct instead', async () => {
    const s = await scheduler({ accounting: 'qacct' });
    const child = await s.launch(request('exits-with', () => ['5']).req);
    expect(await child.exited).toMatchObject({ code: 5 });
    expect(s.counters.qacct).toBeGreaterThan(0);
  });

  it('a qmaster restart while jobs run: polls fail and are retried, and no job is reported failed or lost', async () => {
    const events: string[] = [];
    const s = await scheduler({ poll: '0.2' }, events);
    const { req, file } = request('sleeps', (f) => ['8000', f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    // Stop the qmaster up.sh started (by its pid file); the execd keeps the job running.
    const pidFile = '/run/sge-loopback/qmaster.pid';
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGTERM');
    try {
      await waitUntil(() => events.some((e) => e.startsWith('warning qstat failed')), 'a failed poll', 60_000);
    } finally {
      await waitUntil(() => !alive(pid), 'the qmaster to stop', 60_000);
      const env = { ...process.env };
      delete env[MARKER]; // the daemon outlives the test on purpose
      execFileSync('bash', [path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/sge/up.sh')], { env, stdio: 'ignore', timeout: 120_000 });
    }
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(events.some((e) => e.startsWith('info qstat answers again'))).toBe(true);
  }, 180_000);
});

describe('options', () => {
  it('reject a queue the cluster does not have', async () => {
    await expect(createSgeScheduler({ options: { queue: 'nosuch.q' } })).rejects.toThrow(/Queue `nosuch\.q` matches no queue instance.*all\.q/);
  });

  it('advertise the host children connect to', async () => {
    expect((await scheduler({ host: 'lo' })).advertiseHost).toBe('127.0.0.1');
    expect((await scheduler({ host: 'lo' })).listenHost).toBe('127.0.0.1');
    const byName = await scheduler({ host: 'login1.example' });
    expect(byName.advertiseHost).toBe('login1.example');
    expect(byName.listenHost).toBe('0.0.0.0');
    const byDefault = await createSgeScheduler({ options: {} });
    expect(byDefault.advertiseHost).toBe(os.hostname());
    expect(byDefault.capabilities.remote).toBe(true);
    await byDefault.close();
  });
});

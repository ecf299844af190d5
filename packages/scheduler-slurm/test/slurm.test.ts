// Against the real loopback cluster (test/cluster-setup.ts brings it up): what the
// conformance suite does not see — job names, sbatch's view of the request, Slurm's
// own ends (cancelled or failed before the child ran), arrays, nested tiers, and that
// nothing stays in squeue.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fixtureRequests, waitUntil } from '@gator/protocol/conformance';
import type { LaunchRequest, LaunchedChild } from '@gator/protocol';
import { createSlurmScheduler, type SlurmScheduler } from '../src/index.js';

const fixtures = fixtureRequests('gator-slurm-test-');
const request = fixtures.request.bind(fixtures);

async function scheduler(options: Record<string, string> = {}): Promise<SlurmScheduler> {
  const s = await createSlurmScheduler({ options: { poll: '0.2', grace: '1', host: '127.0.0.1', ...options } });
  onTestFinished(() => s.close());
  return s;
}


function slurm(command: string, ...args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}

/** Jobs squeue still lists as pending, running or completing. */
function queued(...jobIds: string[]): string {
  return slurm('squeue', '-h', '-r', '-o', '%i %T', '-j', jobIds.join(',')).trim();
}

function scontrolField(jobId: string, field: string): string | undefined {
  const line = slurm('scontrol', 'show', 'job', '-o', jobId);
  return new RegExp(`(?:^|\\s)${field.replace('/', '\\/')}=(\\S*)`).exec(line)?.[1];
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
  it('names the job after the Gator path, readable in squeue', async () => {
    const s = await scheduler();
    const { req, file } = request('sleeps', (f) => ['60000', f('ready')], { path: ['nightly', 'tests', 'seed_3'] });
    const child = await s.launch(req);
    await child.started;
    expect(child.handle).toMatch(/^\d+$/);
    expect(slurm('squeue', '-h', '-o', '%j', '-j', child.handle!).trim()).toBe('gator:nightly.tests.seed_3');
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    await s.stop(child.id);
  });

  it('maps cores, memory and licenses to sbatch, and keeps the run secret out of the script and the command line', async () => {
    const s = await scheduler();
    const secret = `secret-${process.pid}-${Date.now()}`;
    const { req, file, tracking } = request('records-env', (f) => [f('env.json'), 'GATOR_TOKEN', 'GATOR_EXTRA'], {
      env: { GATOR_TOKEN: secret, GATOR_EXTRA: 'it\'s "quoted" $HOME' },
      resources: { cores: 1.5, memoryMb: 300, licenses: { simtool: 1, toola: 2 } },
    });
    const child = await s.launch(req);
    expect(await child.exited).toMatchObject({ code: 0 });
    const jobId = child.handle!;
    expect(scontrolField(jobId, 'NumCPUs')).toBe('2');
    expect(scontrolField(jobId, 'MinMemoryNode')).toBe('300M');
    expect(scontrolField(jobId, 'Licenses')?.split(',').sort()).toEqual(['simtool:1', 'toola:2']);
    expect(scontrolField(jobId, 'WorkDir')).toBe(req.cwd);
    expect(scontrolField(jobId, 'StdOut')).toBe(path.join(tracking, `slurm-${jobId}.out`));
    const seen = JSON.parse(fs.readFileSync(file('env.json'), 'utf8')) as { env: Record<string, string> };
    expect(seen.env.GATOR_TOKEN).toBe(secret);
    expect(seen.env.GATOR_EXTRA).toBe('it\'s "quoted" $HOME');
    const script = fs.readFileSync(path.join(tracking, 'slurm.sh'), 'utf8');
    expect(script).toContain(`exec ${process.execPath}`);
    expect(script).not.toContain(secret);
    expect(slurm('scontrol', 'show', 'job', '-o', jobId)).not.toContain(secret);
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

  it('reports a submission sbatch refuses as an exit with its reason, not a throw', async () => {
    const s = await scheduler({ sbatch_args: '--constraint=gator-no-such-feature' });
    const { req } = request('exits-with', () => ['0']);
    const child = await s.launch(req);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, signal: null, neverStarted: true });
    expect(exit.reason).toMatch(/^sbatch failed: .*Invalid feature specification/);
    await expect(child.started).rejects.toThrow(/never started/);
  });

  it('reports a missing working directory as exit code 127 instead of running in /tmp', async () => {
    const s = await scheduler();
    const { req } = request('exits-with', () => ['0']);
    req.cwd = path.join(fixtures.root, 'no-such-dir');
    const child = await s.launch(req);
    expect(await child.exited).toMatchObject({ code: 127 });
  });
});

describe('ends decided by Slurm', () => {
  it('a job cancelled by someone else while queued: CANCELLED, never started', async () => {
    const s = await scheduler({ partition: 'tiny' });
    const holders: LaunchedChild[] = [];
    for (let i = 0; i < 2; i++) holders.push(await s.launch(request('sleeps', () => ['60000']).req));
    await Promise.all(holders.map((h) => h.started));
    const { req, file } = request('sleeps', (f) => ['60000', f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => child.handle !== undefined && queued(child.handle).includes('PENDING'), 'the job to queue');
    slurm('scancel', child.handle!);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, signal: null, neverStarted: true });
    expect(exit.reason).toMatch(/^CANCELLED: /);
    expect(fs.existsSync(file('ready'))).toBe(false);
  });

  it('a running job cancelled by someone else: CANCELLED after it started', async () => {
    const s = await scheduler();
    const { req, file } = request('sleeps', (f) => ['60000', f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    slurm('scancel', child.handle!);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, signal: null, neverStarted: false });
    expect(exit.reason).toBe('CANCELLED: cancelled (scancel)');
  });

  it('a job Slurm can never start (pending for PartitionConfig) is cancelled and reported', async () => {
    const events: string[] = [];
    const s = await createSlurmScheduler({
      options: { poll: '0.2', partition: 'tiny', sbatch_args: '--cpus-per-task=3' },
      onEvent: (e) => events.push(`${e.level} ${e.message}`),
    });
    onTestFinished(() => s.close());
    const child = await s.launch(request('exits-with', () => ['0']).req);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: null, neverStarted: true });
    expect(exit.reason).toMatch(/^PENDING: PartitionConfig/);
    expect(events.some((e) => e.startsWith('warning ') && e.includes('PartitionConfig'))).toBe(true);
    expect(queued(child.handle!)).toBe('');
  });
});

describe('check', () => {
  it('names unknown licenses, too many seats, too many cores and too much memory', async () => {
    const s = await scheduler({ partition: 'tiny' });
    const base = { id: 'x', path: ['nightly', 'x'], kind: 'job' as const };
    const r = (resources: Partial<LaunchRequest['resources']>) => ({ cores: 0, memoryMb: 0, licenses: {}, ...resources });
    expect(s.check({ ...base, resources: r({ cores: 2, licenses: { simtool: 2 } }) })).toBeUndefined();
    expect(s.check({ ...base, resources: r({ licenses: { nosuch: 1 } }) })).toMatch(/license nosuch.*simtool:2/);
    expect(s.check({ ...base, resources: r({ licenses: { simtool: 3 } }) })).toMatch(/3 simtool licenses but the cluster has 2/);
    expect(s.check({ ...base, resources: r({ cores: 3 }) })).toMatch(/3 cores but the largest node of partition tiny has 2 CPUs/);
    expect(s.check({ ...base, resources: r({ memoryMb: 1e9 }) })).toMatch(/memory/);
    expect(s.check({ ...base, kind: 'tier', resources: r({ cores: 99 }) })).toBeUndefined();
    await expect(s.launch(request('exits-with', () => ['0'], { resources: r({ licenses: { nosuch: 1 } }) }).req)).rejects.toMatchObject({
      code: 'GATOR_SCHEDULER_RESOURCES',
    });
  });
});

describe('stop and close', () => {
  it('stop ends the job and its process group, and squeue no longer lists it', async () => {
    const s = await scheduler();
    const { req, file } = request('spawns-group', (f) => [f('ready')]);
    const child = await s.launch(req);
    await waitUntil(() => fs.existsSync(file('ready')), 'the job to run');
    const pids = JSON.parse(fs.readFileSync(file('ready'), 'utf8')) as { pid: number; grandchild: number };
    await s.stop(child.id);
    const exit = await child.exited;
    expect(exit.neverStarted).toBeFalsy();
    expect(exit.code === 0).toBe(false);
    expect(queued(child.handle!)).toBe('');
    await waitUntil(() => !alive(pids.pid) && !alive(pids.grandchild), 'the child and its grandchild to end');
  });

  it('close cancels running and queued jobs and leaves nothing in squeue; twice is fine', async () => {
    const s = await createSlurmScheduler({ options: { poll: '0.2', grace: '1', partition: 'tiny' } });
    const children: LaunchedChild[] = [];
    const first = request('sleeps', (f) => ['60000', f('ready')]);
    children.push(await s.launch(first.req));
    for (let i = 0; i < 4; i++) children.push(await s.launch(request('sleeps', () => ['60000']).req));
    await waitUntil(() => fs.existsSync(first.file('ready')), 'the first job to run');
    await waitUntil(() => children.every((c) => c.handle !== undefined), 'every job to be submitted');
    await s.close();
    const exits = await Promise.all(children.map((c) => c.exited));
    expect(exits.filter((e) => e.neverStarted).length).toBeGreaterThanOrEqual(2);
    for (const exit of exits) expect(exit.code === 0).toBe(false);
    expect(queued(...children.map((c) => c.handle!))).toBe('');
    await s.close();
    await expect(s.launch(request('exits-with', () => ['0']).req)).rejects.toThrow(/closed/);
  });

  it('abandon() (the process-exit hook) cancels every job synchronously', async () => {
    const s = await scheduler({ partition: 'tiny' });
    const children: LaunchedChild[] = [];
    for (let i = 0; i < 3; i++) children.push(await s.launch(request('sleeps', () => ['60000']).req));
    await children[0]!.started;
    await waitUntil(() => children.every((c) => c.handle !== undefined), 'every job to be submitted');
    s.abandon();
    await waitUntil(() => queued(...children.map((c) => c.handle!)) === '', 'squeue to drop the jobs');
    for (const c of children) expect((await c.exited).code === 0).toBe(false);
  });

  it('close right after launch cancels children whose sbatch is still running', async () => {
    const s = await createSlurmScheduler({ options: { poll: '0.2' } });
    const children = [];
    for (let i = 0; i < 3; i++) children.push(await s.launch(request('sleeps', () => ['60000']).req));
    await s.close();
    for (const c of children) expect((await c.exited).code === 0).toBe(false);
    const ids = children.flatMap((c) => (c.handle ? [c.handle] : []));
    if (ids.length > 0) expect(queued(...ids)).toBe('');
  });
});

describe('job arrays', () => {
  it('children of one !JobArray launched together become one Slurm array', async () => {
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
    const arrayIds = new Set(launched.map((c) => c.handle!.split('_')[0]));
    expect(arrayIds.size).toBe(1);
    expect(launched.map((c) => c.handle!.split('_')[1])).toEqual(['0', '1', '2', '3', '4']);
    const [arrayId] = [...arrayIds];
    expect(slurm('squeue', '-h', '-t', 'all', '-r', '-o', '%j', '-j', arrayId!).trim().split('\n')).toEqual(
      Array(size).fill('gator:nightly.seed.sim'),
    );
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
    const reqs = [0, 1].map((index) =>
      request('sleeps', (f) => ['60000', f('ready')], { array: { base: 'grp', index, size: 2 } }),
    );
    const launched = await Promise.all(reqs.map((r) => s.launch(r.req)));
    await waitUntil(() => reqs.every((r) => fs.existsSync(r.file('ready'))), 'both tasks to run');
    await s.stop(launched[0]!.id);
    expect((await launched[0]!.exited).code === 0).toBe(false);
    expect(queued(launched[1]!.handle!)).toMatch(/RUNNING/);
  });
});

describe('nested tiers', () => {
  it('tiers=local (default) runs a tier as a local process', async () => {
    const s = await scheduler();
    const { req } = request('exits-with', () => ['4'], { kind: 'tier' });
    const child = await s.launch(req);
    expect(await child.exited).toMatchObject({ code: 4 });
    expect(Number(child.handle)).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(req.tracking, 'slurm.sh'))).toBe(false);
  });

  it('tiers=slurm submits a tier as a 1-CPU job', async () => {
    const s = await scheduler({ tiers: 'slurm', tier_mem: '200' });
    const { req } = request('sleeps', (f) => ['60000', f('ready')], { kind: 'tier' });
    const child = await s.launch(req);
    await child.started;
    expect(scontrolField(child.handle!, 'NumCPUs')).toBe('1');
    expect(scontrolField(child.handle!, 'MinMemoryNode')).toBe('200M');
    await s.stop(child.id);
  });
});

describe('options', () => {
  it('reject bad values with an error naming the option', async () => {
    const bad: Record<string, string>[] = [
      { poll: 'soon' },
      { grace: '-1' },
      { tiers: 'cloud' },
      { arrays: 'maybe' },
      { time: '3 hours' },
      { partition: 'a b' },
      { sbatch_args: '--comment="unterminated' },
      { sbatch_args: '--array=1-3' },
      { tier_mem: '0' },
    ];
    for (const options of bad) {
      const [key] = Object.keys(options);
      await expect(createSlurmScheduler({ options }), JSON.stringify(options)).rejects.toMatchObject({
        code: 'GATOR_SCHEDULER_OPTION',
        message: expect.stringContaining(`\`${key}=`),
      });
    }
  });

  it('reject a partition the cluster does not have', async () => {
    await expect(createSlurmScheduler({ options: { partition: 'nosuch' } })).rejects.toThrow(/Partition `nosuch` does not exist.*debug/);
  });

  it('advertise the host children connect to', async () => {
    expect((await scheduler({ host: 'lo' })).advertiseHost).toBe('127.0.0.1');
    expect((await scheduler({ host: 'lo' })).listenHost).toBe('127.0.0.1');
    const byName = await scheduler({ host: 'login1.example' });
    expect(byName.advertiseHost).toBe('login1.example');
    expect(byName.listenHost).toBe('0.0.0.0');
    const byDefault = await createSlurmScheduler({ options: {} });
    expect(byDefault.advertiseHost).toBe(os.hostname());
    expect(byDefault.capabilities.remote).toBe(true);
    await byDefault.close();
  });
});

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath } from '@gator/protocol/conformance';
import type { LaunchRequest } from '@gator/protocol';
import { ENV_FILE, childScript, envFile, jobEnvironment, jobName, resourceArgs } from './job-script.js';
import type { LicenseComplex } from './cluster.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-sge-script-'));
  dirs.push(dir);
  return dir;
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

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('job names', () => {
  it('carry the Gator path, with what Grid Engine refuses replaced', () => {
    expect(jobName('nightly.tests.seed_3')).toBe('gator.nightly.tests.seed_3');
    expect(jobName('a b/c:d@e\\f*g?h')).toBe('gator.a_b_c_d_e_f_g_h');
    expect(jobName('3d')).toMatch(/^[A-Za-z]/);
  });
});

describe('the environment file', () => {
  it('keeps ours and the request\'s, and leaves what Grid Engine sets per job to Grid Engine', () => {
    const env = jobEnvironment(
      { GATOR_TOKEN: 'secret', PATH: '/opt/x/bin' },
      { PATH: '/usr/bin', HOME: '/root', JOB_ID: '7', SGE_TASK_ID: '3', SGE_ROOT: '/var/lib/gridengine', TMPDIR: '/tmp/7.1', 'BASH_FUNC_f%%': '() { :; }', KEEP: 'x' },
    );
    expect(env).toEqual({ PATH: '/opt/x/bin', SGE_ROOT: '/var/lib/gridengine', KEEP: 'x', GATOR_TOKEN: 'secret' });
  });

  it('gives every value back unchanged to the shell that sources it', () => {
    const dir = tmp();
    const values = { GATOR_A: 'it\'s "quoted" $HOME `date` \\', GATOR_B: 'two\nlines, and a comma', GATOR_C: '' };
    const file = path.join(dir, ENV_FILE);
    fs.writeFileSync(file, envFile(values));
    const out = execFileSync('bash', ['-c', `. "$1"; printf '%s\\0' "$GATOR_A" "$GATOR_B" "$GATOR_C"`, '_', file], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, 3)).toEqual(Object.values(values));
  });
});

describe('the job script', () => {
  function request(dir: string, command: string[]): LaunchRequest {
    const tracking = path.join(dir, 'tracking');
    fs.mkdirSync(tracking, { recursive: true });
    return { id: 'j', path: ['t', 'j'], kind: 'job', command, env: {}, cwd: dir, parent: '127.0.0.1:9', tracking, resources: { cores: 0, memoryMb: 0, licenses: {} } };
  }

  /** Run the script as Grid Engine would: a process group of its own, its environment file beside it. */
  function start(req: LaunchRequest, graceMs: number) {
    const script = path.join(req.tracking, 'sge.sh');
    fs.writeFileSync(script, childScript(req, graceMs), { mode: 0o700 });
    fs.writeFileSync(path.join(req.tracking, ENV_FILE), envFile(jobEnvironment({ GATOR_SCRIPT_TEST: 'yes' })), { mode: 0o600 });
    const child = spawn('/bin/bash', [script], { detached: true, stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return { child, exited };
  }

  it('is valid bash that reads and deletes its environment file, then reports the child\'s exit code', async () => {
    const dir = tmp();
    const req = request(dir, [process.execPath, fixturePath('records-env'), path.join(dir, 'env.json'), 'GATOR_SCRIPT_TEST']);
    const { exited } = start(req, 1000);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8')).env.GATOR_SCRIPT_TEST).toBe('yes');
    expect(fs.existsSync(path.join(req.tracking, ENV_FILE))).toBe(false);
    const three = start(request(tmp(), [process.execPath, fixturePath('exits-with'), '3']), 1000);
    expect(await three.exited).toEqual({ code: 3, signal: null });
  });

  it('turns the -notify signal (SIGUSR2 to the job\'s group) into SIGTERM for the child\'s group, then SIGKILL', async () => {
    const dir = tmp();
    const req = request(dir, [process.execPath, fixturePath('ignores-sigterm'), path.join(dir, 'ready')]);
    const { child, exited } = start(req, 500);
    await until(() => fs.existsSync(path.join(dir, 'ready')), 'the child to run');
    const pid = Number(fs.readFileSync(path.join(dir, 'ready'), 'utf8'));
    process.kill(-child.pid!, 'SIGUSR2');
    // The child ignores SIGTERM: the script's SIGKILL after the grace ends it, and the script dies of the same signal.
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    await until(() => !alive(pid), 'the child to end');
  });

  it('a child that ends on SIGTERM makes the script die of SIGTERM', async () => {
    const dir = tmp();
    const req = request(dir, [process.execPath, fixturePath('spawns-group'), path.join(dir, 'ready')]);
    const { child, exited } = start(req, 5000);
    await until(() => fs.existsSync(path.join(dir, 'ready')), 'the child to run');
    const pids = JSON.parse(fs.readFileSync(path.join(dir, 'ready'), 'utf8')) as { pid: number; grandchild: number };
    process.kill(-child.pid!, 'SIGUSR2');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    await until(() => !alive(pids.pid) && !alive(pids.grandchild), 'the child and its grandchild to end');
  });

  it('if the script itself is killed, its watchdog ends the child\'s group', async () => {
    const dir = tmp();
    const req = request(dir, [process.execPath, fixturePath('spawns-group'), path.join(dir, 'ready')]);
    const { child, exited } = start(req, 5000);
    await until(() => fs.existsSync(path.join(dir, 'ready')), 'the child to run');
    const pids = JSON.parse(fs.readFileSync(path.join(dir, 'ready'), 'utf8')) as { pid: number; grandchild: number };
    // What qdel without -notify (or an h_rt limit) does: SIGKILL to the job's process group only.
    process.kill(-child.pid!, 'SIGKILL');
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    await until(() => !alive(pids.pid) && !alive(pids.grandchild), 'the child and its grandchild to end');
  });
});

describe('resources', () => {
  const licenses = new Map<string, LicenseComplex>([
    ['simtool', { name: 'simtool', seats: 2, perSlot: false }],
    ['perslot', { name: 'perslot', seats: 8, perSlot: true }],
  ]);
  const options = { pe: 'smp', memResource: 'h_vmem', wrapperMemMb: 2000, time: undefined };
  const job = (cores: number, memoryMb = 0, lic: Record<string, number> = {}) => ({ kind: 'job' as const, resources: { cores, memoryMb, licenses: lic } });

  it('asks for nothing for a plain job, and one slot for a tier', () => {
    expect(resourceArgs(job(0), options, { licenses })).toEqual([]);
    expect(resourceArgs({ kind: 'tier', resources: { cores: 8, memoryMb: 100, licenses: {} } }, options, { licenses })).toEqual([]);
  });

  it('maps cores to the PE, and memory (plus the wrapper\'s) and per-slot consumables to a share per slot', () => {
    expect(resourceArgs(job(1.5, 1000, { simtool: 1, perslot: 3 }), options, { licenses })).toEqual([
      '-pe', 'smp', '2',
      '-l', 'h_vmem=1500m,simtool=1,perslot=2',
    ]);
    expect(resourceArgs(job(1, 100), { ...options, time: '0:10:0' }, { licenses })).toEqual(['-l', 'h_rt=0:10:0,h_vmem=2100m']);
  });
});

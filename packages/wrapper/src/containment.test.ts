import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { contain, resolveCommand } from './containment.js';
import { launchJob } from './launch.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('containment', () => {
  it('finds a missing or non-executable command as spawn would', () => {
    const env = { PATH: '/usr/bin:/bin' };
    expect(resolveCommand('sh', env, '/')).toBeUndefined();
    expect(resolveCommand('no-such-command-here', env, '/')).toEqual({ error: 'command not found (spawn no-such-command-here ENOENT)' });
    const dir = fs.mkdtempSync('/tmp/gator-contain-');
    fs.writeFileSync(`${dir}/plain`, 'echo hi\n', { mode: 0o644 });
    try {
      expect(resolveCommand('./plain', env, dir)?.error).toMatch(/^permission denied/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('runs the command as the job (same pid), and its watchdog tells its pid and goes when dismissed', async () => {
    const c = contain('sh', ['-c', 'echo $$'], 1000)!;
    const launched = await launchJob('sh', ['-c', 'echo $$'], { PATH: process.env.PATH! }, '/tmp', c);
    if ('error' in launched) throw new Error(launched.error);
    started.push(launched.child.pid!);
    let out = '';
    launched.child.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => launched.child.once('exit', r));
    expect(out.trim()).toBe(String(launched.child.pid));
    await until(() => c.watchdogPid !== undefined);
    await c.dismiss();
    await until(() => !alive(c.watchdogPid!));
    await c.release();
    if (c.cgroup) expect(fs.existsSync(c.cgroup.dir)).toBe(false);
  });

  it('the watchdog ends the job when its host lets go without dismissing it (as a killed host does)', async () => {
    const c = contain('sh', ['-c', 'sleep 441 & sleep 442; wait'], 200)!;
    const launched = await launchJob('sh', ['-c', 'sleep 441 & sleep 442; wait'], { PATH: process.env.PATH! }, '/tmp', c);
    if ('error' in launched) throw new Error(launched.error);
    const pid = launched.child.pid!;
    started.push(pid);
    await until(() => c.watchdogPid !== undefined);
    const exited = new Promise((r) => launched.child.once('exit', r));
    // What the kernel does to a SIGKILLed host: its end of the socket closes.
    (launched.child.stdio[3] as unknown as { destroy(): void }).destroy();
    await exited;
    await until(() => !alive(c.watchdogPid!));
    if (c.cgroup) await until(() => !fs.existsSync(c.cgroup!.dir));
  });
});

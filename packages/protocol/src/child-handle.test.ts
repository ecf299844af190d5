// The helpers for scheduler authors, with real processes: a group whose member ignores
// SIGTERM, a member that leaves a zombie in the group and moves out, spawn failures, and
// a handle settled twice.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ChildHandle,
  groupAlive,
  signalGroup,
  spawnInGroup,
  sweepGroup,
  type SpawnFailure,
  type SpawnInGroupEvents,
} from './child-handle.js';
import { fixturePath } from './conformance/index.js';
import { isGatorError } from './errors.js';
import { LAYER_FILES, layerFile } from './layout.js';

let root = '';
let counter = 0;
/** Every pid a test started, ended by pid after it (a failed test must not leave any). */
const started = new Set<number>();

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-child-handle-'));
});
afterEach(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  started.clear();
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll until true; the bound is against a hang, not a timing assertion. */
async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The state letter of /proc/<pid>/stat (`R`, `S`, `Z`…), undefined when gone. */
function procState(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

function newDir(): { dir: string; file: (name: string) => string } {
  const dir = path.join(root, `c${++counter}`);
  fs.mkdirSync(dir, { recursive: true });
  return { dir, file: (name) => path.join(dir, name) };
}

/** `spawnInGroup` with `node -e script`, recording what it reports. */
function run(script: string, graceMs: number, extra: Partial<{ cwd: string; command: string[] }> = {}) {
  const { dir, file } = newDir();
  const seen: string[] = [];
  let failure: SpawnFailure | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let returned = false;
  const events: SpawnInGroupEvents = {
    onStart: () => seen.push(returned ? 'start' : 'start inside the call'),
    onExit: (code, signal) => {
      seen.push('exit');
      exit = { code, signal };
    },
    onFailure: (f) => {
      seen.push(returned ? 'failure' : 'failure inside the call');
      failure = f;
    },
  };
  const group = spawnInGroup(
    { command: extra.command ?? [process.execPath, '-e', script], cwd: extra.cwd ?? dir, tracking: dir },
    { env: { ...process.env }, graceMs },
    events,
  );
  returned = true;
  if (group) started.add(group.pid);
  return {
    group,
    dir,
    file,
    seen,
    log: () => fs.readFileSync(layerFile(dir, 'scheduler'), 'utf8'),
    exit: async () => {
      await until(() => exit !== undefined, 'the exit');
      return exit!;
    },
    failure: async () => {
      await until(() => failure !== undefined, 'the failure');
      return failure!;
    },
  };
}

/** A leader that starts `ignores-sigterm` in its own group, and then `then` (JS) once it is ready. */
function withStubbornMember(readyFile: string, then: string): string {
  return (
    `const c = require('child_process').spawn(process.execPath, [${JSON.stringify(fixturePath('ignores-sigterm'))}, ${JSON.stringify(readyFile)}], { stdio: 'ignore' });` +
    `const t = setInterval(() => { if (require('fs').existsSync(${JSON.stringify(readyFile)})) { clearInterval(t); ${then} } }, 10);` +
    'setInterval(() => {}, 1000);'
  );
}

describe('ChildHandle', () => {
  it('settles each promise once: a second markStarted or markExited is ignored', async () => {
    const child = new ChildHandle('test', { id: 'sim_3', path: ['nightly', 'sim_3'] });
    expect(child).toMatchObject({ id: 'sim_3', label: 'nightly.sim_3', handle: undefined, state: 'waiting' });
    expect(child.markStarted()).toBe(true);
    expect(child.markStarted()).toBe(false);
    child.handle = '4242';
    await child.started;
    expect(child.markExited({ code: 3, signal: null })).toBe(true);
    expect(child.markExited({ code: 0, signal: null })).toBe(false);
    expect(child.markStarted()).toBe(false);
    expect(await child.exited).toEqual({ code: 3, signal: null });
    expect(child.state).toBe('exited');
    expect(child.handle).toBe('4242');
  });

  it('a child that exits before it started: started rejects with a typed error naming it', async () => {
    const child = new ChildHandle('test', { id: 'sim_3', path: [] });
    expect(child.label).toBe('sim_3');
    child.markExited({ code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
    // Settled twice: the first exit stays.
    child.markExited({ code: 1, signal: null });
    expect(await child.exited).toEqual({ code: null, signal: null, neverStarted: true, reason: 'stopped before it started' });
    const error = await child.started.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGatorError(error) && error.code).toBe('GATOR_SCHEDULER_LAUNCH');
    expect((error as Error).message).toBe("[scheduler test] 'sim_3' never started: stopped before it started");
  });

  it('stopOnAbort: at once when already aborted, on the abort, and no more after the exit', () => {
    const stops: string[] = [];
    const aborted = new AbortController();
    aborted.abort();
    new ChildHandle('test', { id: 'a', path: [] }).stopOnAbort(aborted.signal, () => stops.push('a'));
    const later = new AbortController();
    new ChildHandle('test', { id: 'b', path: [] }).stopOnAbort(later.signal, () => stops.push('b'));
    const ended = new ChildHandle('test', { id: 'c', path: [] });
    ended.stopOnAbort(later.signal, () => stops.push('c'));
    ended.markExited({ code: 0, signal: null });
    ended.stopOnAbort(undefined, () => stops.push('never'));
    expect(stops).toEqual(['a']);
    later.abort();
    later.abort();
    expect(stops).toEqual(['a', 'b']);
  });

  it('nobody has to listen to the rejection of started', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      new ChildHandle('test', { id: 'x', path: ['x'] }).markExited({ code: 127, signal: null, reason: 'cannot start' });
      await sleep(50);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});

describe('spawnInGroup', () => {
  it('runs the child as its own group leader, output appended to scheduler.log, start before exit', async () => {
    const stat = "require('fs').readFileSync('/proc/self/stat', 'latin1')";
    const r = run(`console.log('to stdout'); console.error('to stderr'); console.log('pgrp', ${stat}.split(') ')[1].split(' ')[2])`, 1000);
    expect(LAYER_FILES.scheduler).toBe('scheduler.log');
    expect(await r.exit()).toEqual({ code: 0, signal: null });
    await r.group!.gone;
    expect(r.seen).toEqual(['start', 'exit']);
    const log = r.log();
    expect(log).toContain('to stdout');
    expect(log).toContain('to stderr');
    expect(log).toContain(`pgrp ${r.group!.pid}`);
    expect(fs.statSync(layerFile(r.dir, 'scheduler')).mode & 0o777).toBe(0o600);
    expect(r.group!.terminating).toBe(false);
  });

  it('keeps what scheduler.log already holds', async () => {
    const { dir } = newDir();
    fs.writeFileSync(layerFile(dir, 'scheduler'), 'earlier line\n');
    const again = spawnInGroup(
      { command: [process.execPath, '-e', "console.log('later line')"], cwd: dir, tracking: dir },
      { env: { ...process.env }, graceMs: 1000 },
      { onExit: () => {}, onFailure: () => {} },
    )!;
    started.add(again.pid);
    await again.gone;
    expect(fs.readFileSync(layerFile(dir, 'scheduler'), 'utf8')).toBe('earlier line\nlater line\n');
  });

  it('a child that cannot start: 127 or 126 with a reason, in the log too, after the call returned', async () => {
    const missing = run('', 1000, { command: [path.join(root, 'no-such-program')] });
    expect(missing.group).toBeUndefined();
    expect(await missing.failure()).toEqual({ code: 127, reason: expect.stringContaining('no-such-program') });
    expect(missing.log()).toContain('cannot start');

    const { file } = newDir();
    fs.writeFileSync(file('not-executable'), 'echo hi\n', { mode: 0o644 });
    const denied = run('', 1000, { command: [file('not-executable')] });
    expect(await denied.failure()).toMatchObject({ code: 126 });

    const noCwd = run('', 1000, { cwd: path.join(root, 'no-such-dir') });
    expect(noCwd.group).toBeUndefined();
    const failure = await noCwd.failure();
    expect(failure).toMatchObject({ code: 127 });
    expect(failure.reason).toContain(`working directory ${path.join(root, 'no-such-dir')} does not exist`);
    expect(noCwd.log()).toContain('working directory');

    for (const r of [missing, denied, noCwd]) expect(r.seen).toEqual(['failure']);
  });

  it('an unwritable log: the child still runs, its output discarded, and the scheduler is told', async () => {
    const { dir } = newDir();
    const tracking = path.join(dir, 'gone');
    let told: string | undefined;
    let exit: number | null | undefined;
    const group = spawnInGroup(
      { command: [process.execPath, '-e', 'process.exit(4)'], cwd: dir, tracking },
      { env: { ...process.env }, graceMs: 1000 },
      { onExit: (code) => (exit = code), onFailure: () => {}, onLogUnavailable: (_error, file) => (told = file) },
    )!;
    started.add(group.pid);
    await group.gone;
    expect(exit).toBe(4);
    expect(told).toBe(path.join(tracking, 'scheduler.log'));
  });

  it('terminate: SIGTERM to the group, SIGKILL after the grace for a member that ignores SIGTERM', async () => {
    const { file } = newDir();
    const ready = file('stubborn.pid');
    const r = run(withStubbornMember(ready, ''), 300);
    await until(() => fs.existsSync(ready), 'the stubborn member to be ready');
    const member = Number(fs.readFileSync(ready, 'utf8'));
    started.add(member);
    expect(procState(member)?.pgrp).toBe(r.group!.pid);
    expect(groupAlive(r.group!.pid)).toBe(true);
    r.group!.terminate();
    r.group!.terminate(); // once
    expect(r.group!.terminating).toBe(true);
    expect(await r.exit()).toEqual({ code: null, signal: 'SIGTERM' });
    await r.group!.gone;
    expect(pidAlive(member)).toBe(false);
    expect(groupAlive(r.group!.pid)).toBe(false);
    expect(r.seen).toEqual(['start', 'exit']);
  });

  it('a leader that exits on its own: what it left in its group is ended (SIGTERM, then SIGKILL)', async () => {
    const { file } = newDir();
    const ready = file('stubborn.pid');
    const r = run(withStubbornMember(ready, 'process.exit(0);'), 300);
    expect(await r.exit()).toEqual({ code: 0, signal: null });
    const member = Number(fs.readFileSync(ready, 'utf8'));
    started.add(member);
    await r.group!.gone;
    expect(pidAlive(member)).toBe(false);
    expect(r.group!.terminating).toBe(false);
    r.group!.terminate(); // after the exit: nothing to do
    expect(r.group!.terminating).toBe(false);
  });

  it('a member that leaves a zombie in the group and moves out: the group counts as gone', async () => {
    // The leader forks P; P forks Z, which exits at once; P never reaps Z and moves to a
    // group of its own. The leader then exits: Z, a zombie, is the group's only member, as
    // orphaned zombies are where init never reaps them (containers).
    const { file } = newDir();
    const pids = file('pids');
    const perl = [
      'use POSIX ();',
      'my $p = fork() // die;',
      'if ($p == 0) {',
      '  my $z = fork() // die;',
      '  POSIX::_exit(0) if $z == 0;',
      '  for (1..2000) { open(my $f, "<", "/proc/$z/stat") or last; my $s = <$f>; close $f; last if $s =~ /\\) Z /; select(undef, undef, undef, 0.01); }',
      '  POSIX::setpgid(0, 0) or die "setpgid: $!";',
      `  open(my $o, ">", "${pids}.tmp") or die; print $o "$$ $z"; close $o; rename("${pids}.tmp", "${pids}") or die;`,
      '  sleep 60;',
      '  POSIX::_exit(0);',
      '}',
      `for (1..2000) { last if -e "${pids}"; select(undef, undef, undef, 0.01); }`,
      'exit 0;',
    ].join('\n');
    // A grace this long would hang the test if the zombie counted as a live member.
    const r = run('', 600_000, { command: ['perl', '-e', perl] });
    expect(await r.exit()).toEqual({ code: 0, signal: null });
    const [parent, zombie] = fs.readFileSync(pids, 'utf8').split(' ').map(Number) as [number, number];
    started.add(parent);
    expect(procState(zombie)).toEqual({ state: 'Z', pgrp: r.group!.pid });
    expect(procState(parent)?.pgrp).toBe(parent);
    // The kernel still counts the group…
    expect(() => process.kill(-r.group!.pid, 0)).not.toThrow();
    // …the helpers do not.
    expect(groupAlive(r.group!.pid)).toBe(false);
    await r.group!.gone;
    expect(pidAlive(parent)).toBe(true); // outside the group: not ours to end
  });

  it('kill: SIGKILL to the group at once', async () => {
    const r = run('setInterval(() => {}, 1000)', 600_000);
    await until(() => r.seen.includes('start'), 'the start');
    r.group!.kill();
    expect(await r.exit()).toEqual({ code: null, signal: 'SIGKILL' });
    await r.group!.gone;
  });
});

describe('signalGroup, groupAlive and sweepGroup on a group started elsewhere', () => {
  it('sweep a group whose leader ignores SIGTERM; a gone group is reported as such', async () => {
    const { file } = newDir();
    const ready = file('ready');
    const child = spawn(process.execPath, [fixturePath('ignores-sigterm'), ready], { stdio: 'ignore', detached: true });
    const pid = child.pid!;
    started.add(pid);
    await until(() => fs.existsSync(ready), 'the leader to be ready');
    expect(groupAlive(pid)).toBe(true);
    expect(signalGroup(pid, 'SIGTERM')).toBe(true);
    expect(pidAlive(pid)).toBe(true); // ignored
    await sweepGroup(pid, 200, Date.now());
    await until(() => !pidAlive(pid), 'the leader to be gone');
    expect(groupAlive(pid)).toBe(false);
    await until(() => child.exitCode !== null || child.signalCode !== null, 'the leader to be reaped');
    expect(signalGroup(pid, 'SIGTERM')).toBe(false);
    await sweepGroup(pid, 200); // nothing left: at once
  });
});

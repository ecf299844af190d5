/**
 * The live view as a person sees it: the built CLI in a real terminal (tmux),
 * its screen read with capture-pane mid-run and at the end. And the same run
 * piped: plain lines, no escape codes.
 */
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { descendants, isAlive, waitFor, writeSpec } from '../helpers.js';
import { CLI_JS, endProcesses, hasTmux, plainEnv, runCli, scratchDir } from './cli-process.js';

const SPEC = `!JobGroup
ident: live
jobs:
  - !Job
    ident: sleepy_a
    command: sh
    args: [-c, "echo a starting; sleep 6"]
  - !Job
    ident: sleepy_b
    command: sh
    args: [-c, "sleep 6"]
  - !Job
    ident: broken
    command: sh
    args: [-c, "echo 'widget exploded' >&2; exit 3"]
  - !Job
    ident: quick
    command: "true"
`;

interface Session {
  socket: string;
  name: string;
  /** The tmux server and everything under it, collected while it ran. */
  pids: Set<number>;
}

let counter = 0;
const sessions: Session[] = [];

function tmux(s: Session, ...args: string[]): string {
  // A private server (-L) with no user config: nothing shared with other tmux users.
  const r = spawnSync('tmux', ['-L', s.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function track(s: Session): void {
  try {
    const server = Number(tmux(s, 'display-message', '-p', '-t', s.name, '#{pid}').trim());
    if (server > 0) for (const pid of [server, ...descendants(server)]) s.pids.add(pid);
  } catch {
    /* the session is gone already */
  }
}

function screen(s: Session): string {
  track(s);
  return tmux(s, 'capture-pane', '-p', '-t', s.name);
}

afterEach(async () => {
  for (const s of sessions.splice(0)) {
    track(s);
    try {
      tmux(s, 'kill-session', '-t', s.name);
    } catch {
      /* already ended */
    }
    // Whatever the session started must be gone (the server exits with its last session).
    const left = await endProcesses([...s.pids].filter(isAlive));
    expect(left, 'processes left behind by the tmux session').toEqual([]);
  }
});

describe.skipIf(!hasTmux())('live view in a terminal', () => {
  it('shows the bar and the running jobs mid-run, and the failed job with its reason at the end', async () => {
    const dir = scratchDir();
    writeSpec(dir, 'spec.yaml', SPEC);
    const s: Session = { socket: `gator-test-${process.pid}-${++counter}`, name: `live${counter}`, pids: new Set() };
    sessions.push(s);
    // As a person would run it: a terminal, not CI, colours allowed.
    // The exit status goes to a file as soon as gator exits (the pane itself may outlive it
    // while the terminal drains), then the shell waits to be killed with the session.
    const command = `cd '${dir}' && env -u CI -u NO_COLOR -u FORCE_COLOR -u GATOR_TOKEN TERM=xterm-256color '${process.execPath}' '${CLI_JS}' run spec.yaml --sched-arg concurrency=2 --tracking run; echo $? > exit-status`;
    tmux(s, 'new-session', '-d', '-s', s.name, '-x', '120', '-y', '40', command, ';', 'set-option', '-t', s.name, 'remain-on-exit', 'on');

    let mid = '';
    await waitFor(
      () => {
        mid = screen(s);
        return /[█░]{10,}/.test(mid) && mid.includes('sleepy_a') && mid.includes('sleepy_b');
      },
      60_000,
      'the progress bar and the running jobs on screen',
    );
    const lines = mid.split('\n');
    // The running jobs are listed above the bar, each with its elapsed time.
    expect(lines.some((l) => /^▶ sleepy_a\s+\d+(\.\d)?s/.test(l))).toBe(true);
    expect(lines.some((l) => /^▶ sleepy_b\s+\d+(\.\d)?s/.test(l))).toBe(true);
    const bar = lines.find((l) => /[█░]{10,}/.test(l))!;
    expect(bar).toMatch(/\d+\/\d+ jobs\s+\d+ passed\s+\d+ failed\s+2 running\s+\d+ pending\s+\d+ warnings?\s+\d+ errors?/);

    let end = '';
    // The run has ended once its exit status is in the file (written by the shell in the pane).
    const statusFile = path.join(dir, 'exit-status');
    const ended = () => (fs.existsSync(statusFile) ? `1:${fs.readFileSync(statusFile, 'utf8').trim()}` : '0:');
    try {
      await waitFor(() => /^1:.+/.test(ended()), 90_000, 'the run to end');
    } catch (error) {
      // Say what the terminal showed: the only clue when this fails on a loaded machine.
      track(s);
      const alive = [...s.pids].filter(isAlive).map((p) => `${p} ${fs.existsSync(`/proc/${p}/cmdline`) ? fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0').join(' ') : ''}`);
      throw new Error(`${(error as Error).message}; processes:\n${alive.join('\n')}\nthe screen was:\n${screen(s)}`);
    }
    end = screen(s);
    expect(ended(), end).toBe('1:1');
    expect(end).toContain('1 job failed:');
    expect(end).toMatch(/✖ broken: exited with code 3/);
    expect(end).toContain('widget exploded');
    expect(end).toMatch(/Failed\s+3 passed, \d+ failed/);
    // The block is gone: no bar and no running list left on the final screen.
    expect(end).not.toMatch(/[█░]{10,}/);
    expect(end).not.toMatch(/^▶ /m);
  });
});

describe('plain output', () => {
  it('piped: no escape codes, one line per event', async () => {
    const dir = scratchDir();
    writeSpec(dir, 'spec.yaml', SPEC.replace(/sleep 6/g, 'sleep 1'));
    const r = await runCli(['run', 'spec.yaml', '--sched-arg', 'concurrency=2', '--tracking', 'run'], dir, plainEnv({ CI: '' }));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stderr).not.toContain('\u001b');
    const lines = r.stdout.split('\n');
    const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
    const once = (re: RegExp) => expect(count(re), String(re)).toBe(1);
    // A job too quick to be seen running has no start line; none has two.
    for (const job of ['sleepy_a', 'sleepy_b']) once(new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ▶ started ${job}$`));
    for (const job of ['broken', 'quick']) expect(count(new RegExp(`▶ started ${job}$`))).toBeLessThanOrEqual(1);
    for (const job of ['sleepy_a', 'sleepy_b']) once(new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ✔ passed  ${job}$`));
    expect(count(/✔ passed {2}quick$/)).toBeLessThanOrEqual(1);
    once(/^\[\d\d:\d\d:\d\d\] ✖ failed {2}broken: exited with code 3/);
    // Nothing is redrawn: no carriage returns either.
    expect(r.stdout).not.toContain('\r');
    expect(path.isAbsolute(CLI_JS)).toBe(true);
  });
});

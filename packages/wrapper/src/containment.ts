/**
 * Keeping every process of a job findable and endable, whatever the job does
 * and whatever happens to its wrapper:
 *
 * - A cgroup (v2) per job where this machine lets us make one (as root, or in
 *   a delegated subtree). The job joins it before its command runs, so a
 *   process that leaves the group with setsid() and clears its environment
 *   with `env -i` is still listed in the cgroup's `cgroup.procs`. Where no
 *   cgroup can be made, the process tree and session scans of reap.ts are all.
 * - A watchdog in the job's process group: a forked `sh` holding a socket to
 *   the wrapper. When the wrapper's process dies without telling it (SIGKILL
 *   of a wrapper, or of the tier hosting in-process wrappers) the socket
 *   closes and the watchdog ends the job: SIGTERM to the cgroup and the group,
 *   SIGKILL after the grace. Normally the wrapper tells it to go (one byte)
 *   before it reaps the job itself.
 *
 * Both live in one short `sh` preamble that then execs the job's command, so
 * the job's pid, exit code and signals are its own. Costs per job: one exec
 * of sh and one fork of it, plus a mkdir and rmdir of the cgroup.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readProc } from './processes.js';

/** The shell run before the job's command: `sh -c PREAMBLE sh CGROUP UP GRACE COMMAND ARGS…`. */
const PREAMBLE = [
  'cg=$1 up=$2 grace=$3; shift 3',
  // Join the job's cgroup before anything of the job runs (no fork can escape it).
  '[ -n "$cg" ] && { echo 0 > "$cg/cgroup.procs"; } 2>/dev/null || cg=',
  '{',
  // The wrapper stops the job's group with SIGTERM: the watchdog stays until told.
  "  trap '' TERM",
  // Our pid (Linux), so the wrapper leaves us out of the job's samples.
  '  { read -r me _ < /proc/self/stat && echo "$me" >&3; } 2>/dev/null',
  '  read -r _ <&3 && exit 0',
  // The wrapper is gone: end the job. Leave its cgroup first, to be able to remove it.
  '  exec 3<&-',
  '  if [ -n "$cg" ]; then',
  '    { echo 0 > "$up/cgroup.procs"; while read -r p; do kill -TERM "$p"; done < "$cg/cgroup.procs"; } 2>/dev/null',
  '  fi',
  '  kill -TERM 0 2>/dev/null',
  '  i=0',
  '  while [ "$i" -lt "$grace" ]; do',
  '    if [ -n "$cg" ]; then grep -q "populated 0" "$cg/cgroup.events" 2>/dev/null && break; fi',
  '    sleep 0.1; i=$((i+1))',
  '  done',
  '  if [ -n "$cg" ]; then',
  '    { echo 1 > "$cg/cgroup.kill"; } 2>/dev/null',
  '    j=0; until rmdir "$cg" 2>/dev/null || [ "$j" -ge 20 ]; do sleep 0.1; j=$((j+1)); done',
  '  fi',
  '  kill -KILL 0',
  '} &',
  'exec 3<&-',
  'exec "$@"',
].join('\n');

const SHELL = '/bin/sh';

/** Set (to anything) in a wrapper's environment to run its jobs without cgroups (the scans alone). */
export const NO_CGROUP_ENV = 'GATOR_NO_CGROUP';

/** Where this process can make cgroups (its own cgroup's directory), or undefined. */
let cgroupBase: string | null | undefined;
let cgroupSeq = 0;

function findCgroupBase(): string | undefined {
  if (cgroupBase !== undefined) return cgroupBase ?? undefined;
  cgroupBase = null;
  if (process.platform !== 'linux' || process.env[NO_CGROUP_ENV]) return undefined;
  try {
    const own = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    if (own === undefined) return undefined;
    // mountinfo: "id parent major:minor root mountpoint options … - fstype source super".
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [before, after] = line.split(' - ');
      if (!after?.startsWith('cgroup2 ')) continue;
      const fields = before.split(' ');
      const root = fields[3];
      const mount = fields[4];
      if (root !== '/' && !own.startsWith(root)) continue;
      const dir = path.join(mount, root === '/' ? own : own.slice(root.length));
      fs.accessSync(dir, fs.constants.W_OK);
      cgroupBase = dir;
      return dir;
    }
  } catch {
    /* no cgroup v2 we may write: the scans alone */
  }
  return undefined;
}

/** The job's cgroup, made for one attempt. */
export interface JobCgroup {
  readonly dir: string;
  /** The processes in it now (pids). */
  pids(): number[];
  /** SIGKILL everything in it (`cgroup.kill`). */
  kill(): void;
  /** Remove it (once empty); false when it is still in use. */
  remove(): boolean;
}

/** Empty cgroups that wrappers of dead processes left (once per process). */
function sweepStale(base: string): void {
  try {
    for (const name of fs.readdirSync(base)) {
      const owner = /^gator-(\d+)-\d+$/.exec(name)?.[1];
      if (!owner || Number(owner) === process.pid || fs.existsSync(`/proc/${owner}`)) continue;
      try {
        fs.rmdirSync(path.join(base, name));
      } catch {
        /* still in use (its job lives on): left alone */
      }
    }
  } catch {
    /* unreadable: nothing to sweep */
  }
}

function makeCgroup(): JobCgroup | undefined {
  const base = findCgroupBase();
  if (!base) return undefined;
  if (cgroupSeq === 0) sweepStale(base);
  const dir = path.join(base, `gator-${process.pid}-${++cgroupSeq}`);
  try {
    fs.mkdirSync(dir);
    // cgroup.kill came with Linux 5.14; without it the cgroup cannot end the job by itself.
    if (!fs.existsSync(path.join(dir, 'cgroup.kill'))) {
      fs.rmdirSync(dir);
      cgroupBase = null;
      return undefined;
    }
  } catch {
    cgroupBase = null;
    return undefined;
  }
  return {
    dir,
    pids() {
      try {
        return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
    kill() {
      try {
        fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
      } catch {
        /* gone already */
      }
    },
    remove() {
      try {
        fs.rmdirSync(dir);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ENOENT';
      }
    },
  };
}

/** How one attempt's command is started, contained. */
export interface Containment {
  /** The argv to spawn instead of `command args…`, with the watchdog's socket as fd 3. */
  readonly argv: [string, ...string[]];
  readonly cgroup: JobCgroup | undefined;
  /** Set once the watchdog told its pid (Linux). */
  watchdogPid: number | undefined;
  /** Called with the watchdog's pid when it tells it. */
  onWatchdog?: (pid: number) => void;
  /** Hand the watchdog its end of the socket (the child's stdio[3]). */
  attach(socket: NodeJS.ReadWriteStream & { destroy(): void; once(event: 'close', cb: () => void): unknown }): void;
  /**
   * Whether nothing of the job is left in its cgroup but the watchdog (one read, once its main
   * process has exited); false without a cgroup, or while the watchdog's pid is not known and
   * another process is in it.
   */
  jobGone(): boolean;
  /** Tell the watchdog to go, and wait (at most `ms`) until it has. */
  dismiss(ms?: number): Promise<void>;
  /** Remove the cgroup (after the job's processes are gone); waits a moment while it is busy. */
  release(): Promise<void>;
}

export const canContain = (() => {
  try {
    fs.accessSync(SHELL, fs.constants.X_OK);
    return process.platform !== 'win32';
  } catch {
    return false;
  }
})();

/** Contain `command args…`; undefined where it cannot be (no sh): the job then starts as it is. */
export function contain(command: string, args: readonly string[], graceMs: number): Containment | undefined {
  if (!canContain) return undefined;
  const cgroup = makeCgroup();
  const up = cgroup ? path.dirname(cgroup.dir) : '';
  const graceTicks = String(Math.max(1, Math.ceil(graceMs / 100)));
  let socket: (NodeJS.ReadWriteStream & { destroy(): void; once(event: 'close', cb: () => void): unknown }) | undefined;
  let closed: Promise<void> = Promise.resolve();
  const c: Containment = {
    argv: [SHELL, '-c', PREAMBLE, 'sh', cgroup?.dir ?? '', up, graceTicks, command, ...args],
    cgroup,
    watchdogPid: undefined,
    attach(s) {
      socket = s;
      closed = new Promise((resolve) => s.once('close', () => resolve()));
      let text = '';
      s.on('data', (chunk: Buffer | string) => {
        text += chunk.toString();
        const line = /^(\d+)\n/.exec(text);
        if (line && c.watchdogPid === undefined) {
          c.watchdogPid = Number(line[1]);
          c.onWatchdog?.(c.watchdogPid);
        }
      });
      s.on('error', () => {});
    },
    jobGone() {
      if (!cgroup) return false;
      const left = cgroup.pids();
      return left.length === 0 || (left.length === 1 && left[0] === c.watchdogPid);
    },
    async dismiss(ms = 1000) {
      if (!socket) return;
      const s = socket;
      socket = undefined;
      try {
        s.end('\n');
      } catch {
        /* already closed */
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
      s.destroy();
      // Its socket closes a moment before it has exited: wait for that too, or the job's reaping sees it.
      const pid = c.watchdogPid;
      for (let i = 0; pid !== undefined && i < 200; i++) {
        const state = readProc(pid)?.state;
        if (state === undefined || state === 'Z' || state === 'X') break;
        await new Promise((r) => setTimeout(r, 1));
      }
    },
    async release() {
      if (!cgroup) return;
      // A process that just closed its files may not have left the cgroup yet (the kernel
      // does that later in its exit): a few tries before giving up on the directory.
      for (let i = 0; i < 250 && !cgroup.remove(); i++) await new Promise((r) => setTimeout(r, i < 50 ? 1 : 20));
    },
  };
  return c;
}

/** Where `command` would be run from (as execvp finds it), or why it cannot be. */
export function resolveCommand(command: string, env: Record<string, string>, cwd: string): { error: string } | undefined {
  const check = (file: string): 'ok' | 'missing' | 'denied' => {
    try {
      const st = fs.statSync(file);
      if (st.isDirectory()) return 'denied';
      fs.accessSync(file, fs.constants.X_OK);
      return 'ok';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : 'missing';
    }
  };
  let seen: 'missing' | 'denied' = 'missing';
  if (command.includes('/')) {
    const r = check(path.resolve(cwd, command));
    if (r === 'ok') return undefined;
    seen = r;
  } else {
    for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
      const r = check(path.resolve(cwd, dir || '.', command));
      if (r === 'ok') return undefined;
      if (r === 'denied') seen = 'denied';
    }
  }
  return seen === 'denied'
    ? { error: `permission denied (spawn ${command} EACCES)` }
    : { error: `command not found (spawn ${command} ENOENT)` };
}

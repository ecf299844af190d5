// The job's processes as /proc shows them: real processes, read by pid range.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { allocatedSince, hasProcFs, jobProcesses, pidMark, readProcTable } from '../src/processes.js';

const started: number[] = [];
const commandOf = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* ended */
    }
  }
});

describe('pids handed out since a process', () => {
  it('is the range after it, wrapping at pid_max with the kernel', () => {
    const since = { forks: 1000, pidMax: 32_768 };
    const young = allocatedSince(100, since, { last: 250, forks: 1150 })!;
    expect([99, 100, 180, 250, 251, 1].map(young)).toEqual([false, true, true, true, false, false]);
    // Wrapped since: the pids above it and those handed out again from the bottom.
    const wrapped = allocatedSince(30_000, since, { last: 400, forks: 4000 })!;
    expect([29_999, 30_000, 32_767, 1, 400, 401, 500].map(wrapped)).toEqual([false, true, true, true, true, false, false]);
  });

  it('is every pid when the kernel does not say, or when the counter may have come round again', () => {
    const since = { forks: 1000, pidMax: 32_768 };
    expect(allocatedSince(100, since, { last: Number.NaN, forks: 1001 })).toBeUndefined();
    expect(allocatedSince(100, undefined, { last: 250, forks: 1001 })).toBeUndefined();
    // 40,000 processes and threads started since: the counter went past the job's pid again.
    expect(allocatedSince(100, since, { last: 250, forks: 41_000 })).toBeUndefined();
    expect(allocatedSince(100, since, { last: 250, forks: 1000 + 32_768 - 301 })).toBeDefined();
  });

  it.skipIf(!hasProcFs)('the kernel says, here', () => {
    const mark = pidMark();
    expect(mark?.pidMax).toBeGreaterThan(300);
    expect(allocatedSince(process.pid, mark)?.(process.pid)).toBe(true);
  });

  it.skipIf(!hasProcFs)("the table since a job's main process holds the job's whole tree and group", async () => {
    // A shell (its own group's leader) with a child shell and three sleeps below them.
    const mark = pidMark();
    const job = spawn('sh', ['-c', 'sh -c "sleep 30 & sleep 30" & sleep 30'], { detached: true, stdio: 'ignore' });
    started.push(job.pid!);
    let tree: number[] = [];
    const sleeps = () => tree.filter((pid) => commandOf(pid) === 'sleep').length;
    for (let i = 0; i < 400 && sleeps() < 3; i++) {
      await new Promise((r) => setTimeout(r, 25));
      tree = jobProcesses(readProcTable({ pid: job.pid!, mark }), job.pid!, job.pid!).map((p) => p.pid);
    }
    expect(sleeps()).toBe(3);
    // Exactly what the whole table finds for it.
    expect(new Set(jobProcesses(readProcTable(), job.pid!, job.pid!).map((p) => p.pid))).toEqual(new Set(tree));
    expect(tree).toContain(job.pid);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountingFile, childExitOf, parseAccountingLine } from './accounting.js';

// Lines as SGE 8.1.9 writes them (man sge_accounting): 6 job_number, 10 start, 12 failed, 13 exit_status, 36 task_number.
const line = (job: number, task: number, failed: number, exit: number, start = 1796120182) =>
  `all.q:localhost:root:root:run1:${job}:sge:0:1796120181:${start}:1796120185:${failed}:${exit}:3:0.0:0.0:0.0:0:0:0:0:0:0:0:0.0:0:0:0:0:0:0:NONE:defaultdepartment:NONE:1:${task}:0.1:0.0:0.0:-U NONE:0.0:NONE:0.0:0:0`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('parseAccountingLine', () => {
  it('reads the job, task, failed, exit status and start time', () => {
    expect(parseAccountingLine(line(94, 0, 0, 3))).toEqual({ key: '94', failed: 0, exitStatus: 3, startTime: 1796120182 });
    expect(parseAccountingLine(line(95, 4, 100, 137))).toMatchObject({ key: '95.4', failed: 100, exitStatus: 137 });
    expect(parseAccountingLine('# Version: 8.1.9')).toBeUndefined();
    expect(parseAccountingLine('')).toBeUndefined();
  });
});

describe('AccountingFile', () => {
  it('reads only what was appended since the last read, keeping a half-written record for later', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-sge-acct-'));
    dirs.push(dir);
    const file = path.join(dir, 'accounting');
    fs.writeFileSync(file, `${line(1, 0, 0, 0)}\n`);
    const reader = new AccountingFile(file);
    expect(reader.read()).toEqual([]);
    const second = line(2, 0, 0, 5);
    fs.appendFileSync(file, `${line(3, 1, 0, 0)}\n${second.slice(0, 20)}`);
    expect(reader.read().map((r) => r.key)).toEqual(['3.1']);
    fs.appendFileSync(file, `${second.slice(20)}\n`);
    expect(reader.read().map((r) => r.key)).toEqual(['2']);
    // Rotated: start again from the top of the new file.
    fs.writeFileSync(file, `${line(4, 0, 0, 0)}\n`);
    expect(reader.read().map((r) => r.key)).toEqual(['4']);
  });
});

describe('childExitOf', () => {
  const rec = (failed: number, exitStatus: number, startTime = 1) => ({ key: '1', failed, exitStatus, startTime });
  it('gives the child\'s exit code when Grid Engine did not end it', () => {
    expect(childExitOf(rec(0, 0), { stopRequested: false })).toEqual({ code: 0, signal: null });
    expect(childExitOf(rec(0, 4), { stopRequested: true })).toEqual({ code: 4, signal: null, reason: 'stopped' });
  });

  it('gives the signal when the job died of one', () => {
    expect(childExitOf(rec(100, 137), { stopRequested: false })).toEqual({ code: null, signal: 'SIGKILL' });
    expect(childExitOf(rec(100, 143), { stopRequested: true })).toEqual({ code: null, signal: 'SIGTERM', reason: 'stopped' });
    expect(childExitOf(rec(37, 137), { stopRequested: false })).toEqual({
      code: null,
      signal: 'SIGKILL',
      reason: 'killed by Grid Engine: failed 37: qmaster enforced h_rt, h_cpu, or h_vmem limit',
    });
  });

  it('says the job never ran when it failed before its script', () => {
    expect(childExitOf(rec(26, 0, 0), { stopRequested: false })).toEqual({
      code: null,
      signal: null,
      neverStarted: true,
      reason: 'failed 26: opening input/output file (the job never ran)',
    });
  });
});

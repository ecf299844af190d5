/**
 * Exit statuses from Grid Engine's accounting: the cell's accounting file,
 * read from where the last read stopped (a poll costs only the records written
 * since), or `qacct -j` for each job when the file cannot be read here.
 * `failed` says whether Grid Engine ended the job, `exit_status` how the job
 * script exited (128 + N after signal N).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildExit } from '@gator/protocol';
import type { AcctRecord } from './sge-cli.js';

/** Where a Grid Engine cell keeps its accounting file: `$SGE_ROOT/$SGE_CELL/common/accounting`. */
export function defaultAccountingFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cell = env.SGE_CELL || 'default';
  // Debian's and Ubuntu's /usr/bin/q* wrappers set SGE_ROOT=/var/lib/gridengine themselves.
  const roots = env.SGE_ROOT ? [env.SGE_ROOT] : ['/var/lib/gridengine', '/opt/sge', '/opt/gridengine'];
  for (const root of roots) {
    const file = path.join(root, cell, 'common', 'accounting');
    if (fs.existsSync(path.dirname(file))) return file;
  }
  return undefined;
}

/** One line of the accounting file (`man sge_accounting`): fields 6, 10, 12, 13, 36 (1-based). */
export function parseAccountingLine(line: string): AcctRecord | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  const f = line.split(':');
  if (f.length < 36) return undefined;
  const job = f[5]!;
  if (!/^\d+$/.test(job)) return undefined;
  const task = Number(f[35]);
  return {
    key: task > 0 ? `${job}.${task}` : job,
    failed: Number(f[11]) || 0,
    exitStatus: Number(f[12]) || 0,
    startTime: Number(f[9]) || 0,
  };
}

/** Reads the records appended to the accounting file since the last read. */
export class AccountingFile {
  private offset: number;
  private rest = '';

  constructor(readonly file: string) {
    // Only jobs submitted from now on matter: start at the current end.
    this.offset = fs.statSync(file).size;
  }

  /** Whether the file can be read by this process (else the scheduler asks qacct). */
  static usable(file: string | undefined): file is string {
    if (!file) return false;
    try {
      fs.accessSync(file, fs.constants.R_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  }

  /** Records written since the last call. */
  read(): AcctRecord[] {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return [];
    }
    // Rotated (logchecker, or a wipe): start again at the beginning of the new file.
    if (size < this.offset) {
      this.offset = 0;
      this.rest = '';
    }
    if (size === this.offset) return [];
    const fd = fs.openSync(this.file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(size - this.offset);
      const n = fs.readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += n;
      text = this.rest + buffer.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
    const lines = text.split('\n');
    // A record being written has no newline yet: keep it for the next read.
    this.rest = lines.pop() ?? '';
    return lines.flatMap((line) => parseAccountingLine(line) ?? []);
  }
}

/** Words of the accounting `failed` codes (`man sge_status`/`sge_accounting`). */
export const FAILED_WORDS: Record<number, string> = {
  1: 'assumedly before job',
  3: 'before writing config',
  4: 'before writing pid',
  5: 'on reading config file',
  6: 'setting processor set',
  7: 'before prolog',
  8: 'in prolog',
  9: 'before pestart',
  10: 'in pestart',
  11: 'before job',
  12: 'before pestop',
  13: 'in pestop',
  14: 'before epilog',
  15: 'in epilog',
  16: 'releasing processor set',
  17: 'through signal',
  18: 'shepherd returned error',
  19: 'before writing exit_status',
  20: 'found unexpected error file',
  21: 'in recognizing job',
  24: 'migrating (checkpointing jobs)',
  25: 'rescheduling',
  26: 'opening input/output file',
  27: 'searching requested shell',
  28: 'changing to working directory',
  29: 'AFS setup',
  36: 'checking configured daemons',
  37: 'qmaster enforced h_rt, h_cpu, or h_vmem limit',
  38: 'adding supplementary group',
  100: 'assumedly after job',
};

/** Codes of a job that failed before its script ran. */
const BEFORE_JOB = new Set([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 21, 26, 27, 28, 29, 36, 38]);

const SIGNAL_NAMES = new Map<number, string>(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

export interface EndContext {
  /** Gator asked for the stop. */
  stopRequested: boolean;
}

/**
 * An accounting record → the child's exit. The job script's exit status is
 * the child's (the script waits for it and exits with its status); a job that
 * Grid Engine ended itself carries `failed` ≠ 0 and its words.
 */
export function childExitOf(record: AcctRecord, context: EndContext): ChildExit {
  const stopped = context.stopRequested ? { reason: 'stopped' } : {};
  if (record.failed === 0) return { code: record.exitStatus, signal: null, ...stopped };
  const failed = `failed ${record.failed}: ${record.failedText ?? FAILED_WORDS[record.failed] ?? 'unknown failure'}`;
  if (BEFORE_JOB.has(record.failed) || record.startTime === 0) {
    return { code: null, signal: null, neverStarted: true, reason: `${failed} (the job never ran)` };
  }
  if (record.exitStatus > 128) {
    // The job script died of this signal (it re-raises the child's): 100 says no more than that.
    const n = record.exitStatus - 128;
    const signal = SIGNAL_NAMES.get(n) ?? `SIG${n}`;
    if (context.stopRequested) return { code: null, signal, reason: 'stopped' };
    return { code: null, signal, ...(record.failed === 100 ? {} : { reason: `killed by Grid Engine: ${failed}` }) };
  }
  return { code: record.exitStatus, signal: null, reason: failed };
}

import { describe, expect, it } from 'vitest';
import {
  commandFailure,
  isTransientFailure,
  memoryToMb,
  parseComplexValues,
  parseComplexes,
  parseErrorReasons,
  parseQacct,
  parseQdel,
  parseQsubJobId,
  qconfValue,
} from './sge-cli.js';

const fail = (stderr: string, code: number | null = 1) => ({ code, stdout: '', stderr });

describe('qsub', () => {
  it('reads the job number of a job and of an array job', () => {
    expect(parseQsubJobId('94\n')).toBe('94');
    expect(parseQsubJobId('95.1-4:1\n')).toBe('95');
    expect(parseQsubJobId('Your job 94 ("x") has been submitted\n')).toBeUndefined();
  });

  it('words a refusal without the Exiting. line', () => {
    expect(commandFailure('qsub', fail('Unable to run job: unknown resource "foo"\nExiting.\n'))).toBe('Unable to run job: unknown resource "foo"');
  });

  it('retries only what never reached the qmaster, for submissions', () => {
    const refused = fail('error: commlib error: got select error (Connection refused)\nUnable to run job: unable to send message to qmaster using port 6444 on host "localhost": got send error\nExiting.\n');
    const lost = fail('Unable to run job: failed receiving gdi request response for mid=1 (got syncron message receive timeout error).\nExiting.\n');
    const rejected = fail('Unable to run job: error: no suitable queues.\nExiting.\n');
    expect(isTransientFailure(refused, false)).toBe(true);
    expect(isTransientFailure(lost, false)).toBe(false);
    expect(isTransientFailure(lost, true)).toBe(true);
    expect(isTransientFailure(rejected, true)).toBe(false);
    expect(isTransientFailure({ code: 0, stdout: '', stderr: '' })).toBe(false);
  });
});

describe('qdel', () => {
  it('tells pending deletions, registrations and unknown jobs apart', () => {
    const answer = parseQdel(
      [
        'root has registered the job 48 for deletion',
        'root has deleted job-array task 50.3',
        'root has deleted job 96',
        'root has registered the job-array task 95.1 for deletion',
        'denied: job "99999" does not exist',
      ].join('\n'),
    );
    expect([...answer.deletedPending].sort()).toEqual(['50.3', '96']);
    expect([...answer.registered].sort()).toEqual(['48', '95.1']);
    expect([...answer.unknown]).toEqual(['99999']);
  });
});

describe('qstat -j', () => {
  it('reads each job\'s error reason without its time stamp', () => {
    const out = [
      '==============================================================',
      'job_number:                 56',
      'error reason          1:      12/01/2026 11:29:48 [0:31584]: error: can\'t open output file "/nonexistent/x": No such file or directory',
      'scheduling info:            Job is in error state',
      '==============================================================',
      'job_number:                 57',
      'error reason          3:      12/01/2026 11:29:48 [0:31563]: error: can\'t chdir to /nonexistent: No such file or directory',
    ].join('\n');
    const reasons = parseErrorReasons(out);
    expect(reasons.get('56')?.get(1)).toBe('can\'t open output file "/nonexistent/x": No such file or directory');
    expect(reasons.get('57')?.get(3)).toBe("can't chdir to /nonexistent: No such file or directory");
  });
});

describe('qconf', () => {
  it('reads consumable complexes', () => {
    const out = [
      '#name               shortcut   type      relop requestable consumable default  urgency',
      '#----------------------------------------------------------------------------------------',
      'arch                a          STRING    ==    YES         NO         NONE     0',
      'h_vmem              h_vmem     MEMORY    <=    YES         NO         0        0',
      'simtool             simtool    INT       <=    YES         JOB        0        0',
      'slots               s          INT       <=    YES         YES        1        1000',
    ].join('\n');
    const complexes = parseComplexes(out);
    expect(complexes.map((c) => `${c.name}/${c.consumable}`)).toEqual(['arch/NO', 'h_vmem/NO', 'simtool/JOB', 'slots/YES']);
  });

  it('reads key values, continued lines and complex_values', () => {
    const out = 'hostname              global\ncomplex_values        simtool=2,toola=4,\\\n                      big=1.5\nload_values           NONE\n';
    expect(parseComplexValues(qconfValue(out, 'complex_values'))).toEqual({ simtool: 2, toola: 4, big: 1.5 });
    expect(parseComplexValues('NONE')).toEqual({});
  });

  it('converts Grid Engine memory (powers of 1024) to decimal MB', () => {
    expect(memoryToMb('23.5G')).toBeCloseTo(25232.9, 0);
    expect(memoryToMb('512M')).toBeCloseTo(536.9, 0);
    expect(memoryToMb('-')).toBe(0);
  });
});

describe('qacct', () => {
  it('keeps the last record of each task', () => {
    const block = (task: string, failed: string, exit: string, start = 'Tue Dec  1 10:16:22 2026') =>
      ['==============================================================', 'qname        all.q', 'jobnumber    95', `taskid       ${task}`, `start_time   ${start}`, `failed       ${failed}`, `exit_status  ${exit}`].join('\n');
    const records = parseQacct([block('1', '0', '0'), block('2', '100 : assumedly after job', '137                  (Killed)'), block('2', '0', '3')].join('\n'));
    expect(records.get('95.1')).toMatchObject({ failed: 0, exitStatus: 0 });
    expect(records.get('95.2')).toMatchObject({ failed: 0, exitStatus: 3 });
    const single = parseQacct(block('undefined', '26  : opening input/output file', '0', '-/-'));
    expect(single.get('95')).toMatchObject({ failed: 26, failedText: 'opening input/output file', startTime: 0 });
  });
});

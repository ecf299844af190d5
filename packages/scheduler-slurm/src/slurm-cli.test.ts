import { describe, expect, it } from 'vitest';
import {
  arrayRanges,
  commandFailure,
  configValue,
  exitFromExitCode,
  exitFromStatus,
  isHopelessReason,
  isTransientFailure,
  parseLicenses,
  parsePartitions,
  parseSacct,
  parseSbatchJobId,
  parseSqueue,
} from './slurm-cli.js';

// Outputs as Slurm 22.05 prints them on the test cluster.
describe('parsers', () => {
  it('squeue -O JobArrayID,State,exit_code,BatchHost,Reason', () => {
    const out = ['14_1|PENDING|0|n/a|Licenses', '13|RUNNING|0|localhost|None', '1|FAILED|768|localhost|NonZeroExitCode', ''].join('\n');
    const entries = parseSqueue(out);
    expect(entries.get('14_1')).toEqual({ id: '14_1', state: 'PENDING', status: 0, batchHost: undefined, reason: 'Licenses' });
    expect(entries.get('13')).toMatchObject({ state: 'RUNNING', batchHost: 'localhost', reason: undefined });
    expect(entries.get('1')).toMatchObject({ state: 'FAILED', status: 768, reason: 'NonZeroExitCode' });
  });

  it('wait statuses and ExitCode text', () => {
    expect(exitFromStatus(0)).toEqual({ code: 0, signal: null });
    expect(exitFromStatus(768)).toEqual({ code: 3, signal: null });
    expect(exitFromStatus(15)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(exitFromExitCode('3:0')).toEqual({ code: 3, signal: null });
    expect(exitFromExitCode('0:9')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exitFromExitCode('')).toEqual({ code: null, signal: null });
  });

  it('sbatch --parsable, licenses, config, sacct', () => {
    expect(parseSbatchJobId('123\n')).toBe('123');
    expect(parseSbatchJobId('123;cluster\n')).toBe('123');
    expect(parseSbatchJobId('')).toBeUndefined();
    expect(
      parseLicenses('LicenseName=toola Total=4 Used=0 Free=4 Reserved=0 Remote=no\nLicenseName=simtool Total=2 Used=1 Free=1 Reserved=0 Remote=no\n'),
    ).toEqual({ toola: 4, simtool: 2 });
    expect(configValue('MaxArraySize            = 1001\nMaxJobCount = 10000\n', 'MaxArraySize')).toBe('1001');
    const sacct = parseSacct('5|CANCELLED by 0|0:0\n5.batch|CANCELLED|0:15\n6|FAILED|3:0\n');
    expect(sacct.get('5')).toEqual({ id: '5', state: 'CANCELLED', exitCode: '0:0' });
    expect(sacct.get('6')?.exitCode).toBe('3:0');
    expect(sacct.has('5.batch')).toBe(false);
  });

  it('partitions: the largest node, capped by MaxCPUsPerNode / MaxMemPerNode', () => {
    const scontrol = [
      'PartitionName=debug AllowGroups=ALL Default=YES MaxCPUsPerNode=UNLIMITED MaxMemPerNode=UNLIMITED State=UP',
      'PartitionName=tiny AllowGroups=ALL Default=NO MaxCPUsPerNode=2 MaxMemPerNode=1000 State=UP',
    ].join('\n');
    const sinfo = 'debug|64|23081\ntiny|64|23081\ndebug|8|1000\n';
    expect(parsePartitions(scontrol, sinfo)).toEqual([
      { name: 'debug', isDefault: true, maxCpus: 64, maxMemMb: 23081 },
      { name: 'tiny', isDefault: false, maxCpus: 2, maxMemMb: 1000 },
    ]);
  });

  it('array ranges', () => {
    expect(arrayRanges([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(arrayRanges([3])).toBe('3');
    expect(arrayRanges([2, 1, 1, 0])).toBe('0-2');
  });

  it('failures: the message without prefixes; transient ones; hopeless pending reasons', () => {
    const failed = { code: 1, stdout: '', stderr: 'sbatch: error: Batch job submission failed: Invalid license specification\n' };
    expect(commandFailure('sbatch', failed)).toBe('Batch job submission failed: Invalid license specification');
    expect(isTransientFailure(failed)).toBe(false);
    expect(isTransientFailure({ ...failed, stderr: 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation' })).toBe(true);
    const missing = Object.assign(new Error('spawn sbatch ENOENT'), { code: 'ENOENT' });
    expect(commandFailure('sbatch', { code: null, stdout: '', stderr: '', error: missing })).toBe('sbatch not found on PATH');
    expect(isHopelessReason('PartitionConfig')).toBe(true);
    expect(isHopelessReason('QOSMaxCpuPerJobLimit')).toBe(true);
    expect(isHopelessReason('Resources')).toBe(false);
    expect(isHopelessReason('Licenses')).toBe(false);
    expect(isHopelessReason(undefined)).toBe(false);
  });
});

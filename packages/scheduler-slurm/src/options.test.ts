import { describe, expect, it } from 'vitest';
import { isGatorError } from '@gator/protocol';
import { parseSlurmOptions } from './options.js';

describe('parseSlurmOptions', () => {
  it('has defaults', () => {
    expect(parseSlurmOptions({})).toEqual({
      partition: undefined,
      account: undefined,
      qos: undefined,
      time: undefined,
      sbatchArgs: [],
      pollMs: 1000,
      graceMs: 5000,
      host: undefined,
      tiers: 'local',
      tierMemMb: 500,
      arrays: true,
      ignored: [],
    });
  });

  it('reads every option and lists unknown keys', () => {
    const o = parseSlurmOptions({
      partition: 'gpu',
      account: 'proj-1',
      qos: 'high',
      time: '1-02:00:00',
      sbatch_args: `--gres=gpu:1 --comment='nightly run'`,
      poll: '0.5',
      grace: '10',
      host: 'ib0',
      tiers: 'SLURM',
      tier_mem: '1000',
      arrays: 'off',
      concurrency: '4',
    });
    expect(o).toMatchObject({
      partition: 'gpu',
      account: 'proj-1',
      qos: 'high',
      time: '1-02:00:00',
      sbatchArgs: ['--gres=gpu:1', '--comment=nightly run'],
      pollMs: 500,
      graceMs: 10_000,
      host: 'ib0',
      tiers: 'slurm',
      tierMemMb: 1000,
      arrays: false,
      ignored: ['concurrency'],
    });
  });

  it('throws a SchedulerError naming the option and its value', () => {
    try {
      parseSlurmOptions({ poll: 'soon' });
      expect.unreachable();
    } catch (error) {
      expect(isGatorError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'GATOR_SCHEDULER_OPTION', scheduler: 'slurm', hint: 'Pass it as --sched-arg poll=VALUE.' });
      expect((error as Error).message).toBe('[scheduler slurm] Option `poll=soon` is invalid: expected a poll interval in seconds, e.g. 1 or 0.5.');
    }
    expect(() => parseSlurmOptions({ sbatch_args: '--export=NONE' })).toThrow(/--export is set by the scheduler itself/);
    expect(() => parseSlurmOptions({ sbatch_args: '-a 1-3' })).toThrow(/-a is set by the scheduler itself/);
    expect(() => parseSlurmOptions({ time: 'soon' })).toThrow(/Slurm time limit/);
  });
});

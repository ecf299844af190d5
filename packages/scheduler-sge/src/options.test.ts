import { describe, expect, it } from 'vitest';
import { isGatorError } from '@gator/protocol';
import { parseSgeOptions } from './options.js';

describe('parseSgeOptions', () => {
  it('has defaults', () => {
    expect(parseSgeOptions({})).toEqual({
      queue: undefined,
      pe: 'smp',
      project: undefined,
      time: undefined,
      memResource: 'h_vmem',
      wrapperMemMb: 2000,
      qsubArgs: [],
      pollMs: 1000,
      graceMs: 5000,
      host: undefined,
      tiers: 'local',
      arrays: true,
      notify: true,
      verify: true,
      accounting: undefined,
      lostAfterMs: 120_000,
      ignored: [],
    });
  });

  it('reads every option and lists unknown keys', () => {
    const o = parseSgeOptions({
      queue: 'all.q@node1,tiny.q',
      pe: 'mpi-fill',
      project: 'chip_a',
      time: '2:00:00',
      mem_resource: 'mem_free',
      wrapper_mem: '1500',
      qsub_args: `-l arch=lx-amd64 -ac note='nightly run'`,
      poll: '0.5',
      grace: '2',
      host: 'ib0',
      tiers: 'SGE',
      arrays: 'off',
      notify: 'no',
      verify: '0',
      accounting: '/shared/sge/default/common/accounting',
      lost_after: '30',
      partition: 'debug',
    });
    expect(o).toMatchObject({
      queue: 'all.q@node1,tiny.q',
      pe: 'mpi-fill',
      project: 'chip_a',
      time: '2:00:00',
      memResource: 'mem_free',
      wrapperMemMb: 1500,
      qsubArgs: ['-l', 'arch=lx-amd64', '-ac', 'note=nightly run'],
      pollMs: 500,
      graceMs: 2000,
      host: 'ib0',
      tiers: 'sge',
      arrays: false,
      notify: false,
      verify: false,
      accounting: '/shared/sge/default/common/accounting',
      lostAfterMs: 30_000,
      ignored: ['partition'],
    });
  });

  it('rejects bad values with an error naming the option', () => {
    const bad: Record<string, string>[] = [
      { poll: 'soon' },
      { poll: '0.01' },
      { grace: '-1' },
      { tiers: 'slurm' },
      { arrays: 'maybe' },
      { time: '3 hours' },
      { queue: 'a q' },
      { pe: 'smp 2' },
      { qsub_args: `-ac note="unterminated` },
      { qsub_args: '-t 1-3' },
      { qsub_args: '-V' },
      { wrapper_mem: 'lots' },
    ];
    for (const options of bad) {
      const key = Object.keys(options)[0]!;
      let error: unknown;
      try {
        parseSgeOptions(options);
      } catch (e) {
        error = e;
      }
      expect(isGatorError(error), JSON.stringify(options)).toBe(true);
      expect((error as { code: string }).code).toBe('GATOR_SCHEDULER_OPTION');
      expect((error as Error).message).toContain(`\`${key}=`);
    }
  });
});

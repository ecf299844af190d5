import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { isGatorError } from '@gator/protocol';
import { parseLocalOptions } from './options.js';

function optionError(options: Record<string, string>) {
  try {
    parseLocalOptions(options);
  } catch (error) {
    return error as Error & { code: string; hint?: string };
  }
  throw new Error('expected parseLocalOptions to throw');
}

describe('parseLocalOptions', () => {
  it('defaults to the machine: every core, all memory, no licenses, 5 s grace', () => {
    const config = parseLocalOptions({});
    expect(config.limits).toEqual({
      cores: os.availableParallelism(),
      memoryMb: Math.floor(os.totalmem() / 1e6),
      licenses: {},
    });
    expect(config.graceMs).toBe(5000);
    expect(config.ignored).toEqual([]);
  });

  it('reads concurrency, memory, licenses and grace', () => {
    const config = parseLocalOptions({ concurrency: '3', memory: '1500.5', licenses: 'simtool:2, lint : 1', grace: '0.5' });
    expect(config.limits).toEqual({ cores: 3, memoryMb: 1500.5, licenses: { simtool: 2, lint: 1 } });
    expect(config.graceMs).toBe(500);
  });

  it('reads wrappers: one process per job unless inprocess is asked for', () => {
    expect(parseLocalOptions({}).inProcessWrappers).toBe(false);
    expect(parseLocalOptions({ wrappers: 'process' }).inProcessWrappers).toBe(false);
    expect(parseLocalOptions({ wrappers: 'inprocess' }).inProcessWrappers).toBe(true);
    const error = optionError({ wrappers: 'threads' });
    expect(error.message).toContain("wrappers=threads");
    expect(error.hint).toContain('wrappers=inprocess');
  });

  it('reads prestart: the pool decides unless a number is given, 0 included', () => {
    expect(parseLocalOptions({}).prestart).toBeUndefined();
    expect(parseLocalOptions({ prestart: '0' }).prestart).toBe(0);
    expect(parseLocalOptions({ prestart: '6' }).prestart).toBe(6);
  });

  it('lists options it does not know instead of failing', () => {
    expect(parseLocalOptions({ babysit: '1', concurrency: '1' }).ignored).toEqual(['babysit']);
  });

  it.each([
    [{ concurrency: 'abc' }, 'concurrency'],
    [{ concurrency: '0' }, 'concurrency'],
    [{ concurrency: '-2' }, 'concurrency'],
    [{ memory: '16G' }, 'memory'],
    [{ licenses: 'simtool' }, 'licenses'],
    [{ licenses: 'simtool:0' }, 'licenses'],
    [{ licenses: 'a:1,a:2' }, 'licenses'],
    [{ grace: 'soon' }, 'grace'],
    [{ prestart: '-1' }, 'prestart'],
    [{ prestart: 'many' }, 'prestart'],
  ])('rejects %j with a SchedulerError naming %s', (options, key) => {
    const error = optionError(options as Record<string, string>);
    expect(isGatorError(error)).toBe(true);
    expect(error.code).toBe('GATOR_SCHEDULER_OPTION');
    expect(error.message).toContain(`\`${key}=`);
    expect(error.hint).toContain(`--sched-arg ${key}=`);
  });
});

import { describe, expect, it } from 'vitest';
import { array, cores, group, job, license, memory, type Scheduler } from '@gator/protocol';
import { checkResources } from './resources.js';

function scheduler(over: Partial<Scheduler> = {}): Scheduler & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    name: 'test',
    capabilities: { cores: 'stable', memory: 'stable', licenses: 'unsupported', remote: false },
    launch: async () => {
      throw new Error('not used');
    },
    stop: async () => {},
    close: async () => {},
    check(request) {
      asked.push(request.path);
      return request.resources.cores > 4 ? `job ${request.path.join('.')} asks for ${request.resources.cores} cores but the pool has 4` : undefined;
    },
    ...over,
    asked,
  };
}

describe('checkResources', () => {
  it('walks the whole tree once per entry and collects the messages', () => {
    const spec = group({
      ident: 'top',
      jobs: [
        job({ ident: 'small', command: 'x', resources: [cores(2), memory(1, 'GB')] }),
        array({ ident: 'arr', repeats: 1000, jobs: [job({ ident: 'big', command: 'x', resources: [cores(8)] })] }),
        group({ jobs: [job({ command: 'x', resources: [license('sim', 2)] })] }),
      ],
    });
    const s = scheduler();
    expect(checkResources(spec, s)).toEqual([
      'job top.arr.big asks for 8 cores but the pool has 4',
      'job top.T2.T0 requests licenses, which the test scheduler cannot honour',
    ]);
    expect(s.asked).toEqual([['top', 'small'], ['top', 'arr', 'big'], ['top', 'T2', 'T0']]);
  });

  it('is empty when the scheduler has no check and nothing is unsupported', () => {
    const spec = group({ jobs: [job({ command: 'x', resources: [cores(64)] })] });
    expect(checkResources(spec, scheduler({ check: undefined }))).toEqual([]);
  });

  it('reports a check that throws instead of crashing', () => {
    const spec = group({ ident: 'g', jobs: [job({ ident: 'j', command: 'x' })] });
    const s = scheduler({
      check: () => {
        throw new Error('pool unreachable');
      },
    });
    expect(checkResources(spec, s)).toEqual(['job g.j: the test scheduler could not check its resources (pool unreachable)']);
  });
});

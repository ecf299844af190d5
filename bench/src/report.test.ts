import { describe, expect, it } from 'vitest';
import { formatTable, judge, type Row } from './report.js';

const overhead = (ratio: number): Omit<Row, 'met'> => ({
  case: 'job overhead',
  variant: 'concurrency 1',
  figure: { value: 60 * ratio, unit: 'ms/job' },
  baseline: { value: 60, unit: 'ms/job' },
  ratio,
  target: { kind: 'max', value: 1.5, of: 'ratio', text: '≤ 1.5×' },
});

describe('judge', () => {
  it('compares the ratio or the figure with the target, in the target direction', () => {
    expect(judge(overhead(1.4)).met).toBe(true);
    expect(judge(overhead(1.5)).met).toBe(true);
    expect(judge(overhead(1.6)).met).toBe(false);
    const capture = { case: 'stdout capture', figure: { value: 7, unit: 'lines/s' }, baseline: { value: 10, unit: 'lines/s' }, ratio: 0.7 };
    expect(judge({ ...capture, target: { kind: 'min', value: 0.7, of: 'ratio', text: '≥ 0.7×' } }).met).toBe(true);
    expect(judge({ ...capture, ratio: 0.69, target: { kind: 'min', value: 0.7, of: 'ratio', text: '≥ 0.7×' } }).met).toBe(false);
    const scale = { case: 'scale', figure: { value: 1.9, unit: 'KiB/job' }, target: { kind: 'max', value: 2, of: 'figure', text: '≤ 2 KiB/job' } } as const;
    expect(judge(scale).met).toBe(true);
  });

  it('never calls a row with lost data met, and leaves an unmeasurable one undecided', () => {
    const lossy = { case: 'API logging', figure: { value: 9, unit: 'msg/s' }, baseline: { value: 10, unit: 'msg/s' }, ratio: 0.9, lost: 3 };
    expect(judge({ ...lossy, target: { kind: 'min', value: 0.5, of: 'ratio', text: '≥ 0.5×' } }).met).toBe(false);
    expect(judge({ ...overhead(1), ratio: Number.NaN }).met).toBeUndefined();
  });
});

describe('formatTable', () => {
  it('prints one aligned line per row: case (variant), figure, baseline, ratio, target, verdict', () => {
    const rows = [
      judge(overhead(2)),
      judge({ case: 'scale', variant: '10,000 jobs in 95.0 s', figure: { value: 0.8, unit: 'KiB/job' }, target: { kind: 'max', value: 2, of: 'figure', text: 'RSS growth ≤ 2 KiB/job' } }),
    ];
    const lines = formatTable(rows).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^case\s+figure\s+baseline\s+ratio\s+target$/);
    expect(lines[2]).toMatch(/^job overhead \(concurrency 1\)\s+120 ms\/job\s+60\.0 ms\/job\s+2\.00×\s+≤ 1\.5×\s+MISSED$/);
    expect(lines[3]).toMatch(/^scale \(10,000 jobs in 95\.0 s\)\s+0\.80 KiB\/job\s+—\s+—\s+RSS growth ≤ 2 KiB\/job\s+met$/);
  });
});

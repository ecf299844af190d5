// The timeline's lanes: the fewest slots in which no two jobs overlap.
import { describe, expect, it } from 'vitest';
import { assignLanes } from '../src/run-timeline.ts';

describe('assignLanes', () => {
  it('puts a job in the first lane free at its start, so no two bars of a lane overlap', () => {
    const spans = [
      { started: 0, stopped: 10 },
      { started: 1, stopped: 3 },
      { started: 3, stopped: 5 }, // starts as the second ends: same lane
      { started: 2, stopped: 12 },
      { started: 10, stopped: 11 }, // the first lane is free again
    ];
    expect(assignLanes(spans)).toEqual({ lanes: [0, 1, 1, 2, 0], count: 3 });
  });

  it('keeps lanes non-overlapping for many random jobs, and never uses more lanes than jobs running at once', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const spans = Array.from({ length: 500 }, () => {
      const started = rand() * 100;
      return { started, stopped: started + rand() * 10 };
    });
    const { lanes, count } = assignLanes(spans);
    for (let l = 0; l < count; l++) {
      const mine = spans.filter((_, i) => lanes[i] === l).sort((a, b) => a.started - b.started);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.started).toBeGreaterThanOrEqual(mine[i - 1]!.stopped);
    }
    // Greedy by start is optimal for intervals: the lane count is the peak concurrency.
    const events = spans.flatMap((s) => [[s.started, 1] as const, [s.stopped, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let peak = 0;
    for (const [, d] of events) peak = Math.max(peak, (now += d));
    expect(count).toBe(peak);
  });

  it('gives each job the lowest free lane, as a scan of every lane would', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const spans = Array.from({ length: 2000 }, () => {
      const started = Math.floor(rand() * 50);
      return { started, stopped: started + Math.floor(rand() * 8) };
    });
    // The plain scan: the first lane whose last job ended by this one's start.
    const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.started - spans[b]!.started || spans[a]!.stopped - spans[b]!.stopped);
    const ends: number[] = [];
    const lanes = new Array<number>(spans.length).fill(0);
    for (const i of order) {
      let lane = ends.findIndex((end) => end <= spans[i]!.started);
      if (lane < 0) lane = ends.push(spans[i]!.stopped) - 1;
      else ends[lane] = spans[i]!.stopped;
      lanes[i] = lane;
    }
    expect(assignLanes(spans)).toEqual({ lanes, count: ends.length });
  });

  it('is empty for no jobs', () => {
    expect(assignLanes([])).toEqual({ lanes: [], count: 0 });
  });
});

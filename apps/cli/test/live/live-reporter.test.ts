import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Summary } from '@gator/protocol';
import { LiveReporter, progressCounts, renderBar, splitBar } from '../../src/render/live.js';
import { capture } from '../inspect/helpers.js';
import pc from 'picocolors';

const SGR_COLOUR = /\u001b\[(?:3\d|4\d|9\d|1|2)(?:;\d+)*m/;

function summary(now: number): Summary {
  return {
    metrics: { sub_total: 11, sub_passed: 3, sub_failed: 1, msg_warning: 2, msg_error: 1, msg_critical: 1, jobs_passed: 3, jobs_failed: 1 },
    failed_ids: [['night', 'a']],
    running_ids: [['night', 'grp', 'slow_b'], ['night', 'fast_c']],
    running_since: [now - 12, now - 3],
    failures: [{ path: ['night', 'a'], reason: 'exited with code 3' }],
  };
}

function terminal() {
  return capture({ isTTY: true, columns: 100, rows: 30 } as Partial<NodeJS.WriteStream>);
}

const reporters: LiveReporter[] = [];
function live(out = terminal(), err = terminal()) {
  const r = new LiveReporter({ out: out.stream, err: err.stream, verbose: false, quiet: false, rootIdent: 'night', cwd: '/' }, { redrawMs: 20, expectedJobs: 10 });
  reporters.push(r);
  return { r, out, err };
}

afterEach(() => {
  for (const r of reporters.splice(0)) r.close();
  vi.unstubAllEnvs();
});

const wait = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('progress bar', () => {
  it('splits the width exactly, in proportion', () => {
    expect(splitBar(10, [3, 1, 2, 4])).toEqual([3, 1, 2, 4]);
    expect(splitBar(7, [1, 1, 1, 0]).reduce((a, b) => a + b)).toBe(7);
    expect(splitBar(40, [1, 0, 0, 999])[0]).toBeGreaterThanOrEqual(0);
    expect(splitBar(10, [0, 0, 0, 0])).toEqual([0, 0, 0, 0]);
  });

  it('counts lost and skipped with the failed part; pending is what is left', () => {
    const s = summary(0);
    s.sub_lost = 1;
    s.sub_skipped = 2;
    expect(progressCounts(s, 10)).toEqual({ total: 10, passed: 3, failed: 4, running: 2, pending: 1, warnings: 2, errors: 2 });
    // Before the first roll-up everything is pending.
    expect(progressCounts(undefined, 10)).toMatchObject({ total: 10, pending: 10 });
  });

  it('tells the parts apart without colours too', () => {
    const bar = renderBar(10, { total: 10, passed: 3, failed: 1, running: 2, pending: 4, warnings: 0, errors: 0 }, pc.createColors(false));
    expect(bar).toBe('███X▒▒░░░░');
  });
});

describe('LiveReporter', () => {
  it('shows the running jobs with their elapsed time above the bar and the counts', () => {
    vi.stubEnv('NO_COLOR', '1');
    const { r } = live();
    const now = Date.now();
    r.summary(summary(now / 1000));
    const frame = r.frame(now);
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^▶ grp\.slow_b\s+12s$/);
    expect(lines[1]).toMatch(/^▶ fast_c\s+3\.0s$/);
    expect(lines[2]).toMatch(/^█+X+▒+░+  4\/10 jobs  3 passed  1 failed  2 running  4 pending  2 warnings  2 errors  \d/);
    expect(frame).not.toMatch(SGR_COLOUR);
  });

  it('colours by severity when colours are on', () => {
    vi.stubEnv('FORCE_COLOR', '1');
    vi.stubEnv('NO_COLOR', undefined as unknown as string);
    delete process.env.NO_COLOR;
    const { r } = live();
    r.summary(summary(Date.now() / 1000));
    expect(r.frame()).toMatch(SGR_COLOUR);
  });

  it('lists only what fits and says how many more run', () => {
    vi.stubEnv('NO_COLOR', '1');
    const { r } = live(capture({ isTTY: true, columns: 60, rows: 7 } as Partial<NodeJS.WriteStream>));
    const now = Date.now() / 1000;
    const many: Summary = { ...summary(now), running_ids: Array.from({ length: 20 }, (_, i) => ['night', `job_${i}`]), running_since: Array(20).fill(now) };
    r.summary(many);
    const lines = r.frame().split('\n');
    expect(lines.filter((l) => l.startsWith('▶'))).toHaveLength(2);
    expect(lines).toContain('  … and 18 more running');
  });

  it('prints messages and results above the block, redraws, and ends with the summary only', async () => {
    vi.stubEnv('NO_COLOR', '1');
    const { r, out } = live();
    const now = Date.now() / 1000;
    r.summary(summary(now));
    r.jobEnd({ path: ['night', 'a'], outcome: 'failed', kind: 'exit', reason: 'exited with code 3', at: now });
    r.message(40, 'something broke', now, ['night', 'a']);
    await wait(120);
    const during = out.text();
    expect(during).toContain('[ERROR  ] a something broke');
    expect(during).toContain('✖ failed  a: exited with code 3');
    expect(during).toContain('grp.slow_b');
    // Job starts are shown in the block, not as lines.
    expect(during).not.toContain('▶ started');
    const before = out.text().length;
    r.end({
      result: 2,
      summary: { ...summary(now), running_ids: [], running_since: [] },
      tracking: '/runs/x',
      wallSeconds: 20,
      interrupted: false,
      exitCode: 1,
    });
    const tail = out.text().slice(before);
    expect(tail).toContain('1 job failed:');
    expect(tail).toContain('✖ a: exited with code 3');
    expect(tail).toContain('Failed  3 passed, 1 failed');
    await wait(80);
    // Nothing is drawn after the end.
    expect(out.text().length).toBe(before + tail.length);
  });

  it('queues notes with the lines so they do not tear the block', async () => {
    vi.stubEnv('NO_COLOR', '1');
    const { r, err } = live();
    r.note(30, 'hub unreachable');
    expect(err.text()).toBe('');
    await wait(80);
    expect(err.text()).toContain('[WARNING] hub unreachable');
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixturePath, maxOverlap, parseIntervals } from './index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-conformance-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('pins the exports of @gator/protocol/conformance', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toEqual(['FIXTURES', 'fixturePath', 'fixtureRequests', 'maxOverlap', 'parseIntervals', 'testScheduler', 'waitUntil']);
});

describe('fixtures', () => {
  it('every fixture is found next to src/ (and so next to dist/)', () => {
    for (const name of FIXTURES) expect(fs.existsSync(fixturePath(name)), name).toBe(true);
    expect(path.dirname(fixturePath('sleeps'))).toBe(fileURLToPath(new URL('../../fixtures', import.meta.url)));
  });

  it('exits-with, crashes and records-interval behave as documented', () => {
    expect(spawnSync(process.execPath, [fixturePath('exits-with'), '3']).status).toBe(3);
    const crash = spawnSync(process.execPath, [fixturePath('crashes')]);
    expect(crash.signal).toBe('SIGKILL');
    const log = path.join(tmp, 'intervals.log');
    expect(spawnSync(process.execPath, [fixturePath('records-interval'), log, '10', 'x']).status).toBe(0);
    const [interval] = parseIntervals(fs.readFileSync(log, 'utf8'));
    expect(interval).toMatchObject({ tag: 'x' });
    expect(interval!.end).toBeGreaterThanOrEqual(interval!.start);
  });

  it('records-env writes cwd and the named variables', () => {
    const out = path.join(tmp, 'env.json');
    const run = spawnSync(process.execPath, [fixturePath('records-env'), out, 'GATOR_X', 'GATOR_UNSET'], {
      cwd: tmp,
      env: { ...process.env, GATOR_X: 'y' },
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual({ cwd: fs.realpathSync(tmp), env: { GATOR_X: 'y', GATOR_UNSET: null } });
  });
});

describe('intervals', () => {
  it('counts the most intervals open at once; touching ends do not overlap', () => {
    const text = ['start 0 a', 'start 5 b', 'end 10 a', 'start 10 c', 'end 12 b', 'end 20 c', 'noise'].join('\n');
    const intervals = parseIntervals(text);
    expect(intervals.map((i) => i.tag).sort()).toEqual(['a', 'b', 'c']);
    expect(maxOverlap(intervals)).toBe(2);
    expect(maxOverlap([])).toBe(0);
  });

  it('rejects an interval without an end or without a start', () => {
    expect(() => parseIntervals('start 1 a')).toThrow(/without an end: a/);
    expect(() => parseIntervals('end 1 a')).toThrow(/ends without a start/);
  });
});

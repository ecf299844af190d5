// The smoke check of `pnpm test`: the quick bench, end to end with the built CLI.
// It fails only when a case crashes or loses data — timings are never asserted.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { Results } from '../src/report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-bench-test-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

it('pnpm bench --quick runs every case without a crash or a lost row', async () => {
  const child = spawn(process.execPath, [path.join(here, '../dist/run.js'), '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const results = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8')) as Results;
  expect(results.failures, output).toEqual([]);
  const cases = new Set(results.rows.map((r) => r.case));
  for (const name of ['job overhead', 'job overhead CPU', 'stdout capture', 'API logging', 'wrapper memory', 'tier memory', 'slot use', 'regression tree', 'scale', 'fan-out', 'history views']) expect(cases, output).toContain(name);
  expect(results.rows.filter((r) => (r.lost ?? 0) > 0)).toEqual([]);
  expect(output).toMatch(/^case\s+figure\s+baseline\s+ratio\s+target/m);
  expect(code, output).toBe(0);
  // A bound on a hang, not a timing: the quick bench runs ten cases, and a loaded 2-core machine takes minutes.
}, 600_000);

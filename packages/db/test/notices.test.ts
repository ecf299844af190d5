import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openLayerReader, openLayerStore } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it("keeps Gator's notices apart from the layer's messages", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-notice-'));
  dirs.push(dir);
  const store = openLayerStore({ dir, kind: 'tier' });
  store.addMessage({ severity: 40, message: 'a job error' });
  store.addNotice({ kind: 'skipped', path: 'triage', message: "dependency 'build' passed", timestamp: 5 });
  store.addNotice({ kind: 'problem', message: 'budget exceeded' });
  store.close();
  const reader = openLayerReader(dir);
  expect(reader.countMessages()).toBe(1);
  expect(reader.notices().map((n) => [n.kind, n.path, n.message])).toEqual([
    ['skipped', 'triage', "dependency 'build' passed"],
    ['problem', '', 'budget exceeded'],
  ]);
  expect(reader.notices({ kind: 'skipped' })[0]).toMatchObject({ timestamp: 5, path: 'triage' });
  reader.close();
});

/**
 * Helpers of the regression-owner e2e tests (issue 10): run a spec through the
 * built CLI with short heartbeats, with `gator` on the jobs' PATH (for
 * `gator log` / `gator metric`), and read the layers it recorded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openLayerReader } from '@gator/db';
import { REPO, gator, tempDir, writeSpec, type GatorRun } from '../helpers.js';

export interface SpecRun extends GatorRun {
  dir: string;
  /** The run's root tracking directory. */
  tracking: string;
}

/** An environment whose PATH starts with a `gator` that runs the built CLI, as an installed one would. */
export function gatorOnPath(dir: string): Record<string, string> {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'gator'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, 'apps/cli/dist/cli.js')}" "$@"\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}` };
}

/** `gator run SPEC --tracking <name> --interval 0.5 ARGS…` in a fresh temp dir (or `dir`). */
export async function runSpec(
  yaml: string,
  options: { dir?: string; args?: string[]; env?: Record<string, string | undefined>; tracking?: string } = {},
): Promise<SpecRun> {
  const dir = options.dir ?? tempDir('gator-regression-');
  const spec = writeSpec(dir, 'spec.yaml', yaml);
  const tracking = path.join(dir, options.tracking ?? 'run');
  const run = await gator(['run', spec, '--tracking', tracking, '--interval', '0.5', ...(options.args ?? [])], {
    cwd: dir,
    env: { ...gatorOnPath(dir), ...options.env },
  });
  return { ...run, dir, tracking };
}

/** The attributes of one layer (a directory under the run). */
export function attributesOf(layerDir: string): Record<string, string> {
  const reader = openLayerReader(layerDir);
  try {
    return reader.attributes();
  } finally {
    reader.close();
  }
}

/** Every message of one layer, as `SEVERITY text` (in order). */
export function messagesOf(layerDir: string, attempt?: number): string[] {
  const reader = openLayerReader(layerDir);
  const names: Record<number, string> = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR', 50: 'CRITICAL' };
  try {
    return reader.messages(attempt === undefined ? { limit: 100_000 } : { attempt, limit: 100_000 }).map((m) => `${names[m.severity] ?? m.severity} ${m.message}`);
  } finally {
    reader.close();
  }
}

/** The lines of the final summary (everything after the last blank line before "Run recorded in"). */
export function summaryOf(run: GatorRun): string {
  const at = run.stdout.lastIndexOf('\n\n');
  return at >= 0 ? run.stdout.slice(at + 2) : run.stdout;
}

/** Output for assertion messages. */
export function shown(run: GatorRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

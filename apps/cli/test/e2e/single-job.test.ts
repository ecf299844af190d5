/** Issue: one job, fully recorded, through the built CLI. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { REPO, descendants, gator, isAlive, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';

const job = (command: string, args: string[]) =>
  `!Job\nident: j\ncommand: ${command}\nargs: [${args.map((a) => JSON.stringify(a)).join(', ')}]\n`;

describe('gator run of a single !Job', () => {
  it('runs hello under ./tracking/<timestamp> and shows its messages', async () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(REPO, 'examples/hello.yaml'), path.join(dir, 'hello.yaml'));
    const run = await gator(['run', 'hello.yaml'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\[INFO {3}\]/);
    const runs = fs.readdirSync(path.join(dir, 'tracking'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    const root = path.join(dir, 'tracking', runs[0]!);
    for (const f of ['db.sqlite', 'spec.yaml', 'messages.log']) expect(fs.existsSync(path.join(root, f))).toBe(true);
    expect(fs.readdirSync(root).some((f) => /^raw_\d+\.log$/.test(f))).toBe(true);
  });

  it.each([
    ['exit 0 and a stderr line', 'bash', ['-c', 'echo oops >&2; exit 0'], [], 1, /ERROR/],
    ['exit 3', 'bash', ['-c', 'exit 3'], [], 1, /code 3/],
    ['a WARNING under its limit', 'bash', ['-c', 'gator log --severity WARNING careful'], ['--limit-warning', '1'], 0, undefined],
    ['an ERROR over --limit-error', 'bash', ['-c', 'gator log --severity ERROR e1; gator log --severity ERROR e2'], ['--limit-error', '1'], 1, /ERROR/],
  ] as const)('verdict: %s', async (_name, command, args, extra, code, reason) => {
    const dir = tempDir();
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    // `gator` on PATH for the job, as an installed CLI would be.
    fs.writeFileSync(path.join(bin, 'gator'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, 'apps/cli/dist/cli.js')}" "$@"\n`, { mode: 0o755 });
    const spec = writeSpec(dir, 'job.yaml', job(command, [...args]));
    const run = await gator(['run', spec, '--tracking', 'run', ...extra], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(run.code, run.stdout + run.stderr).toBe(code);
    const reader = openLayerReader(path.join(dir, 'run'));
    try {
      const attrs = reader.attributes();
      expect(Number(attrs.result)).toBe(code === 0 ? 1 : 2);
      if (reason) expect(attrs.reason ?? '').toMatch(reason);
    } finally {
      reader.close();
    }
  });

  it('SIGTERM during a run stops the job and leaves none of its processes', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'job.yaml', job('bash', ['-c', 'sleep 300 & sleep 300; wait']));
    const run = startGator(['run', spec, '--tracking', 'run'], { cwd: dir });
    let seen: number[] = [];
    await waitFor(() => {
      seen = descendants(run.child.pid!);
      return seen.length >= 3;
    }, 30_000, 'the job to start');
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.code).toBe(130);
    await waitFor(() => seen.every((p) => !isAlive(p)), 15_000, 'every process of the job to end');
  });
});

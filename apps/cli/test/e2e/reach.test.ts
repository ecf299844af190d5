/**
 * Issue 14.6: the hub and the job API reach every run. `--hub` registers a
 * lone !Job (the README's first example) and prints the run's page; `gator log`
 * / `gator metric` work in a job whose PATH has no gator; `pnpm gator` runs
 * where the user stands, with a clean stdout.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, gator, startHub, tempDir, writeSpec, type GatorRun } from '../helpers.js';
import { attributesOf, messagesOf } from '../regression/support.js';

const HELLO = fs.readFileSync(path.join(REPO, 'examples/hello.yaml'), 'utf8');

let hub: GatorRun | undefined;
afterEach(async () => {
  if (hub && hub.code === null && hub.signal === null) {
    hub.child.kill('SIGINT');
    await hub.done;
  }
  hub = undefined;
});

describe('--hub', () => {
  it('registers a single-!Job run and prints the URL where the hub shows it', async () => {
    const dir = tempDir();
    const started = await startHub(dir);
    hub = started.hub;
    const url = started.url;
    const spec = writeSpec(dir, 'hello.yaml', HELLO);

    const run = await gator(['run', spec, '--hub', url.replace(/^http:\/\//, '')], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const page = new RegExp(`Hub: (${url.replace(/[.]/g, '\\.')}/runs/(\\d+))`).exec(run.stderr);
    expect(page, run.stderr).not.toBeNull();

    const jobs = (await (await fetch(`${url}/api/jobs`)).json()) as { children: { uidx: number; ident: string; layer: string; result: number }[] };
    const registered = jobs.children.find((j) => j.uidx === Number(page![2]));
    expect(registered).toMatchObject({ ident: 'hello', layer: 'wrapper', result: 1 });
    // The printed address is a page of the hub.
    expect((await fetch(page![1]!)).status).toBe(200);
  });
});

describe('the job API inside jobs', () => {
  it('gator log and gator metric work from a shell whose PATH has no gator', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'spec.yaml', `!Job\nident: api\ncommand: sh\nargs: ['-c', 'gator log --severity WARNING hi && gator metric x 3']\n`);
    const bare = '/usr/bin:/bin';
    expect(() => execFileSync('sh', ['-c', 'command -v gator'], { env: { PATH: bare } })).toThrow();
    // The default tracking directory (a timestamp with ':') too: it cannot be a PATH entry.
    for (const tracking of [[], ['--tracking', 'run']]) {
      const run = await gator(['run', spec, ...tracking], { cwd: dir, env: { PATH: bare } });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    const layer = path.join(dir, 'run');
    expect(messagesOf(layer)).toContain('WARNING hi');
    expect(attributesOf(layer).result).toBe('1');
    const shown = JSON.parse((await gator(['show', 'run', '--json'], { cwd: dir })).stdout) as { root: { metrics: Record<string, number> } };
    expect(shown.root.metrics.x).toBe(3);
  });
});

describe('pnpm gator', () => {
  it('runs in the directory the user stands in, and keeps stdout clean', () => {
    // A directory inside the checkout (pnpm finds the workspace from there), ignored by git.
    const here = fs.mkdtempSync(path.join(REPO, 'apps/cli/test-results/pnpm-gator-'));
    try {
      fs.writeFileSync(path.join(here, 'hello.yaml'), HELLO);
      const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
      delete env.GATOR_TOKEN;
      execFileSync('pnpm', ['gator', 'run', 'hello.yaml'], { cwd: here, env, encoding: 'utf8' });
      expect(fs.readdirSync(path.join(here, 'tracking'))).toHaveLength(1);
      const json = execFileSync('pnpm', ['gator', 'show', '--json'], { cwd: here, env, encoding: 'utf8' });
      expect((JSON.parse(json) as { root: { ident: string } }).root.ident).toBe('hello');
    } finally {
      fs.rmSync(here, { recursive: true, force: true });
    }
  });
});

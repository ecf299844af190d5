/**
 * The ways people install Gator: the packed CLI installed with npm into an
 * empty folder runs a spec; @gator/protocol alone builds and validates a spec
 * in code. Uses `pnpm pack` (which rewrites workspace: and catalog: ranges),
 * then npm from the registry for third-party dependencies.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../helpers.js';

const PACKAGES = [
  'packages/protocol',
  'packages/db',
  'packages/wrapper',
  'packages/tier',
  'packages/scheduler-local',
  'packages/scheduler-slurm',
  'packages/scheduler-sge',
  'apps/hub',
  'apps/cli',
];

let tarballs: Record<string, string> = {};
let packDir = '';

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
}

describe('installing the published packages', () => {
  beforeAll(() => {
    // Not a per-test temp dir: the tarballs serve every test of the file.
    const out = (packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-pack-')));
    tarballs = {};
    for (const dir of PACKAGES) {
      const name = JSON.parse(fs.readFileSync(path.join(REPO, dir, 'package.json'), 'utf8')).name as string;
      const before = new Set(fs.readdirSync(out));
      execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: path.join(REPO, dir), stdio: 'ignore' });
      const made = fs.readdirSync(out).find((f) => !before.has(f) && f.endsWith('.tgz'));
      if (!made) throw new Error(`pnpm pack made no tarball for ${name}`);
      tarballs[name] = path.join(out, made);
    }
  }, 300_000);

  afterAll(() => {
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it('the packed CLI, installed with npm into an empty folder, runs a spec', () => {
    const dir = tempDir('gator-install-');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    npm(['install', ...Object.values(tarballs)], dir);
    // The children's startup snapshot is made for this Node at install, not shipped (src/child-snapshot.ts).
    const packed = execFileSync('tar', ['tzf', tarballs['@gator/cli']!], { encoding: 'utf8' });
    expect(packed).toMatch(/dist\/child-layer\.cjs/);
    expect(packed).not.toMatch(/child-layer\.blob/);
    const installedSeal = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/@gator/cli/dist/child-layer.blob.json'), 'utf8'));
    expect(installedSeal).toMatchObject({ node: process.version, execPath: process.execPath });
    fs.writeFileSync(
      path.join(dir, 'spec.yaml'),
      '!JobGroup\nident: installed\njobs:\n  - !Job {ident: hello, command: echo, args: [hello]}\n  - !Job {ident: after, on_pass: [hello], command: "true"}\n',
    );
    const bin = path.join(dir, 'node_modules/.bin/gator');
    const output = execFileSync(bin, ['run', 'spec.yaml', '--tracking', 'run'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(output).toMatch(/2 passed/);
    expect(fs.existsSync(path.join(dir, 'run/hello/db.sqlite'))).toBe(true);
  }, 900_000);

  it('@gator/protocol alone builds and validates a spec in code', () => {
    const dir = tempDir('gator-protocol-only-');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'spec-builder', private: true, type: 'module' }));
    npm(['install', tarballs['@gator/protocol']!], dir);
    const installed = fs.readdirSync(path.join(dir, 'node_modules/@gator'));
    expect(installed).toEqual(['protocol']);
    fs.writeFileSync(
      path.join(dir, 'build.mjs'),
      `import { group, job, array, dumpSpec, loadSpec, validateSpec, expectedJobs, SpecError } from '@gator/protocol';
const spec = group({ ident: 'nightly', jobs: [job({ ident: 'build', command: 'make' }), array({ ident: 'tests', repeats: 4, on_pass: ['build'], jobs: [job({ ident: 't', command: 'true' })] })] });
validateSpec(spec);
const again = loadSpec(dumpSpec(spec), 'dumped.yaml');
let rejected = false;
try { validateSpec(group({ jobs: [job({ ident: 'a', command: 'x', on_pass: ['ghost'] })] })); } catch (e) { rejected = e instanceof SpecError; }
console.log(JSON.stringify({ jobs: expectedJobs(again), rejected }));
`,
    );
    const out = execFileSync(process.execPath, ['build.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ jobs: 5, rejected: true });
  }, 600_000);
});

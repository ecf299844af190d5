/** Third-party schedulers through the CLI: by package name, by module path, and the errors. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, gator, tempDir, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';

const EXAMPLE = path.join(REPO, 'examples/schedulers/gator-scheduler-example');
const SPEC = `!JobGroup
ident: fifo
jobs:
  - !Job {ident: one, command: bash, args: [-c, 'echo one']}
  - !Job {ident: two, on_pass: [one], command: "true"}
  - !JobArray {ident: many, repeats: 2, jobs: [!Job {ident: m, command: "true"}]}
`;

describe('--scheduler NAME resolution', () => {
  it('runs a spec through an installed gator-scheduler-NAME package', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(EXAMPLE, path.join(dir, 'node_modules/gator-scheduler-example'));
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = await gator(['run', spec, '--tracking', 'run', '--scheduler', 'example', '--sched-arg', 'slots=1'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const results = collectResults(path.join(dir, 'run'));
    for (const p of ['one', 'two', 'many.m_0', 'many.m_1']) expect(results.get(p)?.result, p).toBe(1);
  });

  it('runs a spec through a scheduler given as a module path', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = await gator(['run', spec, '--tracking', 'run', '--scheduler', path.join(EXAMPLE, 'dist/index.js')], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it('names a missing scheduler, and a module whose default export is not a scheduler', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const missing = await gator(['run', spec, '--tracking', 'run', '--scheduler', 'nope'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/gator-scheduler-nope/);
    const bogus = path.join(dir, 'bogus.mjs');
    fs.writeFileSync(bogus, 'export default 42;\n');
    const invalid = await gator(['run', spec, '--tracking', 'run2', '--scheduler', bogus], { cwd: dir });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('bogus.mjs');
    expect(invalid.stderr).toMatch(/not.*scheduler|no default export/i);
    const notScheduler = path.join(dir, 'half.mjs');
    fs.writeFileSync(notScheduler, 'export default () => ({ name: "half" });\n');
    const half = await gator(['run', spec, '--tracking', 'run3', '--scheduler', notScheduler], { cwd: dir });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/not a scheduler/);
  });
});

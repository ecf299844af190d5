import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, gator, tempDir, writeSpec } from '../helpers.js';

describe('gator validate / usage', () => {
  it('accepts every example', async () => {
    const examples = fs.readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const run = await gator(['validate', ...examples], { cwd: REPO });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('prints three independent mistakes on three lines with their lines, exit 2', async () => {
    const dir = tempDir();
    const file = writeSpec(
      dir,
      'bad.yaml',
      ['!JobGroup', 'ident: top', 'jobs:', '  - !Job', '    ident: a', '    command: 42', '  - !Job', '    ident: b', '    command: echo', '    on_pass: [nope]', '  - !Job', '    ident: c', '    command: echo', '    colour: red', ''].join('\n'),
    );
    const run = await gator(['validate', file], { cwd: dir });
    expect(run.code).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => /bad\.yaml:\d+:\d+/.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/bad\.yaml:6:\d+ +jobs\[0\]\.command/);
    expect(lines[1]).toMatch(/bad\.yaml:10:\d+ +jobs\[1\]\.on_pass/);
    expect(lines[2]).toMatch(/bad\.yaml:14:\d+ +jobs\[2\]/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each([
    ['syntax error', '!Job\ncommand: [unclosed\n', /spec\.yaml:\d+:\d+ +YAML syntax error/],
    ['unknown tag', '!JobGroup\njobs:\n  - !Task\n    command: echo\n', /:3:\d+.*!Task/],
    ['cycle', '!JobGroup\njobs:\n  - !Job {ident: a, command: echo, on_pass: [b]}\n  - !Job {ident: b, command: echo, on_pass: [a]}\n', /cycle/i],
    ['dangling dependency', '!JobGroup\njobs:\n  - !Job {ident: a, command: echo, on_done: [ghost]}\n', /:3:\d+.*ghost/],
  ])('%s → one located line, exit 2', async (_name, text, pattern) => {
    const dir = tempDir();
    const file = writeSpec(dir, 'spec.yaml', text);
    const run = await gator(['validate', file], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad usage prints usage help and exits 2', async () => {
    const dir = tempDir();
    const unknown = await gator(['run', 'x.yaml', '--no-such-flag'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option/);
    const none = await gator([], { cwd: dir });
    expect(none.code).toBe(2);
    const missing = await gator(['run', 'missing.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.yaml/);
  });

  it('--help and --version', async () => {
    const help = await gator(['--help'], { cwd: REPO });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/validate/);
    expect(help.stdout).toMatch(/run/);
    const version = await gator(['--version'], { cwd: REPO });
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
  });
});

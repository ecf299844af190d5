import { describe, expect, it } from 'vitest';
import { childArgv, type ChildPlace, type LayerSettingsInput } from './settings.js';

// The child command line as a tier builds it: its settings and the child's place.
function buildChildCommand({ childCommand, parent, id, tracking, ...settings }: LayerSettingsInput & ChildPlace & { childCommand: string[] }) {
  return childArgv(childCommand, settings, { parent, id, tracking });
}

const base = {
  childCommand: ['/usr/bin/node', '/opt/gator/cli.js'],
  parent: '127.0.0.1:40100',
  interval: 5,
  scheduler: 'local',
  allMsg: false,
  id: 'seed_3',
  tracking: '/run/tracking/tests/seed/3',
};

describe('childArgv', () => {
  it("is Python's child command line, token for token", () => {
    expect(buildChildCommand({ ...base, schedArgs: { concurrency: '1' } })).toEqual([
      '/usr/bin/node', '/opt/gator/cli.js',
      '--limit-error=0', '--limit-critical=0',
      '--parent', '127.0.0.1:40100', '--interval', '5', '--scheduler', 'local', '--quiet',
      '--id', 'seed_3', '--tracking', '/run/tracking/tests/seed/3',
      '--sched-arg', 'concurrency=1',
    ]);
  });

  it('adds --limit-warning only when set, --all-msg when forwarding, every sched arg', () => {
    const argv = buildChildCommand({ ...base, allMsg: true, interval: 0.5, limits: { warning: 10, error: 2, critical: 1 }, schedArgs: { a: '1', b: 'x y' } });
    expect(argv.slice(2, 5)).toEqual(['--limit-warning=10', '--limit-error=2', '--limit-critical=1']);
    expect(argv).toContain('--all-msg');
    expect(argv).not.toContain('--quiet');
    expect(argv[argv.indexOf('--interval') + 1]).toBe('0.5');
    expect(argv.slice(-4)).toEqual(['--sched-arg', 'a=1', '--sched-arg', 'b=x y']);
    expect(buildChildCommand({ ...base, limits: { warning: null } })).not.toContainEqual(expect.stringMatching(/warning/));
  });

  it('rejects what cannot make a working command', () => {
    expect(() => buildChildCommand({ ...base, childCommand: [] })).toThrow(/childCommand/);
    expect(() => buildChildCommand({ ...base, id: '' })).toThrow(/id/);
    expect(() => buildChildCommand({ ...base, interval: 0 })).toThrow(/interval/);
    expect(() => buildChildCommand({ ...base, limits: { error: -1 } })).toThrow(/--limit-error/);
    expect(() => buildChildCommand({ ...base, schedArgs: { 'a=b': 'c' } })).toThrow(/'='/);
  });
});

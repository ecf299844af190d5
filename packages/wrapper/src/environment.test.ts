import { describe, expect, it } from 'vitest';
import { jobEnvironment } from './environment.js';

describe('jobEnvironment', () => {
  it('overlays the spec env on the inherited one, drops internals, adds Gator variables', () => {
    const env = jobEnvironment({
      inherited: { PATH: '/bin', HOME: '/h', GATOR_TOKEN: 'secret', GATOR_LOCAL_POOL: 'x', GATOR_INTERNAL_FOO: '1', GATOR_PARENT: 'old', KEEP: 'k' },
      specEnv: { KEEP: 'spec', N: 3, PYTHONUNBUFFERED: '0' },
      parentAddress: '127.0.0.1:1/t',
      jobPath: 'top.job',
      tracking: '/tr',
    });
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/h',
      KEEP: 'spec',
      N: '3',
      GATOR_PARENT: '127.0.0.1:1/t',
      GATOR_PARENT_HOST: '127.0.0.1',
      GATOR_PARENT_PORT: '1',
      GATOR_PARENT_TOKEN: 't',
      PYTHONUNBUFFERED: '1',
      GATOR_JOB_PATH: 'top.job',
      GATOR_TRACKING: '/tr',
    });
  });

  it("gives the parent's host and port apart (as Python Gator's GATOR_PARENT was) and the token in its own variable", () => {
    const base = { specEnv: {}, jobPath: 'j', tracking: '/tr' };
    const v4 = jobEnvironment({ ...base, inherited: {}, parentAddress: '10.1.2.3:40123/abc_DEF-1' });
    expect([v4.GATOR_PARENT_HOST, v4.GATOR_PARENT_PORT, v4.GATOR_PARENT_TOKEN]).toEqual(['10.1.2.3', '40123', 'abc_DEF-1']);
    expect(`${v4.GATOR_PARENT_HOST}:${v4.GATOR_PARENT_PORT}/${v4.GATOR_PARENT_TOKEN}`).toBe(v4.GATOR_PARENT);
    const v6 = jobEnvironment({ ...base, inherited: {}, parentAddress: '[::1]:5/t' });
    expect([v6.GATOR_PARENT_HOST, v6.GATOR_PARENT_PORT]).toEqual(['::1', '5']);
    // A wrapper without a token (no run secret) and a wrapper without a server.
    const open = jobEnvironment({ ...base, inherited: { GATOR_PARENT_TOKEN: 'stale' }, parentAddress: 'h:7' });
    expect(open).toMatchObject({ GATOR_PARENT: 'h:7', GATOR_PARENT_HOST: 'h', GATOR_PARENT_PORT: '7' });
    expect(open.GATOR_PARENT_TOKEN).toBeUndefined();
    const none = jobEnvironment({ ...base, inherited: { GATOR_PARENT_HOST: 'stale' }, parentAddress: '' });
    expect(none.GATOR_PARENT_HOST).toBeUndefined();
  });
});

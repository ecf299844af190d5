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
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', KEEP: 'spec', N: '3', GATOR_PARENT: '127.0.0.1:1/t', PYTHONUNBUFFERED: '1', GATOR_JOB_PATH: 'top.job', GATOR_TRACKING: '/tr' });
  });
});

import { describe, expect, it } from 'vitest';
import { CARRIED_ENV, STARTED_WITH_ENV, STARTED_WITH_MARKER, carryEnv, restoreCarriedEnv } from './carried-env.js';

/** What carryEnv adds to an environment that sets none of STARTED_WITH_ENV. */
const ADDED = { ...STARTED_WITH_ENV, [STARTED_WITH_MARKER]: Object.keys(STARTED_WITH_ENV).join(',') };

describe('the environment a layer process is started without, or with', () => {
  it('moves each variable to its carrier and back, leaving the rest alone', () => {
    const user = { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ssl/bundle.pem', EMPTY: '' };
    const started = carryEnv({ ...user });
    expect(started).toEqual({ PATH: '/bin', EMPTY: '', [CARRIED_ENV.NODE_EXTRA_CA_CERTS]: '/etc/ssl/bundle.pem', ...ADDED });
    expect(restoreCarriedEnv(started)).toEqual(user);
  });

  it('an empty value travels too; an unset one stays unset', () => {
    expect(restoreCarriedEnv(carryEnv({ NODE_EXTRA_CA_CERTS: '' }))).toEqual({ NODE_EXTRA_CA_CERTS: '' });
    expect(carryEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', ...ADDED });
    expect(restoreCarriedEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });

  it("a variable the user set keeps the user's value, and stays after the restore", () => {
    const user = { MALLOC_MMAP_THRESHOLD_: '65536' };
    const started = carryEnv({ ...user });
    expect(started).toEqual(user);
    expect(restoreCarriedEnv(started)).toEqual(user);
  });

  it('carrying twice (a carried tier starting its own children) changes nothing more', () => {
    const once = carryEnv({ NODE_EXTRA_CA_CERTS: '/x.pem' });
    expect(carryEnv({ ...once })).toEqual(once);
    expect(restoreCarriedEnv({ ...once })).toEqual({ NODE_EXTRA_CA_CERTS: '/x.pem' });
  });
});

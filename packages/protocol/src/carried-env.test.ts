import { describe, expect, it } from 'vitest';
import { CARRIED_ENV, carryEnv, restoreCarriedEnv } from './carried-env.js';

describe('the environment a layer process is started without', () => {
  it('moves each variable to its carrier and back, leaving the rest alone', () => {
    const user = { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ssl/bundle.pem', EMPTY: '' };
    const started = carryEnv({ ...user });
    expect(started).toEqual({ PATH: '/bin', EMPTY: '', [CARRIED_ENV.NODE_EXTRA_CA_CERTS]: '/etc/ssl/bundle.pem' });
    expect(restoreCarriedEnv(started)).toEqual(user);
  });

  it('an empty value travels too; an unset one stays unset', () => {
    expect(restoreCarriedEnv(carryEnv({ NODE_EXTRA_CA_CERTS: '' }))).toEqual({ NODE_EXTRA_CA_CERTS: '' });
    expect(carryEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin' });
    expect(restoreCarriedEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });

  it('carrying twice (a carried tier starting its own children) changes nothing more', () => {
    const once = carryEnv({ NODE_EXTRA_CA_CERTS: '/x.pem' });
    expect(carryEnv({ ...once })).toEqual(once);
  });
});

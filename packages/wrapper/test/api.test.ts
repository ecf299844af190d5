import { describe, expect, it } from 'vitest';

describe('public API', () => {
  it('exports exactly these names', async () => {
    expect(Object.keys(await import('../src/index.js')).sort()).toEqual(['DEFAULT_MAX_LINE_BYTES', 'createWrapper', 'failureSignature', 'runWrapper']);
  });
  it('the job client exports exactly these names', async () => {
    expect(Object.keys(await import('../src/client/index.js')).sort()).toEqual(['JobClientError', 'connectJobClient']);
  });
});

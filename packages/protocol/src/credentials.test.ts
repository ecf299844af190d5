import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RefusalCounter, childCredential, readOnlyHandlers, takeCredentialFile, writeCredentialFile } from './credentials.js';

describe('credentials', () => {
  it("a child's credential is its tier's alone, and differs per ident", () => {
    const secret = randomBytes(32);
    expect(childCredential(secret, 'a')).toBe(childCredential(secret, 'a'));
    expect(childCredential(secret, 'a')).not.toBe(childCredential(secret, 'b'));
    expect(childCredential(randomBytes(32), 'a')).not.toBe(childCredential(secret, 'a'));
  });

  it('the credential file is owner-only and gone once taken', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-cred-'));
    try {
      expect(takeCredentialFile(dir)).toBeUndefined();
      writeCredentialFile(dir, { credential: 'c'.repeat(20), read: 'r'.repeat(20) });
      expect(fs.statSync(path.join(dir, 'credential.json')).mode & 0o777).toBe(0o600);
      expect(takeCredentialFile(dir)).toEqual({ credential: 'c'.repeat(20), read: 'r'.repeat(20) });
      expect(fs.existsSync(path.join(dir, 'credential.json'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refusals: the first told, the rest counted in one line, nothing after close', () => {
    const told: string[] = [];
    const counter = new RefusalCounter((m) => told.push(m), 60_000);
    for (let i = 0; i < 1000; i++) counter.refused('127.0.0.1:1', 'wrong credential');
    expect(told).toEqual(['Refused a connection from 127.0.0.1:1: wrong credential']);
    counter.close();
    counter.refused('127.0.0.1:1', 'wrong credential');
    counter.flush();
    expect(told).toEqual(['Refused a connection from 127.0.0.1:1: wrong credential', 'Refused 999 more connections without a valid credential (1000 in all)']);
    expect(counter.total).toBe(1001);
  });

  it('read-only handlers refuse what changes a run', async () => {
    const handlers = readOnlyHandlers({ log: () => ({}), get_messages: () => ({ messages: [], total: 0, status: 2 }) });
    expect(() => handlers.log!({ message: 'x' } as never, {} as never)).toThrow(/read token/);
    expect(await handlers.get_messages!({} as never, {} as never)).toMatchObject({ total: 0 });
  });
});

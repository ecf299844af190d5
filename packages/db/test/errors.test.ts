import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isGatorError } from '@gator/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { DatabaseError, openLayerReader, openLayerStore, walkRun } from '../src/index.js';
import { tempDir } from './helpers.js';

/** Throws, returning the error (so its fields can be checked). */
function thrown(fn: () => unknown): DatabaseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatabaseError);
    expect(isGatorError(err)).toBe(true);
    return err as DatabaseError;
  }
  throw new Error('expected a DatabaseError');
}

const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync('umount', [dir]);
});

/** A tiny tmpfs (a full disk on demand); undefined when this machine cannot mount one. */
function smallDisk(size: string): string | undefined {
  const dir = tempDir('gator-db-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return undefined;
  }
  mounts.push(dir);
  return dir;
}
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const dir = smallDisk('16k');
  if (!dir) return false;
  execFileSync('umount', [dir]);
  mounts.pop();
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
})();

describe('openLayerStore errors', () => {
  test('a tracking path under a regular file (ENOTDIR) → DatabaseError naming it', () => {
    const file = path.join(tempDir(), 'plain-file');
    fs.writeFileSync(file, 'x');
    const err = thrown(() => openLayerStore({ dir: path.join(file, 'layer'), kind: 'wrapper' }));
    expect(err.code).toBe('GATOR_DB_WRITE');
    expect(err.reason).toBe('ENOTDIR');
    expect(err.message).toContain(path.join(file, 'layer'));
    expect(err.message).toMatch(/Hint: .*--tracking/);
    expect(err.hint).toBeTruthy();
  });

  test('a tracking path that is a file → ENOTDIR', () => {
    const file = path.join(tempDir(), 'plain-file');
    fs.writeFileSync(file, 'x');
    expect(thrown(() => openLayerStore({ dir: file, kind: 'tier' })).reason).toBe('ENOTDIR');
  });

  test('db.sqlite that is not a database → SQLITE_NOTADB', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'db.sqlite'), 'this is not a database, just some text that is long enough '.repeat(20));
    const err = thrown(() => openLayerStore({ dir, kind: 'wrapper' }));
    expect(err.code).toBe('GATOR_DB_WRITE');
    expect(err.reason).toBe('SQLITE_NOTADB');
    expect(err.message).toContain(path.join(dir, 'db.sqlite'));
    expect(err.message).toMatch(/not a usable SQLite database/);
  });

  test('db.sqlite that is a directory → DatabaseError', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'db.sqlite'));
    expect(thrown(() => openLayerStore({ dir, kind: 'wrapper' })).reason).toBe('EISDIR');
  });

  test.skipIf(!fs.existsSync('/dev/full'))('messages.log that cannot be written (ENOSPC) → DatabaseError at open', () => {
    const dir = tempDir();
    fs.symlinkSync('/dev/full', path.join(dir, 'messages.log'));
    const err = thrown(() => openLayerStore({ dir, kind: 'wrapper' }));
    expect(err.reason).toBe('ENOSPC');
    expect(err.message).toContain(path.join(dir, 'messages.log'));
  });

  test('a bad kind → DatabaseError', () => {
    expect(thrown(() => openLayerStore({ dir: tempDir(), kind: 'job' as never })).message).toMatch(/kind must be/);
  });

  test.skipIf(!canMount)('a disk too small for the database → DatabaseError at open', () => {
    const disk = smallDisk('4k')!;
    const err = thrown(() => openLayerStore({ dir: path.join(disk, 'layer'), kind: 'wrapper' }));
    expect(err.code).toBe('GATOR_DB_WRITE');
    expect(['SQLITE_FULL', 'ENOSPC', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE', 'SQLITE_IOERR']).toContain(err.reason);
  });
});

describe('failures during the run', () => {
  test.skipIf(!canMount)('disk full (SQLITE_FULL): failure set, error emitted once, counting goes on, nothing thrown', async () => {
    const disk = smallDisk('256k')!;
    const dir = path.join(disk, 'layer');
    const store = openLayerStore({ dir, kind: 'wrapper', batchSize: 50 });
    const events: DatabaseError[] = [];
    store.on('error', (e) => events.push(e));
    let added = 0;
    for (; added < 5000 && !store.failure; added++) store.addMessage({ severity: 40, message: 'x'.repeat(1000) });
    expect(store.failure).toBeInstanceOf(DatabaseError);
    expect(store.failure?.code).toBe('GATOR_DB_WRITE');
    expect(['SQLITE_FULL', 'ENOSPC']).toContain(store.failure?.reason);
    expect(store.failure?.message).toMatch(/full/);
    // Later writes neither throw nor get lost silently.
    for (let i = 0; i < 10; i++) store.addMessage({ severity: 20, message: 'more' });
    store.setMetric('_OWN_', 'msg_error', 1);
    store.setAttribute('result', 2);
    expect(store.counts()).toEqual({ debug: 0, info: 10, warning: 0, error: added, critical: 0 });
    await expect(store.durable()).rejects.toBe(store.failure);
    store.close();
    expect(events).toHaveLength(1);
    const reader = openLayerReader(dir);
    const stored = reader.countMessages();
    reader.close();
    // Every row is either stored or accounted for.
    expect(stored + store.unstored).toBe(added + 10 + 2);
  });

  test.skipIf(!fs.existsSync('/dev/full'))('a raw log that fails (ENOSPC) is reported, not thrown', () => {
    const dir = tempDir();
    const store = openLayerStore({ dir, kind: 'wrapper' });
    fs.symlinkSync('/dev/full', path.join(dir, 'raw_77.log'));
    const raw = store.openRawLog(77);
    raw.write('output\n');
    store.flush();
    expect(store.failure?.reason).toBe('ENOSPC');
    expect(store.failure?.message).toContain('raw_77.log');
    raw.write('more');
    raw.close();
    store.close();
  });
});

describe('reader errors', () => {
  test('a missing directory → GATOR_DB_READ with the path', () => {
    const missing = path.join(tempDir(), 'nope');
    const err = thrown(() => openLayerReader(missing));
    expect(err.code).toBe('GATOR_DB_READ');
    expect(err.reason).toBe('ENOENT');
    expect(err.message).toContain(missing);
  });

  test('a directory without db.sqlite → GATOR_DB_READ naming db.sqlite', () => {
    const dir = tempDir();
    const err = thrown(() => openLayerReader(dir));
    expect(err.code).toBe('GATOR_DB_READ');
    expect(err.message).toContain(path.join(dir, 'db.sqlite'));
  });

  test('a file that is not a database → GATOR_DB_READ', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'db.sqlite'), 'garbage '.repeat(200));
    const err = thrown(() => openLayerReader(dir));
    expect(err.code).toBe('GATOR_DB_READ');
    expect(err.reason).toBe('SQLITE_NOTADB');
  });

  test('a closed reader → GATOR_DB_READ', () => {
    const dir = tempDir();
    openLayerStore({ dir, kind: 'wrapper' }).close();
    const reader = openLayerReader(dir);
    reader.close();
    expect(thrown(() => reader.messages()).code).toBe('GATOR_DB_READ');
  });

  test('walkRun on a directory without a database → GATOR_DB_READ', () => {
    expect(thrown(() => walkRun(tempDir())).code).toBe('GATOR_DB_READ');
  });
});

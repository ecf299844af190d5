import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, Severity } from '@gator/protocol';
import { openLayerReader } from '@gator/db';
import type { WrapperEvent } from './events.js';
import { JobStore } from './job-store.js';
import { FAILURE_ERROR_LINES, MessageLog } from './message-log.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function setUp(limits = DEFAULT_LIMITS) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-message-log-'));
  dirs.push(dir);
  const failures: unknown[] = [];
  const events: WrapperEvent[] = [];
  let crossings = 0;
  const db = new JobStore(dir, (error) => failures.push(error));
  const log = new MessageLog({ db, limits, onEvent: (e) => events.push(e), onLimitCrossed: () => crossings++ });
  return { dir, db, log, events, failures, crossings: () => crossings };
}

describe('MessageLog', () => {
  it('counts per attempt and in total, keeps first lines and the first error lines', () => {
    const { log } = setUp();
    log.record(Severity.INFO, 'hello', 1, 'stdout', true);
    for (let i = 0; i < FAILURE_ERROR_LINES + 2; i++) log.record(Severity.ERROR, `e${i}`, 1, 'stderr', true);
    log.record(Severity.CRITICAL, 'c', 1, 'api', true);
    const first = log.tally;
    expect(first.counts.metrics()).toEqual({ msg_critical: 1, msg_error: 7, msg_warning: 0, msg_info: 3, msg_debug: 0 });
    expect(first.first).toMatchObject({ info: 'hello', error: 'e0', critical: 'c' });
    expect(first.errors).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    const second = log.beginAttempt();
    log.record(Severity.WARNING, 'w', 2, 'stdout', true);
    expect(second.counts.warning).toBe(1);
    expect(second.counts.error).toBe(0);
    expect(log.totals.metrics()).toEqual({ msg_critical: 1, msg_error: 7, msg_warning: 1, msg_info: 3, msg_debug: 0 });
  });

  it('announces a crossed limit once per attempt, and none once judged', () => {
    const { log, crossings } = setUp();
    log.record(Severity.ERROR, 'one', 1, 'stderr', true);
    log.record(Severity.ERROR, 'two', 1, 'stderr', true);
    expect(crossings()).toBe(1);
    expect(log.tally.counts.info).toBe(1);
    log.beginAttempt();
    log.record(Severity.ERROR, 'again', 1, 'stderr', true);
    expect(crossings()).toBe(2);
    log.beginAttempt();
    log.endJudging();
    log.log(Severity.ERROR, 'Could not report: x');
    expect(crossings()).toBe(2);
    expect(log.tally.errors).toEqual([]);
  });

  it('holds messages until the store is open, then stores them first, in order', () => {
    const { dir, db, log, events } = setUp();
    log.log(Severity.WARNING, 'Stopping leaf job');
    db.open();
    log.storeEarly();
    log.record(Severity.INFO, 'later', 5, 'stdout', true);
    db.close();
    const reader = openLayerReader(dir);
    expect(reader.messages({ limit: 10 }).map((m) => m.message)).toEqual(['Stopping leaf job', 'later']);
    reader.close();
    expect(events.map((e) => (e.type === 'message' ? e.source : e.type))).toEqual(['wrapper', 'stdout']);
  });
});

/** The final report of an `Uplink` (../src/uplink.ts): each part's failure told as it happens, the final `update` on the update timeout. */
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, GatorServer, JobResult, type ReportFailure, Uplink, connect, emptySummary, severityBucket, severityName } from '../src/index.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** A parent whose `update` never answers, recording the order of what it is sent. */
async function silentParent(seen: string[]): Promise<Connection> {
  const server = await GatorServer.listen({
    keepAliveMs: 0,
    handlers: {
      update: () => {
        seen.push('update');
        return new Promise(() => undefined);
      },
      complete: () => {
        seen.push('complete');
        return {};
      },
    },
  });
  open.push(server);
  const connection = await connect(server.address, { keepAliveMs: 0 });
  open.push({ close: () => connection.close() });
  return connection;
}

describe('Uplink.complete', () => {
  it('waits for the final update only as long as for a heartbeat, and tells its failure before sending complete', async () => {
    const seen: string[] = [];
    const connection = await silentParent(seen);
    const uplink = new Uplink<'wrapperUplink'>({
      connection,
      ident: 'job',
      handlers: { stop: () => ({}), get_messages: () => ({ messages: [], total: 0, status: 0 }), resolve: () => Promise.reject(new Error('none')) },
      report: () => ({ summary: emptySummary(), result: JobResult.UNKNOWN }),
      updateTimeoutMs: 200,
      onReportFailed: (failure) => seen.push(`failed ${failure.stage}`),
    });
    const failures: ReportFailure[] = await uplink.complete({ summary: emptySummary(), result: JobResult.SUCCESS, code: 0 });
    expect(failures.map((f) => f.stage)).toEqual(['update']);
    expect(failures[0].error.message).toMatch(/within 200 ms/);
    expect(seen).toEqual(['update', 'failed update', 'complete']);
  });
});

describe('severityBucket', () => {
  it('is the lower-cased severity name of every level', () => {
    for (let level = -5; level <= 70; level++) expect(severityBucket(level)).toBe(severityName(level).toLowerCase());
  });
});

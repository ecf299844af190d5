import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiJobSchema, JobResult, JobState, connect, emptySummary, group, job, type Connection } from '@gator/protocol';
import { fakeParent, readFixture, removeTempDirs, startRoot, waitFor } from './helpers/harness.js';

afterEach(removeTempDirs);

const isStarted = (events: { type: string; state?: string; id?: string }[], id: string) =>
  events.some((e) => e.type === 'child' && e.id === id && e.state === 'started');
const isDone = (events: { type: string; state?: string; id?: string }[], id: string) =>
  events.some((e) => e.type === 'child' && e.id === id && (e.state === 'passed' || e.state === 'failed'));

describe('what a tier serves', () => {
  it('children, resolve, get_messages, get_tree, update_scheduler_opts, and its error replies', async () => {
    const spec = group({
      ident: 'srv',
      jobs: [
        job({ ident: 'run', command: 'sleep', args: ['60'] }),
        job({ ident: 'done', command: 'pass' }),
        group({ ident: 'sub', jobs: [job({ ident: 'leaf', command: 'pass' })] }),
        job({ ident: 'wait', command: 'pass', on_done: ['run'] }),
        group({ ident: 'live', jobs: [job({ ident: 'deep', command: 'sleep', args: ['60'] })] }),
      ],
    });
    const token = 'serve-token';
    const parent = await fakeParent(token, { path: ['top'], uidx: 3 });
    // allowTokenless: a connection without a credential may act as any child (Python's errors below).
    const run = await startRoot(spec, { parent: parent.connection, token, ident: 'srv', allowTokenless: true });
    try {
      await waitFor(() => isStarted(run.events, 'run') && isDone(run.events, 'done') && isDone(run.events, 'sub') && isStarted(run.events, 'live'));
      const observer = await connect(run.tier.address!, { token });
      try {
        // children: pending first, then launched/started, then completed; Python's ApiJob shape.
        const { children, status } = await observer.request('children', {});
        expect(status).toBe(JobState.STARTED);
        expect(children.map((c) => [c.ident, c.status])).toEqual([
          ['wait', JobState.PENDING],
          ['run', JobState.STARTED],
          ['live', JobState.STARTED],
          ['done', JobState.COMPLETE],
          ['sub', JobState.COMPLETE],
        ]);
        for (const c of children) expect(ApiJobSchema.safeParse(c).success).toBe(true);
        const done = children.find((c) => c.ident === 'done')!;
        expect(done).toMatchObject({
          uidx: 2,
          root: 0,
          path: ['top', 'srv'],
          result: JobResult.SUCCESS,
          server_url: '127.0.0.1:9',
          db_file: path.join(run.tracking, 'done', 'db.sqlite'),
          owner: null,
          children: [],
          expected_children: 0,
        });
        expect(children.find((c) => c.ident === 'sub')!.expected_children).toBe(1);
        expect(done.metrics.sub_passed).toBe(1);

        // resolve: self at depth 0 and 1.
        const self = await observer.request('resolve', { root_path: [] });
        expect(self).toMatchObject({ ident: 'srv', path: ['top'], uidx: 3, status: JobState.STARTED, children: [], expected_children: 5 });
        expect(self.server_url).toBe(run.tier.address);
        expect(self.db_file).toBe(path.join(run.tracking, 'db.sqlite'));
        const shallow = await observer.request('resolve', { root_path: [], depth: 1 });
        expect(shallow.children.map((c) => c.ident)).toEqual(['run', 'done', 'sub', 'wait', 'live']);
        // Two hops down through live tiers.
        const deepJob = await waitForResolve(observer, ['live', 'deep']);
        expect(deepJob).toMatchObject({ ident: 'deep', status: JobState.STARTED });

        // resolve through a started child (tunnelled over its connection).
        const viaChild = await observer.request('resolve', { root_path: ['run'] });
        expect(viaChild).toMatchObject({ ident: 'run', status: JobState.STARTED });
        // resolve into a completed nested tier: read from its db.sqlite.
        const sub = await observer.request('resolve', { root_path: ['sub'], depth: 1 });
        expect(sub).toMatchObject({ ident: 'sub', path: ['top', 'srv'], status: JobState.COMPLETE, server_url: '', result: JobResult.SUCCESS });
        expect(sub.children.map((c) => [c.ident, c.path])).toEqual([['leaf', ['top', 'srv', 'sub']]]);
        // depth >= 2 without nest_path works (Python raises), and decreases at each level.
        const deep = await observer.request('resolve', { root_path: [], depth: 2 });
        const deepSub = deep.children.find((c) => c.ident === 'sub')!;
        expect(deepSub.children.map((c) => c.ident)).toEqual(['leaf']);
        expect(deep.children.find((c) => c.ident === 'wait')).toMatchObject({ status: JobState.PENDING });
        const nested = await observer.request('resolve', { root_path: [], nest_path: ['sub'], depth: 1 });
        expect(nested.children.map((c) => c.ident)).toEqual(['sub']);
        expect(nested.children[0].children.map((c) => c.ident)).toEqual(['leaf']);
        await expect(observer.request('resolve', { root_path: ['nope'] })).rejects.toThrow("'nope'");
        await expect(observer.request('resolve', { root_path: ['wait'] })).rejects.toThrow("Can't resolve `wait` as the job hasn't started yet!");

        // get_messages: the tier's own messages.
        const page = await observer.request('get_messages', { after: 0, limit: 1 });
        expect(page.status).toBe(JobState.STARTED);
        expect(page.messages).toEqual([{ uid: 1, severity: 20, message: "Layer 'srv' launching sub-jobs", timestamp: expect.any(Number) }]);
        expect(page.total).toBeGreaterThanOrEqual(1);
        expect((await observer.request('get_messages', { after: 1 })).messages.every((m) => m.uid > 1)).toBe(true);

        // The read token only reads.
        for (const action of ['spec', 'register', 'update', 'complete'] as const) {
          const payload = { ident: 'run', server: 'x:1', summary: emptySummary(), result: 1, code: 0 };
          await expect(observer.request(action, payload as never)).rejects.toThrow(/read token only reads/);
        }
        // Errors, worded as Python's (to a connection allowed to act as any child).
        const tokenless = await connect(run.tier.address!);
        try {
          await expect(tokenless.request('spec', { ident: 'ghost' })).rejects.toThrow('Bad child ident ghost');
          await expect(tokenless.request('spec', { ident: 'done' })).rejects.toThrow('Bad child ident done');
          await expect(tokenless.request('update', { ident: 'done', summary: emptySummary(), result: 1 })).rejects.toThrow(
            'Child sent update after completion',
          );
          await expect(tokenless.request('complete', { ident: 'done', code: 0, result: 1, summary: emptySummary() })).rejects.toThrow(
            'Child sent a second completion message',
          );
          await expect(tokenless.request('register', { ident: 'ghost', server: 'x:1' })).rejects.toThrow('Bad child ident ghost');
          // Not on the connection 'run' registered on, even tokenless: refused.
          await expect(tokenless.request('update', { ident: 'run', summary: emptySummary(), result: 1 })).rejects.toThrow(/registered on another connection/);
          await expect(tokenless.request('register', { ident: 'run', server: 'x:1' })).rejects.toThrow(/registered already/);
        } finally {
          tokenless.close();
        }
      } finally {
        observer.close();
      }

      // What the parent can ask down the link.
      const down = parent.childSide()!;
      expect(await down.request('get_tree', {})).toEqual({ run: 'STARTED', live: { deep: 'STARTED' } });
      expect(await down.request('update_scheduler_opts', { options: { concurrency: 3 } })).toEqual({ concurrency: 8 });
      expect(await down.request('resolve', { root_path: ['done'] })).toMatchObject({ ident: 'done', status: JobState.COMPLETE });
      run.tier.stop();
      await run.finished();
    } finally {
      run.tier.stop();
      await run.finished().catch(() => {});
      await parent.close();
    }
  });

  it('refuses connections without a credential, naming the setting that would let a tokenless child in', async () => {
    const run = await startRoot(group({ ident: 'locked', jobs: [job({ ident: 's', command: 'sleep', args: ['60'] })] }));
    try {
      await waitFor(() => run.tier.address);
      await expect(connect(run.tier.address!)).rejects.toThrow(/missing or wrong credential/);
      await expect(connect(run.tier.address!, { token: 'wrong' })).rejects.toThrow(/missing or wrong credential/);
      // The run's read token is not a child's credential.
      const reader = await connect(run.tier.address!, { token: run.token });
      try {
        await expect(reader.request('register', { ident: 's', server: 'x:1' })).rejects.toThrow(/read token only reads/);
      } finally {
        reader.close();
      }
      await waitFor(() => run.events.some((e) => e.type === 'message' && /--allow-tokenless/.test(e.message)));
    } finally {
      run.tier.stop();
      await run.finished();
    }
  });

  it('forwards child messages up with --all-msg, with the sender path', async () => {
    const spec = group({ ident: 'talk', jobs: [job({ ident: 'chatty', command: 'log', args: ['hello', 'world'] })] });
    const token = 'log-token';
    const parent = await fakeParent(token, { path: ['root'] });
    try {
      const run = await startRoot(spec, { parent: parent.connection, token, allMsg: true });
      await run.finished();
      const forwarded = run.events.filter((e) => e.type === 'message' && (e.message === 'hello' || e.message === 'world'));
      expect(forwarded).toEqual([
        expect.objectContaining({ message: 'hello', severity: 20, path: ['root', 'talk', 'chatty'] }),
        expect.objectContaining({ message: 'world', severity: 20, path: ['root', 'talk', 'chatty'] }),
      ]);
      const logs = parent.received.filter((r) => r.action === 'log').map((r) => r.payload);
      expect(logs).toContainEqual(expect.objectContaining({ message: 'hello', severity: 'INFO', path: ['root', 'talk', 'chatty'] }));
      expect(logs).toContainEqual(expect.objectContaining({ message: "Layer 'talk' launching sub-jobs", severity: 'INFO' }));
      // Forwarded messages are not the tier's own: not counted.
      expect(readFixture(run.tracking, 'chatty').argv).toContain('--all-msg');
    } finally {
      await parent.close();
    }
  });
});

/** The nested tier's child registers a moment after the nested tier does. */
async function waitForResolve(observer: Connection, rootPath: string[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await observer.request('resolve', { root_path: rootPath });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

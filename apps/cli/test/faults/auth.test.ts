/**
 * Issue 9, who may connect (and issue 17, least privilege): every tier and
 * wrapper server of a run requires a credential in the URL path: the run's
 * read token (readers), a child's own credential (its parent tier), a job's
 * own token (its wrapper); anything else is refused at the upgrade, counted,
 * and told in that layer's database at a bounded rate. No secret is in any
 * argv or file of the run; servers bind loopback; tracking files are owner-only.
 */
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { ProtocolError, connect } from '@gator/protocol';
import { tempDir, writeSpec } from '../helpers.js';
import { collectResults } from '../run-helpers.js';
import { countFault, environmentOf, expectNoCrash, expectNoneLeft, expectSecretKept, filesUnder, flushCounts, startRun, waitForProcess, layerWithId } from './fault-kit.js';
import { within } from './timing.js';

afterAll(() => flushCounts(import.meta.url));

const SUCCESS = 1;

/** Local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6). */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue; // 0A: LISTEN
      const [hexAddress, hexPort] = fields[1]!.split(':') as [string, string];
      if (parseInt(hexPort, 16) !== port) continue;
      if (hexAddress.length === 8) {
        // IPv4, little-endian.
        out.push(hexAddress.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.'));
      } else {
        out.push(hexAddress);
      }
    }
  }
  return out;
}

/** Every way of not having the secret that we try against one server. */
function wrongAddresses(hostPort: string, token: string): [string, string][] {
  return [
    ['no token', hostPort],
    ['an empty path', `${hostPort}/`],
    ['a wrong token', `${hostPort}/not-the-token`],
    ['the token cut short', `${hostPort}/${token.slice(0, -1)}`],
    ['the token with a suffix', `${hostPort}/${token}x`],
    ['the token in upper case', `${hostPort}/${token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase()}`],
    ['the token under a prefix', `${hostPort}/x/${token}`],
  ];
}

async function expectRefused(address: string, what: string): Promise<void> {
  let error: unknown;
  try {
    const c = await connect(address, { connectTimeoutMs: 10_000 });
    c.close();
  } catch (e) {
    error = e;
  }
  expect(error, `a connection with ${what} was accepted`).toBeInstanceOf(ProtocolError);
  expect((error as ProtocolError).code, what).toBe('GATOR_PROTOCOL_UNAUTHORIZED');
}

/** HTTP status of a websocket upgrade to `host:port[/path]` (101 when accepted). */
function upgradeStatus(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${address}`, { perMessageDeflate: false });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** How many refused connections a layer told (the first by itself, the rest counted), and in how many lines. */
function refusals(dir: string): { count: number; lines: number } {
  const reader = openLayerReader(dir);
  try {
    const lines = reader
      .messages({ limit: 100_000 })
      .filter((m) => /^Refused /.test(m.message));
    // None of them a warning: a flood of refusals never counts against the layer's job.
    expect(lines.filter((m) => m.severity >= 30)).toEqual([]);
    let count = 0;
    for (const { message } of lines) {
      if (/^Refused a connection from 127\.0\.0\.1:\d+: (missing|wrong) credential( \(.*\))?$/.test(message)) count = Math.max(count, 1);
      const all = /^Refused \d+ more connections? without a valid credential \((\d+) in all\)$/.exec(message);
      if (all) count = Math.max(count, Number(all[1]));
    }
    return { count, lines: lines.length };
  } finally {
    reader.close();
  }
}

describe('only holders of a credential may connect', () => {
  it('a tier and a wrapper refuse a missing or wrong token, record it, and serve the right one', async () => {
    const dir = tempDir('gator-fault-');
    const release = path.join(dir, 'release');
    const spec = writeSpec(
      dir,
      'auth.yaml',
      `!JobGroup
ident: top
jobs:
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: waiter, command: bash, args: [-c, 'while [ ! -e ${release} ]; do sleep 0.1; done; echo released']}
`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
    const job = await waitForProcess(run, /^bash -c while/, 'the job');
    const wrapper = await waitForProcess(run, layerWithId('waiter'), 'the wrapper');
    const tier = await waitForProcess(run, layerWithId('inner'), 'the inner tier');

    // What a job sees (Python Gator's clients only read GATOR_PARENT): host:port/TOKEN of its wrapper,
    // with a token of that wrapper's own, not the run's.
    const parentOfJob = environmentOf(job).get('GATOR_PARENT')!;
    const token = run.token!;
    expect(parentOfJob).toMatch(/^127\.0\.0\.1:\d+\/[\w-]{20,}$/);
    expect(parentOfJob).not.toContain(token);
    const jobToken = parentOfJob.slice(parentOfJob.indexOf('/') + 1);
    // No layer carries a secret in its environment (where its job could read it): the run's read
    // token is taken out of the root's, a child's credential comes in a file it removes.
    for (const pid of [job, wrapper, tier]) {
      expect(environmentOf(pid).has('GATOR_TOKEN'), `GATOR_TOKEN in the environment of ${run.argv.get(pid)}`).toBe(false);
      expect([...environmentOf(pid).values()].some((v) => v.includes(token)), `the read token in the environment of ${run.argv.get(pid)}`).toBe(false);
    }
    expect(filesUnder(path.join(dir, 'run')).filter((f) => f.endsWith('credential.json')), 'credential files left').toEqual([]);
    const wrapperAddress = parentOfJob.slice(0, parentOfJob.indexOf('/'));
    // A layer's parent address is on its command line, without the token.
    const tierAddress = run.argv.get(wrapper)!.match(/--parent (\S+)/)![1]!;
    const rootAddress = run.argv.get(tier)!.match(/--parent (\S+)/)![1]!;
    expect(tierAddress).toMatch(/^127\.0\.0\.1:\d+$/);

    let attempts = 0;
    for (const [layer, address] of [['inner tier', tierAddress], ['root tier', rootAddress], ['wrapper', wrapperAddress]] as const) {
      // Loopback only: nothing on another interface can even reach the port.
      expect(listeners(Number(address.split(':')[1])), `${layer} listens on`).toEqual(['127.0.0.1']);
      for (const [what, wrong] of wrongAddresses(address, token)) {
        await expectRefused(wrong, `${what} (${layer})`);
        attempts++;
        countFault();
      }
      // The job's token reaches its own wrapper alone.
      if (layer !== 'wrapper') {
        await expectRefused(`${address}/${jobToken}`, `the job's token (${layer})`);
        attempts++;
        countFault();
      }
      // The read token is served (for reads).
      const ok = await connect(`${address}/${token}`, { connectTimeoutMs: 10_000 });
      try {
        const answer = await ok.request('resolve', { root_path: [], nest_path: null, depth: 0 }, { timeoutMs: 20_000 });
        expect(answer.ident).toBe(layer === 'wrapper' ? 'waiter' : layer === 'inner tier' ? 'inner' : 'top');
      } finally {
        ok.close();
      }
    }
    expect(attempts).toBe(23);

    // The local scheduler's pool (shared by nested tiers) is a server of the run too, with a secret of its own.
    const pool = environmentOf(tier).get('GATOR_LOCAL_POOL');
    expect(pool, 'the nested tier knows the run pool').toBeDefined();
    const poolAddress = pool!.slice(0, pool!.indexOf('/'));
    const poolToken = pool!.slice(pool!.indexOf('/') + 1);
    expect(listeners(Number(poolAddress.split(':')[1])), 'the pool listens on').toEqual(['127.0.0.1']);
    for (const [what, wrong] of [...wrongAddresses(poolAddress, poolToken), ['the run read token', `${poolAddress}/${token}`] as [string, string]]) {
      expect(await upgradeStatus(wrong), `${what} (pool)`).toBe(401);
      countFault();
    }

    fs.writeFileSync(release, '');
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const results = collectResults(path.join(dir, 'run'));
    expect(results.get('inner.waiter')?.result).toBe(SUCCESS);

    // Every refusal is counted by the layer that refused it, in at most a few lines.
    const perLayer = wrongAddresses('x:1', token).length;
    for (const [layer, n] of [['run/inner', perLayer + 1], ['run', perLayer + 1], ['run/inner/waiter', perLayer]] as const) {
      const told = refusals(path.join(dir, layer));
      expect(told.count, layer).toBe(n);
      expect(told.lines, layer).toBeLessThanOrEqual(3);
    }

    // Owner-only tracking: directories 0700, files 0600 (nothing for group or others).
    for (const file of filesUnder(path.join(dir, 'run'))) {
      expect(fs.statSync(file).mode & 0o077, `${file} is readable by others`).toBe(0);
      expect(fs.statSync(path.dirname(file)).mode & 0o077, `${path.dirname(file)} is open to others`).toBe(0);
    }
    expectNoCrash(done);
    await expectNoneLeft(run);
    // The secret: in no argv, no tracking file, no console line.
    expect(run.argv.size).toBeGreaterThanOrEqual(4);
    expectSecretKept(run, path.join(dir, 'run'));
  });

  it('a lone !Job: the root wrapper refuses too (and its job can still log)', async () => {
    const dir = tempDir('gator-fault-');
    const release = path.join(dir, 'release');
    const spec = writeSpec(
      dir,
      'lone.yaml',
      `!Job {ident: lone, command: bash, args: [-c, 'while [ ! -e ${release} ]; do sleep 0.1; done']}\n`,
    );
    const run = startRun(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
    const job = await waitForProcess(run, /^bash -c while/, 'the job');
    const parentOfJob = environmentOf(job).get('GATOR_PARENT')!;
    const [address, token] = parentOfJob.split('/') as [string, string];
    for (const [what, wrong] of wrongAddresses(address, token)) {
      await expectRefused(wrong, `${what} (root wrapper)`);
      countFault();
    }
    const ok = await connect(parentOfJob, { connectTimeoutMs: 10_000 });
    try {
      await ok.request('log', { severity: 'INFO', message: 'logged with the token' }, { timeoutMs: 20_000 });
      // The run's read token reads, and only reads.
      const reader = await connect(`${address}/${run.token!}`, { connectTimeoutMs: 10_000 });
      try {
        await expect(reader.request('log', { severity: 'ERROR', message: 'forged' }, { timeoutMs: 20_000 })).rejects.toThrow(/read token/);
        expect((await reader.request('get_messages', { after: 0, limit: 5 }, { timeoutMs: 20_000 })).messages.length).toBeGreaterThan(0);
      } finally {
        reader.close();
      }
    } finally {
      ok.close();
    }
    fs.writeFileSync(release, '');
    const done = await within(run.done, 60_000, 'the run to end');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(refusals(path.join(dir, 'run')).count).toBe(wrongAddresses('x:1', token).length);
    expectNoCrash(done);
    await expectNoneLeft(run);
    expectSecretKept(run, path.join(dir, 'run'));
  });
});

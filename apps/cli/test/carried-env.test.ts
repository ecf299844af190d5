/**
 * What a layer process is started without (carried-env.ts of @gator/protocol): the local
 * scheduler starts this CLI's wrappers and nested tiers without NODE_EXTRA_CA_CERTS (Node
 * would read the whole bundle at their start), carried under another name, and every job,
 * at any depth and in either wrapper mode, gets the variable exactly as the user set it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CARRIED_ENV } from '@gator/protocol';
import { descendants, startGator, tempDir, waitFor, writeSpec } from './helpers.js';
import { collectResults } from './run-helpers.js';

const CARRIER = CARRIED_ENV.NODE_EXTRA_CA_CERTS;

/** Each job writes its environment to env-<ident>.txt; `held` waits for `release` first. */
const SPEC = `!JobGroup
ident: top
jobs:
  - !Job
    ident: direct
    command: sh
    args: ["-c", "env > env-direct.txt"]
  - !JobGroup
    ident: inner
    jobs:
      - !JobArray
        ident: copies
        repeats: 2
        jobs:
          - !Job
            ident: copy
            command: sh
            args: ["-c", "env > env-copy-$GATOR_ARRAY_INDEX.txt"]
      - !Job
        ident: held
        command: sh
        args: ["-c", "env > env-held.txt; touch running; while [ ! -e release ]; do sleep 0.05; done"]
`;

const environOf = (pid: number): Map<string, string> | undefined => {
  try {
    const entries = fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
    return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  } catch {
    return undefined;
  }
};
const isLayer = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('child.cjs');
  } catch {
    return false;
  }
};
const readEnv = (file: string) =>
  new Map(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));

describe.each([[[]], [['--sched-arg', 'wrappers=inprocess']]])('NODE_EXTRA_CA_CERTS, with %j', (extra: string[]) => {
  it('layer processes start without it; every job gets it as the user set it', async () => {
    const dir = tempDir();
    const certs = path.join(dir, 'extra certs.pem');
    fs.writeFileSync(certs, '');
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = startGator(['run', spec, '--tracking', 'run', '--quiet', ...extra], { cwd: dir, env: { NODE_EXTRA_CA_CERTS: certs } });
    let layers: number[] = [];
    await waitFor(() => {
      layers = descendants(run.child.pid!).filter(isLayer);
      return fs.existsSync(path.join(dir, 'running'));
    }, 60_000, 'the held job to run');
    // The inner group's tier at least, and in the default mode the held job's wrapper.
    expect(layers.length).toBeGreaterThanOrEqual(extra.length > 0 ? 1 : 2);
    for (const pid of layers) {
      const environ = environOf(pid);
      if (!environ) continue; // ended meanwhile
      expect(environ.has('NODE_EXTRA_CA_CERTS'), `layer process ${pid}`).toBe(false);
      expect(environ.get(CARRIER), `layer process ${pid}`).toBe(certs);
    }
    fs.writeFileSync(path.join(dir, 'release'), '');
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stderr).toBe('');
    const results = collectResults(path.join(dir, 'run'));
    expect([...results.values()].filter((r) => r.kind === 'wrapper').map((r) => r.result)).toEqual([1, 1, 1, 1]);
    for (const name of ['direct', 'copy-0', 'copy-1', 'held']) {
      const env = readEnv(path.join(dir, `env-${name}.txt`));
      expect(env.get('NODE_EXTRA_CA_CERTS'), name).toBe(certs);
      expect([...env.keys()].filter((k) => k.startsWith('GATOR_CARRIED_')), name).toEqual([]);
    }
  });
});

/**
 * What a layer process is started without, or with (carried-env.ts of @gator/protocol): the
 * local scheduler starts this CLI's wrappers and nested tiers without NODE_EXTRA_CA_CERTS (Node
 * would read the whole bundle at their start), carried under another name, and with
 * STARTED_WITH_ENV where the user set none of it; every job, at any depth and in either
 * wrapper mode, gets the environment exactly as the user set it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CARRIED_ENV, STARTED_WITH_ENV, STARTED_WITH_MARKER } from '@gator/protocol';
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

const STARTED_WITH = Object.keys(STARTED_WITH_ENV) as (keyof typeof STARTED_WITH_ENV)[];
/** A value of the user's own for each STARTED_WITH_ENV variable (one glibc accepts). */
const USER_SET: Record<string, string> = Object.fromEntries(STARTED_WITH.map((name) => [name, '65536']));

describe.each([
  [[], {}],
  [['--sched-arg', 'wrappers=inprocess'], {}],
  [[], USER_SET],
])('NODE_EXTRA_CA_CERTS and STARTED_WITH_ENV, with %j and %j', (extra: string[], userSet: Record<string, string>) => {
  it('layer processes start without the one and with the other; every job gets them as the user set them', async () => {
    const dir = tempDir();
    const certs = path.join(dir, 'extra certs.pem');
    fs.writeFileSync(certs, '');
    const spec = writeSpec(dir, 'spec.yaml', SPEC);
    const run = startGator(['run', spec, '--tracking', 'run', '--quiet', ...extra], { cwd: dir, env: { NODE_EXTRA_CA_CERTS: certs, ...userSet } });
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
      for (const name of STARTED_WITH) expect(environ.get(name), `layer process ${pid}: ${name}`).toBe(userSet[name] ?? STARTED_WITH_ENV[name]);
      expect(environ.get(STARTED_WITH_MARKER), `layer process ${pid}`).toBe(STARTED_WITH.filter((name) => !(name in userSet)).join(',') || undefined);
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
      expect([...env.keys()].filter((k) => k.startsWith('GATOR_CARRIED_') || k === STARTED_WITH_MARKER), name).toEqual([]);
      for (const variable of STARTED_WITH) expect(env.get(variable), `${name}: ${variable}`).toBe(userSet[variable]);
    }
  });
});

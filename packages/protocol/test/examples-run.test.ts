/**
 * The examples must run on a plain machine with bash and coreutils: run every
 * job of every example directly (env merged and $VARs expanded as Gator does)
 * and check each exits as the example says.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { childEntries, expandVariables, loadSpecFile, type Job, type Spec } from '../src/index.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

/** Every job of a spec as it would run: [child path, job with merged env]. */
function leaves(spec: Spec, name: string): [string, Job][] {
  if (spec.kind === 'job') return [[name, spec]];
  return childEntries(spec).flatMap((child) => leaves(child.spec, `${name}.${child.id}`));
}

function run(job: Job): Promise<{ code: number | null; stdout: string }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [key, value] of Object.entries(job.env)) env[key] = String(value);
  const argv = [job.command, ...job.args.map(String)].map((word) => expandVariables(word, env));
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const guard = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout });
    });
  });
}

const runnable = readdirSync(examples).filter((f) => f.endsWith('.yaml'));

describe('examples run with only bash and coreutils', () => {
  it.each(runnable)('%s', async (file) => {
    const spec = loadSpecFile(path.join(examples, file));
    const jobs = leaves(spec, spec.ident ?? 'root');
    const results = await Promise.all(jobs.map(async ([name, job]) => [name, await run(job)] as const));
    for (const [name, result] of results) {
      const failsOnPurpose = file === 'dependencies.yaml' && name.endsWith('.test');
      expect(result.code, name).toBe(failsOnPurpose ? 1 : 0);
    }
    if (file === 'array.yaml') {
      expect(results.map(([, r]) => r.stdout.trim())).toEqual([0, 1, 2, 3].map((i) => `point ${i} of 4 with seed ${100 + i}`));
    }
  });

  it('the reference sweep runs too', async () => {
    const spec = loadSpecFile(path.join(examples, 'reference/sweep.yaml'));
    const results = await Promise.all(leaves(spec, 'sweep').map(([, job]) => run(job)));
    expect(results.map((r) => [r.code, r.stdout.trim()])).toEqual([0, 1, 2].map((i) => [0, `point ${i} of sweep`]));
  });
});

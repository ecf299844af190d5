/**
 * The job's `Attribute` rows, in the order they are written: Python's, then
 * Gator's own for `gator repro` (README "Attributes"). Pure: the wrapper
 * writes what these return.
 */
import os from 'node:os';
import { ENV, type Job, type LayerPlace, jobResources, shellQuote } from '@gator/protocol';
import { specEnvironment } from './environment.js';
import type { JobVerdict } from './verdict.js';

export type AttributeRow = [name: string, value: string | number];

/** Written once the job's place is known, before the first attempt. */
export function startAttributes(job: {
  spec: Job;
  ident: string;
  place: LayerPlace;
  started: number;
  cwd: string;
  /** The expanded argv; undefined when the command could not be expanded. */
  argv: string[] | undefined;
  env: Record<string, string>;
}): AttributeRow[] {
  const { spec, place } = job;
  const res = jobResources(spec);
  const argv = job.argv ?? [spec.command, ...spec.args.map(String)];
  const rows: AttributeRow[] = [
    ['ident', job.ident],
    ['uidx', place.uidx],
    ['root', place.root],
    ['path', place.path.join('.')],
    ['started', job.started],
    ['cmd', shellQuote(argv)],
    ['cwd', job.cwd],
    ['host', os.hostname()],
    ['req_cores', res.cores],
    // Python writes the memory request as a float (`1500.0`), `0` when none.
    ['req_memory', res.memoryMb ? (Number.isInteger(res.memoryMb) ? `${res.memoryMb}.0` : String(res.memoryMb)) : '0'],
    [
      'req_licenses',
      Object.entries(res.licenses)
        .map(([name, count]) => `${name}=${count}`)
        .join(','),
    ],
    // Gator's own, for `gator repro`: the job's spec env and the argv it ran.
    ['env', JSON.stringify(specEnvironment(spec.env))],
    ['argv', JSON.stringify(argv)],
  ];
  const seed = job.env[ENV.SEED];
  if (seed !== undefined) rows.push(['seed', seed]);
  return rows;
}

/** Written once the job is judged. */
export function finalAttributes(verdict: JobVerdict, stopped: number, attempts: number): AttributeRow[] {
  const rows: AttributeRow[] = [
    ['exit', verdict.code],
    ['stopped', stopped],
    ['result', verdict.result],
  ];
  if (verdict.reason !== undefined) rows.push(['reason', verdict.reason]);
  // Gator's own: the job's outcome in the run model (docs/run-model.md) and, when it failed, why.
  rows.push(['outcome', verdict.outcome]);
  if (verdict.kind !== undefined) rows.push(['outcome_kind', verdict.kind]);
  rows.push(['attempts', attempts]);
  return rows;
}

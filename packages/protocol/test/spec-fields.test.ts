// Every field of the spec schemas reaches a child process: a child gets its part of the spec as
// `dumpSpec` text and reads it with `loadSpec`. A field added to a schema is dumped without a
// second list to update; this test makes a new field prove it (it needs a sample value here).
import { describe, expect, it } from 'vitest';
import { EXTENSION_FIELDS, FIELD_ORDER, JobSchema, dumpSpec, loadSpec, type Spec } from '../src/index.js';

/** A value other than the default for every field name the schemas have. */
const SAMPLES: Record<string, unknown> = {
  ident: 'sample',
  env: { A: '1' },
  cwd: '/tmp',
  command: 'echo',
  args: ['hi'],
  resources: [{ kind: 'cores', count: 2 }],
  on_done: ['x'],
  on_fail: ['y'],
  on_pass: ['z'],
  timeout: 90,
  hang_timeout: 30,
  retries: 2,
  log_rules: [{ pattern: '^E:', severity: 'ERROR' }],
  stderr_severity: 'WARNING',
  output_limit: { lines: 5000, bytes: 1048576 },
  limits: { error: 3 },
  seed: 7,
  repeats: 3,
  jobs: [{ kind: 'job', command: 'true' }],
};

function fieldsOf(kind: 'job' | 'group' | 'array'): string[] {
  return [...FIELD_ORDER[kind], ...EXTENSION_FIELDS[kind]];
}

describe('every spec field survives the trip to a child', () => {
  it('the field lists are the schema: nothing in the schema is left out of them', () => {
    const shapeKeys = Object.keys(JobSchema.shape).filter((k) => k !== 'kind');
    expect([...shapeKeys].sort()).toEqual(fieldsOf('job').sort());
  });

  for (const kind of ['job', 'group', 'array'] as const) {
    it(`${kind}: each field, set, is read back by the child as it was`, () => {
      for (const field of fieldsOf(kind)) expect(SAMPLES, `a sample value for '${field}'`).toHaveProperty(field);
      const tag = { job: '!Job', group: '!JobGroup', array: '!JobArray' }[kind];
      const body = fieldsOf(kind)
        .filter((f) => kind === 'job' || f !== 'command')
        .map((f) => `${f}: ${JSON.stringify(kind === 'job' && f === 'jobs' ? undefined : SAMPLES[f])}`)
        .join('\n');
      const spec = loadSpec(`${tag}\n${body.replace(/"kind":"job",?/g, '').replace(/\{"command"/g, '!Job {"command"')}\n`, 'sample.yaml');
      const back = loadSpec(dumpSpec(spec), 'dumped.yaml') as Spec & Record<string, unknown>;
      expect(back).toEqual(spec);
      for (const field of EXTENSION_FIELDS[kind] as readonly string[]) expect(back[field], field).toBeDefined();
    });
  }
});

import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cores, dumpSpec, group, job, license, loadSpec, memory, validateSpec, type Spec } from '../src/index.js';
import { validSpec } from './arbitraries.js';

describe('dumpSpec', () => {
  it("writes PyYAML's style: sorted keys, every Python field, tags, resources in mapping form", () => {
    const spec = group({
      ident: 'top',
      env: { B: 'yes', A: 10 },
      jobs: [
        job({
          ident: 'sim',
          command: 'bash',
          args: ['-c', 'echo $X', 7, '010', '1:30', 'null'],
          resources: [cores(2), memory(1.5, 'GB'), license('simtool')],
          on_pass: [],
        }),
      ],
    });
    expect(dumpSpec(spec)).toBe(`!JobGroup
cwd: null
env:
  A: 10
  B: "yes"
ident: top
jobs:
  - !Job
    args:
      - -c
      - echo $X
      - 7
      - "010"
      - "1:30"
      - "null"
    command: bash
    cwd: null
    env: {}
    ident: sim
    on_done: []
    on_fail: []
    on_pass: []
    resources:
      - !Cores
        count: 2
      - !Memory
        size: 1.5
        unit: GB
      - !License
        count: 1
        name: simtool
on_done: []
on_fail: []
on_pass: []
`);
  });

  it('emits extension fields only when set', () => {
    expect(dumpSpec(job({ command: 'x' }))).not.toMatch(/timeout|retries|log_rules|stderr_severity/);
    const text = dumpSpec(job({ command: 'x', timeout: '1m', retries: 0, log_rules: [{ preset: 'uvm' }], stderr_severity: 'info' }));
    expect(text).toContain('timeout: 60\n');
    expect(text).toContain('retries: 0\n');
    expect(text).toContain('log_rules:\n  - preset: uvm\n');
    expect(text).toContain('stderr_severity: INFO\n');
  });

  it('quotes every string YAML 1.1 would re-type', () => {
    for (const s of ['yes', 'No', 'on', 'OFF', '010', '0x1F', '1_000', '1:30', 'null', '~', '', '2024-01-01', '1.5', '.inf', '<<', '=', 'y', '09']) {
      const spec = job({ command: s || 'x', args: [s], env: { [s && !s.includes('=') ? s : 'k']: s } });
      expect(loadSpec(dumpSpec(spec))).toEqual(spec);
    }
  });

  it('round-trips every generated valid spec (loadSpec(dumpSpec(x)) deep-equals x)', () => {
    fc.assert(
      fc.property(validSpec(), (spec) => {
        expect(validateSpec(spec)).toEqual(spec);
        expect(loadSpec(dumpSpec(spec), 'dump.yaml')).toEqual(spec);
      }),
      { numRuns: 300 },
    );
  });

  const python = spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
  it.skipIf(python.status !== 0)('is read identically by PyYAML (when python3 with PyYAML is installed)', () => {
    const specs = fc.sample(validSpec(), { numRuns: 150, seed: 42 });
    const script = `
import json, sys, yaml
class Loader(yaml.SafeLoader):
    pass
KINDS = {'!Job': 'job', '!JobGroup': 'group', '!JobArray': 'array', '!Cores': 'cores', '!Memory': 'memory', '!License': 'license'}
def make(kind):
    def construct(loader, node):
        value = loader.construct_mapping(node, deep=True)
        value['kind'] = kind
        return value
    return construct
for tag, kind in KINDS.items():
    Loader.add_constructor(tag, make(kind))
docs = json.load(sys.stdin)
print(json.dumps([yaml.load(d, Loader=Loader) for d in docs]))
`;
    const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(specs.map((s) => dumpSpec(s))), encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    const loaded = JSON.parse(result.stdout) as Spec[];
    expect(loaded).toEqual(specs);
  });
});

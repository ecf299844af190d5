/**
 * Python Gator's spec tests (tests/specs/test_job.py, test_job_array.py,
 * test_job_group.py) ported, side by side: every YAML goes through Python
 * Gator's `Spec.parse_str(...).check()` and Gator's `loadSpec`, and both must
 * agree. The Python constructor tests (`Job(...)` positional/named) have no
 * YAML form and are left to Python. Where Gator deliberately differs, the case
 * says so and names the docs/compatibility.md entry.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SpecError, dumpSpec, expectedJobs, jobResources, loadSpec, type Spec } from '@gator/protocol';
import { PEER_MISSING, needsPythonPeer } from './peer.js';

needsPythonPeer();

/** Python: parse (and check) each text; a plain-dict view of the result, or the SpecError's field. */
const PARSE = `
import json, sys
from gator.specs import Spec, Job, JobArray, JobGroup, Cores, License, Memory
from gator.specs.common import SpecError

def plain(o):
    if isinstance(o, Job):
        return {"tag": "Job", "ident": o.ident, "env": o.env, "cwd": o.cwd, "command": o.command, "args": o.args,
                "resources": [plain(r) for r in o.resources], "on_done": o.on_done, "on_fail": o.on_fail, "on_pass": o.on_pass,
                "cores": o.requested_cores, "memory": o.requested_memory, "licenses": o.requested_licenses}
    if isinstance(o, (JobArray, JobGroup)):
        d = {"tag": type(o).__name__, "ident": o.ident, "env": o.env, "cwd": o.cwd, "jobs": [plain(j) for j in o.jobs],
             "on_done": o.on_done, "on_fail": o.on_fail, "on_pass": o.on_pass, "expected": o.expected_jobs}
        if isinstance(o, JobArray): d["repeats"] = o.repeats
        return d
    if isinstance(o, Cores): return {"tag": "Cores", "count": o.count}
    if isinstance(o, License): return {"tag": "License", "name": o.name, "count": o.count}
    if isinstance(o, Memory): return {"tag": "Memory", "size": o.size, "unit": o.unit}
    return repr(o)

out = []
for text in json.loads(sys.stdin.read()):
    try:
        spec = Spec.parse_str(text)
    except Exception as e:
        out.append({"parsed": False, "error": type(e).__name__})
        continue
    try:
        spec.check()
        out.append({"parsed": True, "checked": True, "spec": plain(spec), "dump": Spec.dump(spec)})
    except SpecError as e:
        out.append({"parsed": True, "checked": False, "field": e.field, "message": str(e)})
    except Exception as e:
        out.append({"parsed": True, "checked": False, "field": None, "message": f"{type(e).__name__}: {e}"})
print(json.dumps(out))
`;

type PyResult =
  | { parsed: false; error: string }
  | { parsed: true; checked: true; spec: any; dump: string }
  | { parsed: true; checked: false; field: string | null; message: string };

async function pythonParse(texts: string[]): Promise<PyResult[]> {
  const { execFile } = await import('node:child_process');
  const { PYTHON, pythonEnv } = await import('./peer.js');
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', PARSE], { env: { ...process.env, ...pythonEnv() }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python failed: ${stderr}`));
      else resolve(JSON.parse(stdout) as PyResult[]);
    });
    child.stdin!.end(JSON.stringify(texts));
  });
}

/** Gator's spec in the same plain-dict view. */
function plain(spec: Spec): any {
  const deps = { on_done: spec.on_done, on_fail: spec.on_fail, on_pass: spec.on_pass };
  if (spec.kind === 'job') {
    const r = jobResources(spec);
    return {
      tag: 'Job',
      ident: spec.ident ?? null,
      env: spec.env,
      cwd: spec.cwd ?? null,
      command: spec.command,
      args: spec.args,
      resources: spec.resources.map((x) =>
        x.kind === 'cores' ? { tag: 'Cores', count: x.count } : x.kind === 'license' ? { tag: 'License', name: x.name, count: x.count } : { tag: 'Memory', size: x.size, unit: x.unit },
      ),
      ...deps,
      cores: r.cores,
      memory: r.memoryMb,
      licenses: r.licenses,
    };
  }
  return {
    tag: spec.kind === 'array' ? 'JobArray' : 'JobGroup',
    ident: spec.ident ?? null,
    env: spec.env,
    cwd: spec.cwd ?? null,
    jobs: spec.jobs.map(plain),
    ...deps,
    expected: expectedJobs(spec),
    ...(spec.kind === 'array' ? { repeats: spec.repeats } : {}),
  };
}

function gatorIssues(text: string): string[] | undefined {
  try {
    loadSpec(text, 'case.yaml');
    return undefined;
  } catch (error) {
    if (error instanceof SpecError) return error.issues.map((i) => i.path);
    throw error;
  }
}

// test_spec_job_parse / _parse_str, test_spec_job_array_parse, test_spec_job_group_parse. Python's
// texts carry `key_b: False`: Python parses it but its check() refuses a bool in env (as Gator's
// loader does), so here the value is a string and the bool goes to the bad-field cases.
const GOOD: Record<string, string> = {
  job: `!Job
  ident: id_123
  env:
    key_a: 2345
    key_b: "False"
  cwd: /path/to/working/dir
  command: echo
  args:
    - String to print
  resources:
    - !Cores [3]
    - !License [A, 2]
    - !Memory [1, GB]
  on_done:
    - job_0
  on_fail:
    - job_1
  on_pass:
    - job_2
`,
  array: `!JobArray
  ident: arr_123
  repeats: 3
  jobs:
  - !Job
      ident: id_123
      env:
        key_a: 2345
      cwd: /path/to/working/dir_a
      command: echo
      args:
        - String to print A
  - !JobArray
      ident: arr_234
      jobs:
      - !Job
          ident: id_234
          env:
            key_a: 3456
          cwd: /path/to/working/dir_b
          command: echo
          args:
            - String to print B
`,
  group: `!JobGroup
  ident: grp_123
  jobs:
  - !Job
      ident: id_123
      env:
        key_a: 2345
      cwd: /path/to/working/dir_a
      command: echo
      args:
        - String to print A
  - !JobGroup
      ident: grp_234
      jobs:
      - !Job
          ident: id_234
          cwd: /path/to/working/dir_b
          command: echo
          args:
            - String to print B
`,
  defaults: '!Job {command: "true"}',
};

// test_spec_*_bad_fields, as YAML: [case, text, the field Python names].
const JOB = (fields: string) => `!Job {command: echo, ${fields}}`;
const BAD: [string, string, string][] = [
  ['job ident not a string', JOB('ident: 123'), 'ident'],
  ['env not a mapping', JOB('env: [1, 2, 3]'), 'env'],
  ['env keys not strings', JOB('env: {true: 123, false: 345}'), 'env'],
  ['env value a float', JOB('env: {hi: 123.23}'), 'env'],
  ['env value a bool', JOB('env: {bye: False}'), 'env'],
  ['cwd not a string', JOB('cwd: 123'), 'cwd'],
  ['command not a string', '!Job {command: 123}', 'command'],
  ['args not a list', JOB('args: {a: 123}'), 'args'],
  ['args of floats and bools', JOB('args: [123.1, false]'), 'args'],
  ['resources not a list', JOB('resources: !Cores [2]'), 'resources'],
  ['resources not tags', JOB('resources: [hello, 2]'), 'resources'],
  ['two !Cores', JOB('resources: [!Cores [2], !Cores [1]]'), 'resources'],
  ['two !Memory', JOB('resources: [!Memory [2], !Memory [1]]'), 'resources'],
  ['a license twice', JOB('resources: [!Cores [2], !License [A], !License [B], !License [B]]'), 'resources'],
  ...(['on_done', 'on_fail', 'on_pass'] as const).flatMap((f): [string, string, string][] => [
    [`${f} not a list`, `!JobGroup {jobs: [!Job {ident: a, command: echo, ${f}: {a: 1}}]}`, f],
    [`${f} entries not strings`, `!JobGroup {jobs: [!Job {ident: a, command: echo, ${f}: [123.2, false]}]}`, f],
  ]),
  ['array ident not a string', '!JobArray {ident: 123, jobs: []}', 'ident'],
  ['array repeats negative', '!JobArray {repeats: -1, jobs: []}', 'repeats'],
  ['array jobs not a list', '!JobArray {jobs: {a: 1}}', 'jobs'],
  ['array jobs not tags', '!JobArray {jobs: [123, hey]}', 'jobs'],
  ['array duplicated idents', '!JobArray {jobs: [!Job {ident: a, command: echo}, !Job {ident: a, command: echo}]}', 'jobs'],
  ['array env not a mapping', '!JobArray {env: [1, 2, 3], jobs: []}', 'env'],
  ['array cwd not a string', '!JobArray {cwd: 123, jobs: []}', 'cwd'],
  ['array child checked too', '!JobArray {jobs: [!Job {ident: hi, command: echo}, !Job {ident: 123, command: echo}]}', 'ident'],
  ['group ident not a string', '!JobGroup {ident: 123, jobs: []}', 'ident'],
  ['group jobs not a list', '!JobGroup {jobs: {a: 1}}', 'jobs'],
  ['group jobs not tags', '!JobGroup {jobs: [123, hey]}', 'jobs'],
  ['group duplicated idents', '!JobGroup {jobs: [!Job {ident: a, command: echo}, !Job {ident: a, command: echo}]}', 'jobs'],
  ['group env values', '!JobGroup {env: {hi: 123.23}, jobs: []}', 'env'],
  ['group child checked too', '!JobGroup {jobs: [!Job {ident: hi, command: echo}, !Job {ident: 123, command: echo}]}', 'ident'],
];

describe("Python Gator's spec tests, side by side", () => {
  it('parses each good spec to the same fields, resources and expected job counts', async () => {
    const texts = Object.values(GOOD);
    const py = await pythonParse(texts);
    Object.keys(GOOD).forEach((name, i) => {
      const got = py[i]!;
      expect(got, name).toMatchObject({ parsed: true, checked: true });
      expect(plain(loadSpec(texts[i]!, `${name}.yaml`)), name).toEqual((got as { spec: unknown }).spec);
    });
    // test_spec_job_parse's derived values, and the defaults of a bare job (test_spec_job_default_resources).
    expect((py[0] as { spec: any }).spec).toMatchObject({ cores: 3, memory: 1000, licenses: { A: 2 } });
    expect((py[1] as { spec: any }).spec.expected).toBe(6);
    expect((py[2] as { spec: any }).spec.expected).toBe(2);
    expect((py[3] as { spec: any }).spec).toMatchObject({ cores: 0, memory: 0, licenses: {} });
  });

  it("dumps specs that Python Gator reads back and re-dumps exactly as its own test expects", async () => {
    // test_spec_job_dump / _array_dump / _group_dump compare Python's text; Gator's text indents list
    // items under their key (docs/compatibility.md, "Spec YAML sent to children"), so the port checks
    // that Python parses Gator's dump into a spec whose own dump is Python's expected text.
    const specs = Object.values(GOOD).map((t) => loadSpec(t, 'good.yaml'));
    const direct = await pythonParse(Object.values(GOOD));
    const viaGator = await pythonParse(specs.map((s) => dumpSpec(s)));
    viaGator.forEach((got, i) => {
      expect(got).toMatchObject({ parsed: true, checked: true });
      expect((got as { dump: string }).dump).toBe((direct[i] as { dump: string }).dump);
      expect((got as { spec: unknown }).spec).toEqual((direct[i] as { spec: unknown }).spec);
    });
    expect((direct[0] as { dump: string }).dump).toBe(
      '!Job\nargs:\n- String to print\ncommand: echo\ncwd: /path/to/working/dir\nenv:\n  key_a: 2345\n  key_b: \'False\'\nident: id_123\n' +
        'on_done:\n- job_0\non_fail:\n- job_1\non_pass:\n- job_2\nresources:\n- !Cores\n  count: 3\n- !License\n  count: 2\n  name: A\n- !Memory\n  size: 1\n  unit: GB\n',
    );
  });

  // One Python process for every case.
  let pyBad: PyResult[] = [];
  beforeAll(async () => {
    if (!PEER_MISSING) pyBad = await pythonParse(BAD.map((b) => b[1]));
  });

  it.each(BAD.map((b, i) => [...b, i] as const))('refuses a bad field in both: %s', (_name, text, field, i) => {
    const py = pyBad[i];
    // Python refuses at parse (a YAML constructor error) or at check (a SpecError naming the field).
    if (py!.parsed) expect(py).toMatchObject({ checked: false, field });
    const issues = gatorIssues(text);
    expect(issues, 'Gator accepted it').toBeDefined();
    expect(issues!.some((p) => p === field || p.endsWith(`.${field}`) || p.includes(`${field}[`) || p.includes(`.${field}.`) || p.startsWith(`${field}.`)), issues!.join(', ')).toBe(true);
  });
});

/**
 * Specs built in code: `job({...})`, `group({...})`, `array({...})` and the
 * resource helpers return checked objects with defaults filled, and
 * `validateSpec` runs the loader's checks on any object tree (issues have
 * paths but line 0, as there is no file).
 */
import { SpecError, type SpecIssue } from '../errors.js';
import { checkSpecTree, type SchemaIssue } from './check.js';
import { formatPath } from './describe.js';
import {
  CoresSchema,
  LicenseSchema,
  MemorySchema,
  type Cores,
  type Job,
  type JobArray,
  type JobArrayInput,
  type JobGroup,
  type JobGroupInput,
  type JobInput,
  type License,
  type Memory,
  type Spec,
} from './schema.js';

type ZodLikeIssue = SchemaIssue;

function toIssues(file: string, issues: ZodLikeIssue[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (path[path.length - 1] === 'kind' && issue.code !== 'unrecognized_keys') path.pop();
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      const allowed = / allowed keys .*$/.exec(issue.message)?.[0] ?? '';
      for (const key of issue.keys) out.push({ file, line: 0, column: 0, path: formatPath([...path, key]), message: `unknown key '${key}';${allowed}` });
      continue;
    }
    out.push({ file, line: 0, column: 0, path: formatPath(path), message: issue.message });
  }
  return out;
}

/**
 * Check a spec object (e.g. built in code or received over the wire as JSON)
 * with the same rules as `loadSpec`; returns it with defaults filled and
 * durations in seconds. Throws `SpecError` with every problem.
 */
export function validateSpec(spec: unknown, file = '<spec>'): Spec {
  let issues: SpecIssue[];
  let checked: ReturnType<typeof checkSpecTree>;
  try {
    checked = checkSpecTree(spec);
    issues = toIssues(file, checked.schemaIssues);
    const failedPaths = new Set(issues.map((i) => i.path));
    for (const issue of checked.relationIssues) {
      const path = formatPath(issue.path);
      if (!failedPaths.has(path)) issues.push({ file, line: 0, column: 0, path, message: issue.message });
    }
  } catch (error) {
    // A tree too deep for the call stack, a getter that throws, a proxy …: still a SpecError.
    throw new SpecError([{ file, line: 0, column: 0, path: '', message: `the spec could not be checked (${(error as Error).message})` }], { cause: error });
  }
  if (issues.length > 0 || !checked.spec) throw new SpecError(issues);
  return checked.spec;
}

/** A checked `!Job` (defaults filled). */
export function job(fields: JobInput): Job {
  return validateSpec({ ...fields, kind: 'job' }) as Job;
}

/** A checked `!JobGroup`; `jobs` are objects from `job`/`group`/`array` (or raw objects with `kind`). */
export function group(fields: JobGroupInput): JobGroup {
  return validateSpec({ ...fields, kind: 'group' }) as JobGroup;
}

/** A checked `!JobArray`. */
export function array(fields: JobArrayInput): JobArray {
  return validateSpec({ ...fields, kind: 'array' }) as JobArray;
}

function resource<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: unknown[] } } }, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new SpecError(toIssues('<spec>', result.error.issues as ZodLikeIssue[]));
  return result.data;
}

/** `!Cores {count}`. */
export function cores(count: number): Cores {
  return resource(CoresSchema, { kind: 'cores', count });
}

/** `!Memory {size, unit}` (unit KB, MB, GB or TB; default MB). */
export function memory(size: number, unit = 'MB'): Memory {
  return resource(MemorySchema, { kind: 'memory', size, unit });
}

/** `!License {name, count}` (count default 1). */
export function license(name: string, count = 1): License {
  return resource(LicenseSchema, { kind: 'license', name, count });
}

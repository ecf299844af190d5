/**
 * How a tier expands its spec into children (spec-format.md §4–§5), job
 * counting, and resource totals. Pure functions over checked specs.
 */
import { ENV } from '../constants.js';
import { entryBaseId } from './check.js';
import { LOG_RULE_PRESETS, MEMORY_UNITS_MB, type Job, type JobArray, type JobGroup, type LogRule, type Memory, type PatternLogRule, type Spec } from './schema.js';

export interface ChildDependencies {
  on_pass: string[];
  on_fail: string[];
  on_done: string[];
}

/** One child a tier launches. */
export interface ChildEntry {
  /** The child's id (`--id`): the base id for a group, `<base>_<index>` for an array. */
  id: string;
  /** The entry's ident, or `T<position>` when it has none. */
  baseId: string;
  /** Repeat index (arrays only). */
  index?: number;
  /** `repeats` of the array (arrays only). */
  arraySize?: number;
  /** A deep copy of the entry with the parent's env, cwd and extension settings merged in. */
  spec: Spec;
  /** Directory of the child under the parent's tracking directory: `<baseId>` or `<baseId>/<index>`. */
  trackingSubdir: string;
  /** Sibling base ids this child waits for. */
  dependencies: ChildDependencies;
}

export interface ChildEntriesOptions {
  /** Source of random seeds (default `Math.random`), for `seed: random`. */
  random?: () => number;
}

/** Extension settings a child takes from its parent when it does not set them. */
const INHERITED = ['timeout', 'hang_timeout', 'retries', 'log_rules', 'stderr_severity'] as const;

/** The children of a group or array, in launch order (entry by entry; for arrays, index by index within an entry). */
export function childEntries(spec: JobGroup | JobArray, options: ChildEntriesOptions = {}): ChildEntry[] {
  const random = options.random ?? Math.random;
  const out: ChildEntry[] = [];
  const isArray = spec.kind === 'array';
  const repeats = isArray ? spec.repeats : 1;
  const seeds = isArray ? arraySeeds(spec, random) : [];
  spec.jobs.forEach((entry, position) => {
    const baseId = entryBaseId(entry, position);
    const dependencies: ChildDependencies = {
      on_pass: [...entry.on_pass],
      on_fail: [...entry.on_fail],
      on_done: [...entry.on_done],
    };
    for (let index = 0; index < repeats; index++) {
      const copy = structuredClone(entry) as Spec;
      copy.env = { ...spec.env, ...entry.env };
      copy.cwd = entry.cwd ?? spec.cwd;
      const target = copy as Record<string, unknown>;
      const parent = spec as Record<string, unknown>;
      for (const field of INHERITED) {
        if (target[field] === undefined && parent[field] !== undefined) target[field] = structuredClone(parent[field]);
      }
      // Merged key by key: a job that sets only `lines` keeps the `bytes` of its group.
      if (spec.output_limit !== undefined) copy.output_limit = { ...spec.output_limit, ...entry.output_limit };
      if (isArray) {
        copy.env[ENV.ARRAY_INDEX] = index;
        copy.env[ENV.SEED] = seeds[index]!;
        out.push({
          id: `${baseId}_${index}`,
          baseId,
          index,
          arraySize: repeats,
          spec: copy,
          trackingSubdir: `${baseId}/${index}`,
          dependencies: structuredClone(dependencies),
        });
      } else {
        out.push({ id: baseId, baseId, spec: copy, trackingSubdir: baseId, dependencies: structuredClone(dependencies) });
      }
    }
  });
  return out;
}

function arraySeeds(spec: JobArray, random: () => number): number[] {
  const { seed = 'random', repeats } = spec;
  if (Array.isArray(seed)) return Array.from({ length: repeats }, (_, i) => seed[i % seed.length]!);
  if (typeof seed === 'number') return Array.from({ length: repeats }, (_, i) => seed + i);
  return Array.from({ length: repeats }, () => Math.floor(random() * 0x80000000) % 0x80000000);
}

/** Jobs a spec runs, as Python counts them: 1 per `!Job`, nested counts, × `repeats` for arrays. */
export function expectedJobs(spec: Spec): number {
  if (spec.kind === 'job') return 1;
  let total = 0;
  for (const entry of spec.jobs) total += expectedJobs(entry);
  return spec.kind === 'array' ? total * spec.repeats : total;
}

/** Megabytes of a memory request (decimal units: KB = 0.001 MB, GB = 1000 MB, TB = 1e6 MB). */
export function memoryMb(memory: Pick<Memory, 'size' | 'unit'>): number {
  const factor = MEMORY_UNITS_MB[memory.unit.trim().toUpperCase() as keyof typeof MEMORY_UNITS_MB];
  if (factor === undefined) return Number.NaN;
  return memory.size * factor;
}

export interface JobResources {
  /** Requested cores (0 = no request). */
  cores: number;
  /** Requested memory in MB (0 = no request). */
  memoryMb: number;
  /** Seats per license name. */
  licenses: Record<string, number>;
}

/** What a job asks for. */
export function jobResources(job: Job): JobResources {
  const result: JobResources = { cores: 0, memoryMb: 0, licenses: {} };
  for (const resource of job.resources) {
    if (resource.kind === 'cores') result.cores += resource.count;
    else if (resource.kind === 'memory') result.memoryMb += memoryMb(resource);
    else result.licenses[resource.name.trim()] = (result.licenses[resource.name.trim()] ?? 0) + resource.count;
  }
  return result;
}

/** Log rules with presets replaced by their patterns, in order (what a wrapper matches lines against). */
export function resolveLogRules(rules: readonly LogRule[] | undefined): PatternLogRule[] {
  const out: PatternLogRule[] = [];
  for (const rule of rules ?? []) {
    if ('preset' in rule) out.push(...LOG_RULE_PRESETS[rule.preset].map((r) => ({ pattern: r.pattern, severity: r.severity })));
    else out.push({ pattern: rule.pattern, severity: rule.severity });
  }
  return out;
}

/**
 * The YAML work spec of Gator: types and schemas, loading with positions,
 * dumping in PyYAML's style, builders, tree helpers and `$VAR` expansion.
 */
export {
  CoresSchema,
  DurationSchema,
  EXTENSION_FIELDS,
  FIELD_ORDER,
  JOB_TAGS,
  JobArraySchema,
  JobGroupSchema,
  JobSchema,
  LicenseSchema,
  LimitsSchema,
  DEFAULT_OUTPUT_LIMIT,
  MIN_OUTPUT_LIMIT,
  OutputLimitSchema,
  SizeSchema,
  LOG_RULE_PRESET_NAMES,
  LOG_RULE_PRESETS,
  LogRuleSchema,
  MEMORY_UNITS_MB,
  MemorySchema,
  RESOURCE_TAGS,
  ResourceSchema,
  SeedSchema,
  SeverityNameSchema,
  SpecSchema,
  TAGS,
} from './schema.js';
export type {
  Cores,
  Job,
  JobArray,
  JobArrayInput,
  JobGroup,
  JobGroupInput,
  JobInput,
  License,
  Limits,
  OutputLimit,
  OutputLimitSetting,
  LogRule,
  LogRulePresetName,
  Memory,
  MemoryUnit,
  PatternLogRule,
  PresetLogRule,
  Resource,
  Spec,
  SpecInput,
  SpecKind,
} from './schema.js';
export { loadSpec, loadSpecFile, MAX_SPEC_CHARS, MAX_SPEC_DEPTH, MAX_SPEC_ALIAS_NODES } from './load.js';
export { dumpSpec } from './dump.js';
export { array, cores, group, job, license, memory, validateSpec } from './build.js';
export { childEntries, expectedJobs, jobResources, memoryMb, resolveLogRules } from './tree.js';
export type { ChildDependencies, ChildEntriesOptions, ChildEntry, JobResources } from './tree.js';
export { parseDuration } from './duration.js';
export { parseSize } from './size.js';
export { expandVariables, expansionProblem, shellQuote } from './expand.js';
export { SPEC_BOUNDS } from './bounds.js';
export type { SpecBounds } from './bounds.js';
export { IDENT_RULE, identProblem } from './ident.js';
export { compileLogPattern } from './log-pattern.js';
export type { LogPattern } from './log-pattern.js';
export { checkChildIds } from './check.js';

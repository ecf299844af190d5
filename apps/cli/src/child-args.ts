/**
 * The child command line parsed without the CLI's command parser: a child
 * process (and a wrapper hosted in-process) reads the same two option tables
 * with Node's own `util.parseArgs`, so starting a layer loads no command
 * framework, help text or renderer.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LAYER_FLAGS, UsageError, type FlagSpec } from '@gator/protocol';
import { ROOT_FLAGS, readRunOptions, type RunOptions } from './options.js';

interface Parsed {
  long: string;
  short?: string;
  takesValue: boolean;
  spec: FlagSpec;
}

/** `-v, --verbose` → long `verbose`, short `v`; `<value>` or `[value]` → takes a value. */
function parsedFlags(): Parsed[] {
  return ([...LAYER_FLAGS, ...ROOT_FLAGS] as readonly FlagSpec[]).map((spec) => {
    const long = /--([a-z][a-z-]*)/.exec(spec.flag)![1]!;
    const short = /(?:^|\s)-([a-zA-Z]),/.exec(spec.flag)?.[1];
    return { long, ...(short ? { short } : {}), takesValue: /[<[]/.test(spec.flag), spec };
  });
}

let config: ParseArgsConfig['options'] | undefined;

/** `[SPEC] --parent H:P --id ID …` → the optional SPEC and the checked options. */
export function parseChildArgv(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { spec: string | undefined; options: RunOptions } {
  const flags = parsedFlags();
  config ??= Object.fromEntries(
    flags.map((f) => [f.long, { type: f.takesValue ? 'string' : 'boolean', multiple: true, ...(f.short ? { short: f.short } : {}) }] as const),
  );
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}`, { hint: 'gator run --help lists the options.' });
  }
  if (positionals.length > 1) throw new UsageError(`Unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const raw: Record<string, unknown> = {};
  for (const f of flags) {
    const value = values[f.long] as unknown[] | undefined;
    if (value === undefined) continue;
    raw[f.spec.key] = f.spec.list ? value : value[value.length - 1];
  }
  return { spec: positionals[0], options: readRunOptions(raw, env) };
}

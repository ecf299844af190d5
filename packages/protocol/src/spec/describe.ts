/**
 * Shared vocabulary of spec messages: how a found value is named in
 * "expected …, found …", how a path is written, and the boxed float that
 * keeps YAML's `1.0` apart from the integer `1` (Python rejects floats where
 * it wants ints; JavaScript numbers cannot tell them apart).
 */

/** A YAML float whose value happens to be integral (`1.0`, `1e3`): not an int for validation. */
export class YamlFloat {
  constructor(
    readonly value: number,
    readonly source: string,
  ) {}
}

/** Number of the found value, unboxing YAML floats (for fields that accept floats). */
export function unboxFloat(value: unknown): unknown {
  return value instanceof YamlFloat ? value.value : value;
}

const TAG_OF_KIND: Record<string, string> = {
  job: '!Job',
  group: '!JobGroup',
  array: '!JobArray',
  cores: '!Cores',
  memory: '!Memory',
  license: '!License',
};

export function tagOfKind(kind: unknown): string | undefined {
  return typeof kind === 'string' ? TAG_OF_KIND[kind] : undefined;
}

/** How a found value is named in messages: `42`, `the string "x"`, `a boolean (true)`, `a !Cores`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (value instanceof YamlFloat) return `the float ${value.source}`;
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return `the float ${String(value)}`;
  }
  if (typeof value === 'boolean') return `a boolean (${value}; YAML 1.1 reads yes/no/on/off as booleans, quote it for a string)`;
  if (typeof value === 'bigint') return `the integer ${value}`;
  if (value instanceof Date) {
    const iso = Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString().replace(/T00:00:00\.000Z$/, '');
    return `a date (${iso}; quote it for a string)`;
  }
  if (value instanceof Uint8Array) return 'binary data';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') {
    const tag = tagOfKind((value as { kind?: unknown }).kind);
    if (tag) return `a ${tag}`;
    return 'an untagged mapping';
  }
  return typeof value;
}

/** `['jobs', 1, 'on_pass', 0]` → `jobs[1].on_pass[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part))) out += out ? `.${String(part)}` : String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

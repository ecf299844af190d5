/**
 * `dumpSpec`: a spec as YAML in PyYAML's dumper style (spec-format.md §10), so a
 * Python Gator child can load what a Gator parent sends, and `loadSpec` reads
 * it back identically: block style, keys sorted, every Python field present,
 * tags on objects, resources in mapping form, Gator extensions only when set.
 */
import { Document, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { EXTENSION_FIELDS, FIELD_ORDER, TAGS, type Resource, type Spec, type SpecKind } from './schema.js';

/**
 * Plain scalars that PyYAML's or our YAML 1.1 resolver would read as something
 * other than a string (bool, int, float, null, timestamp, merge, value): such
 * strings must be quoted.
 */
const RETYPED_PLAIN = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<|=|!|&|\*|~|null|Null|NULL|)$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
];

/** Characters PyYAML does not accept in plain scalars, or that a reader could lose. */
const NEEDS_ESCAPE = /[\t\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udfff]/;

function stringNode(value: string): Scalar {
  const node = new Scalar(value);
  if (RETYPED_PLAIN.some((re) => re.test(value)) || NEEDS_ESCAPE.test(value)) node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

function valueNode(value: unknown): Scalar | YAMLMap | YAMLSeq {
  if (value === null || value === undefined) return new Scalar(null);
  if (typeof value === 'string') return stringNode(value);
  if (typeof value === 'number' || typeof value === 'boolean') return new Scalar(value);
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value) seq.items.push(valueNode(item));
    return seq;
  }
  if (typeof value === 'object') {
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind === 'string' && kind in TAGS) return taggedNode(value as Record<string, unknown>, kind as SpecKind);
    return mappingNode(Object.entries(value as Record<string, unknown>));
  }
  return stringNode(String(value));
}

function mappingNode(entries: [string, unknown][]): YAMLMap {
  const map = new YAMLMap();
  // PyYAML sorts by code point, as does a plain comparison.
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    map.items.push(new Pair(stringNode(key), valueNode(value)));
  }
  return map;
}

function taggedNode(object: Record<string, unknown>, kind: SpecKind): YAMLMap {
  const entries: [string, unknown][] = FIELD_ORDER[kind].map((field) => [field, object[field] ?? defaultOf(field)]);
  for (const field of EXTENSION_FIELDS[kind] as readonly string[]) {
    if (object[field] !== undefined) entries.push([field, object[field]]);
  }
  const map = mappingNode(entries);
  map.tag = TAGS[kind];
  return map;
}

function defaultOf(field: string): unknown {
  switch (field) {
    case 'env':
      return {};
    case 'args':
    case 'resources':
    case 'jobs':
    case 'on_done':
    case 'on_fail':
    case 'on_pass':
      return [];
    default:
      return null;
  }
}

/** YAML text of a spec (or of one resource) that PyYAML and `loadSpec` both read back identically. */
export function dumpSpec(spec: Spec | Resource): string {
  // Without the merge tag, a `<<` string is quoted like any other re-typed string.
  const doc = new Document(null, {
    version: '1.1',
    customTags: (tags) => tags.filter((tag) => typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:merge'),
  });
  doc.contents = valueNode(spec) as never;
  return doc.toString({ lineWidth: 0, minContentWidth: 0, nullStr: 'null', indentSeq: true, directives: false });
}

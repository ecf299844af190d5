/**
 * Reading a spec: YAML 1.1 text → checked `Spec`, with every problem reported
 * at its `file:line:col` in one `SpecError`.
 *
 * The `yaml` package parses the text into nodes; this module walks those nodes
 * itself (instead of `toJS`) so that tags and positions survive: the result is
 * a plain tree whose tagged objects carry `kind`, plus a map from each field's
 * path to where it was written. The zod schemas and the relational checks then
 * run on that tree, and their issues are placed with the map.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { GatorError, SpecError, type SpecIssue } from '../errors.js';
import { SPEC_BOUNDS } from './bounds.js';
import { checkSpecTree, type RawIssue, type RawPath } from './check.js';
import { formatPath, YamlFloat } from './describe.js';
import { EXTENSION_FIELDS, FIELD_ORDER, TAGS, type Spec, type SpecKind } from './schema.js';

/** Deepest nesting of YAML collections accepted (a spec level is two: mapping + `jobs` list). */
export const MAX_SPEC_DEPTH = SPEC_BOUNDS.depth;
/** Most nodes reached through aliases (each expansion counts): bounds "billion laughs". */
export const MAX_SPEC_ALIAS_NODES = SPEC_BOUNDS.aliasNodes;
/** Largest spec text accepted, in characters (a file is also bounded in bytes: `SPEC_BOUNDS.fileBytes`). */
export const MAX_SPEC_CHARS = SPEC_BOUNDS.fileBytes;

const KIND_OF_TAG: Record<string, SpecKind> = Object.fromEntries(
  Object.entries(TAGS).map(([kind, tag]) => [tag, kind as SpecKind]),
);
const ALL_TAGS = Object.values(TAGS).join(', ');
const YAML_TAG = 'tag:yaml.org,2002:';
const SCALAR_CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'timestamp', 'binary'].map((t) => YAML_TAG + t));
/**
 * PyYAML's implicit resolvers (resolver.py), which decide what a plain scalar
 * is. The `yaml` package's 1.1 schema differs in corners (`y`/`n` are booleans
 * there, `09` and `0:30` integers, `1e3` a float; all strings to PyYAML), and
 * Python Gator's reading is the reference.
 */
const PY_RESOLVERS: [string, RegExp][] = [
  ['bool', /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/],
  [
    'float',
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  ],
  ['int', /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/],
  ['null', /^(?:~|null|Null|NULL|)$/],
  [
    'timestamp',
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  ],
];

function pyResolve(source: string): string {
  for (const [type, re] of PY_RESOLVERS) if (re.test(source)) return type;
  return 'str';
}

/** A number from PyYAML-style source, for the few the `yaml` package reads differently. */
function pyNumber(source: string, type: 'int' | 'float'): number {
  const clean = source.replace(/_/g, '');
  if (type === 'float') {
    if (clean.includes(':')) return sexagesimal(clean);
    return Number(clean.replace(/^([-+]?)\.(inf|Inf|INF)$/, '$1Infinity').replace(/^\.(nan|NaN|NAN)$/, 'NaN'));
  }
  if (clean.includes(':')) return sexagesimal(clean);
  const sign = clean.startsWith('-') ? -1 : 1;
  const digits = clean.replace(/^[-+]/, '');
  if (/^0b/.test(digits)) return sign * parseInt(digits.slice(2), 2);
  if (/^0x/.test(digits)) return sign * parseInt(digits.slice(2), 16);
  if (/^0[0-7]/.test(digits)) return sign * parseInt(digits.slice(1), 8);
  return sign * parseInt(digits, 10);
}

function sexagesimal(clean: string): number {
  const sign = clean.startsWith('-') ? -1 : 1;
  let value = 0;
  for (const part of clean.replace(/^[-+]/, '').split(':')) value = value * 60 + Number(part);
  return sign * value;
}

/** Marks a value the walker already reported; its subtree's schema issues are dropped. */
class Reported {}
const REPORTED = new Reported();

class Abort extends Error {}

interface Position {
  line: number;
  column: number;
}

/**
 * Parse and check a spec. Throws `SpecError` listing every problem (never any
 * other error). `file` is only used in messages.
 */
export function loadSpec(text: string, file = '<spec>'): Spec {
  try {
    return new SpecReader(text, file).read();
  } catch (error) {
    if (error instanceof SpecError) throw error;
    const message =
      error instanceof RangeError
        ? 'the document is nested too deeply or too large to read'
        : `the spec could not be read (${error instanceof Error ? error.message : String(error)})`;
    throw new SpecError([{ file, line: 0, column: 0, path: '', message }], { cause: error });
  }
}

/**
 * Read and load a spec file. A missing or unreadable file, or one that is not
 * a regular file (a directory, a device such as /dev/zero, a FIFO, a socket),
 * is a `GatorError` with code `GATOR_SPEC_NOT_FOUND`; a file larger than
 * `SPEC_BOUNDS.fileBytes` is a `SpecError`. Neither reads more than the bound,
 * nor waits: a FIFO is refused before it is opened.
 */
export function loadSpecFile(path: string): Spec {
  let bytes: Buffer;
  try {
    bytes = readSpecBytes(path);
  } catch (error) {
    if (error instanceof GatorError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory, not a spec file'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : `could not be read (${(error as Error).message})`;
    throw new GatorError('GATOR_SPEC_NOT_FOUND', `Spec file ${path} ${why}`, {
      hint: 'Give the path of a YAML spec whose root is !Job, !JobGroup or !JobArray.',
      cause: error,
    });
  }
  if (bytes.length > SPEC_BOUNDS.fileBytes) throw tooLarge(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SpecError([{ file: path, line: 0, column: 0, path: '', message: 'expected a YAML text file (UTF-8), found binary data' }]);
  }
  return loadSpec(text, path);
}

function describeFileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function tooLarge(path: string): SpecError {
  return new SpecError([{ file: path, line: 0, column: 0, path: '', message: `the spec file is too large (more than ${SPEC_BOUNDS.fileBytes} bytes, the most a spec may have)` }]);
}

function notRegular(path: string, stats: Stats): GatorError {
  return new GatorError('GATOR_SPEC_NOT_FOUND', `Spec file ${path} is ${describeFileType(stats)}, not a regular file`, {
    hint: 'Give the path of a YAML spec file (a regular file) whose root is !Job, !JobGroup or !JobArray.',
  });
}

/**
 * At most `SPEC_BOUNDS.fileBytes + 1` bytes of a regular file (one more than
 * allowed, to tell "too large"). The type is checked before opening (a FIFO's
 * open would wait for a writer) and again on the opened descriptor (the path
 * may have been swapped in between); `O_NONBLOCK` keeps that open from waiting.
 */
function readSpecBytes(path: string): Buffer {
  const before = statSync(path);
  if (!before.isFile()) throw notRegular(path, before);
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(path, stats);
    if (stats.size > SPEC_BOUNDS.fileBytes) throw tooLarge(path); // known without reading
    // Read to the bound, not to st_size: a file in /proc reports 0 and still has content.
    const limit = SPEC_BOUNDS.fileBytes + 1;
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < limit) {
      const chunk = Buffer.allocUnsafe(Math.min(limit - total, 1024 * 1024));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Where each issue lands, given the positions the walker recorded. */
export class PositionIndex {
  readonly values = new Map<string, Position>();
  readonly keys = new Map<string, Position>();

  /** Position of the value at `path`, else of the nearest enclosing value. */
  locate(path: RawPath): Position {
    for (let n = path.length; n >= 0; n--) {
      const found = this.values.get(formatPath(path.slice(0, n)));
      if (found) return found;
    }
    return { line: 0, column: 0 };
  }

  /** Position of the key `key` of the mapping at `path` (for unknown keys). */
  locateKey(path: RawPath, key: string): Position {
    return this.keys.get(formatPath([...path, key])) ?? this.locate(path);
  }
}

class SpecReader {
  private readonly issues: SpecIssue[] = [];
  private readonly lines = new LineCounter();
  private readonly positions = new PositionIndex();
  /** Paths (formatted) already reported by the walker. */
  private readonly reported: string[] = [];
  private doc!: Document.Parsed;
  private aliasTargets = new Map<Alias, YamlNode>();
  private aliasNodes = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  read(): Spec {
    const { text } = this;
    if (typeof text !== 'string') {
      this.fail('expected the spec as text');
    }
    if (text.length > MAX_SPEC_CHARS) {
      this.fail(`the spec is too large (${text.length} characters; at most ${MAX_SPEC_CHARS})`);
    }
    // YAML forbids these control characters; their presence means the input is not a text file.
    const binary = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/.exec(text);
    if (binary) {
      const code = binary[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      const before = text.slice(0, binary.index);
      const line = before.split('\n').length;
      const column = binary.index - before.lastIndexOf('\n');
      this.issues.push({ file: this.file, line, column, path: '', message: `expected YAML text, found binary data (control character U+${code})` });
      throw new SpecError(this.issues);
    }
    if (text.trim() === '') {
      this.fail('the spec is empty: expected a document whose root is !Job, !JobGroup or !JobArray');
    }

    this.doc = parseDocument(text, {
      version: '1.1',
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
      merge: false,
      keepSourceTokens: false,
    });
    for (const error of this.doc.errors) {
      if (/call stack/i.test(error.message)) {
        this.issueAtOffset(error.pos[0], '', `the document is nested too deeply to read (more than ${MAX_SPEC_DEPTH} levels are not supported)`);
        break;
      }
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      this.issueAtOffset(error.pos[0], '', `YAML syntax error: ${message}`);
    }
    if (this.issues.length > 0) throw new SpecError(this.sorted());

    const root = this.doc.contents;
    if (root === null || (isScalar(root) && root.value === null && !root.tag)) {
      this.fail('the spec is empty: expected a document whose root is !Job, !JobGroup or !JobArray');
    }
    this.indexAliases();

    let raw: unknown;
    try {
      raw = this.convert(root as YamlNode, [], 0);
    } catch (error) {
      if (!(error instanceof Abort)) throw error;
      throw new SpecError(this.sorted());
    }
    if (raw !== REPORTED) {
      const kind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined;
      if (kind !== 'job' && kind !== 'group' && kind !== 'array') {
        const found = kind ? `${TAGS[kind as SpecKind]}` : describeRoot(root as YamlNode);
        this.issueAt([], `expected the root to be !Job, !JobGroup or !JobArray, found ${found}`);
        throw new SpecError(this.sorted());
      }
    }

    const checked = checkSpecTree(raw);
    for (const issue of checked.schemaIssues) this.addSchemaIssue(issue);
    for (const issue of checked.relationIssues) this.addRaw(issue);
    if (this.issues.length > 0 || !checked.spec) throw new SpecError(this.sorted());
    return checked.spec;
  }

  // ------------------------------------------------------------ issues

  private fail(message: string): never {
    this.issues.push({ file: this.file, line: 0, column: 0, path: '', message });
    throw new SpecError(this.issues);
  }

  private issueAtOffset(offset: number, path: string, message: string): void {
    const { line, col } = offset >= 0 ? this.lines.linePos(offset) : { line: 0, col: 0 };
    this.issues.push({ file: this.file, line, column: col, path, message });
  }

  private issueAt(path: RawPath, message: string, position?: Position): void {
    const at = position ?? this.positions.locate(path);
    this.issues.push({ file: this.file, line: at.line, column: at.column, path: formatPath(path), message });
  }

  private report(path: RawPath, message: string, position?: Position): typeof REPORTED {
    this.reported.push(formatPath(path));
    this.issueAt(path, message, position);
    return REPORTED;
  }

  private isUnderReported(path: string): boolean {
    return this.reported.some((p) => p === '' || path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
  }

  private addRaw(issue: RawIssue): void {
    if (this.isUnderReported(formatPath(issue.path))) return;
    this.issueAt(issue.path, issue.message);
  }

  private addSchemaIssue(issue: { path: PropertyKey[]; message: string; code: string; keys?: string[] }): void {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    // A wrong or missing tag is reported at the object, not at its hidden `kind`.
    if (path[path.length - 1] === 'kind' && issue.code !== 'unrecognized_keys') path.pop();
    if (this.isUnderReported(formatPath(path))) return;
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      const allowed = / allowed keys .*$/.exec(issue.message)?.[0] ?? '';
      for (const key of issue.keys) {
        this.issueAt([...path, key], `unknown key '${key}';${allowed}`, this.positions.locateKey(path, key));
      }
      return;
    }
    if (issue.code === 'invalid_key' && path.length > 0) {
      // A bad key (an environment name) is reported where the key is written.
      const key = String(path[path.length - 1]);
      this.issueAt(path, issue.message, this.positions.locateKey(path.slice(0, -1), key));
      return;
    }
    this.issueAt(path, issue.message);
  }

  private sorted(): SpecIssue[] {
    const seen = new Set<string>();
    return this.issues
      .map((issue, order) => ({ issue, order }))
      .sort((a, b) => a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.order - b.order)
      .map(({ issue }) => issue)
      .filter((issue) => {
        const key = `${issue.line}:${issue.column}:${issue.path}:${issue.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  }

  // ------------------------------------------------------------ walking

  private indexAliases(): void {
    const anchors = new Map<string, YamlNode>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (target) this.aliasTargets.set(node, target);
        } else if (node.anchor) {
          anchors.set(node.anchor, node);
        }
      },
    });
  }

  private position(node: YamlNode | null | undefined): Position | undefined {
    let offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    // A tagged node starts at its value; point at the tag (`- !Job` rather than the first key below it).
    const tag = node?.tag === undefined ? undefined : displayTag(node.tag);
    if (tag !== undefined && tag.startsWith('!')) {
      const at = this.text.lastIndexOf(tag, offset);
      if (at >= 0 && offset - at < 256 && /^(?:\s|&\S+|#[^\n]*)*$/.test(this.text.slice(at + tag.length, offset))) offset = at;
    }
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private record(path: RawPath, node: YamlNode | null | undefined, fallback?: Position): void {
    const key = formatPath(path);
    if (this.positions.values.has(key)) return;
    const at = this.position(node) ?? fallback;
    if (at) this.positions.values.set(key, at);
  }

  private convert(node: YamlNode | null, path: RawPath, depth: number, viaAlias = false): unknown {
    if (viaAlias && ++this.aliasNodes > MAX_SPEC_ALIAS_NODES) {
      const at = this.position(node) ?? this.positions.locate(path);
      this.issues.push({ file: this.file, ...at, path: '', message: `the document is too large once aliases are expanded (more than ${MAX_SPEC_ALIAS_NODES} values reached through aliases)` });
      throw new Abort();
    }
    if (depth > MAX_SPEC_DEPTH) {
      const at = this.position(node) ?? this.positions.locate(path);
      this.issues.push({ file: this.file, ...at, path: '', message: `the document is nested too deeply (more than ${MAX_SPEC_DEPTH} levels)` });
      throw new Abort();
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      this.record(path, node);
      const target = this.aliasTargets.get(node);
      if (!target) return this.report(path, `unknown alias *${node.source}`);
      return this.convert(target, path, depth + 1, true);
    }
    this.record(path, node);
    const tag = node.tag;
    const localTag = tag !== undefined && tag.startsWith('!') ? tag : undefined;
    if (localTag !== undefined && !(localTag in KIND_OF_TAG)) {
      return this.report(path, `unknown tag ${localTag}; the allowed tags are ${ALL_TAGS}`);
    }
    if (isScalar(node)) {
      if (localTag !== undefined) {
        return this.report(
          path,
          `${localTag} needs a mapping or a list (e.g. ${example(KIND_OF_TAG[localTag]!)}), found the scalar ${JSON.stringify(String(node.source ?? node.value))}`,
        );
      }
      if (tag !== undefined && !SCALAR_CORE_TAGS.has(tag)) {
        return this.report(path, `unsupported tag ${displayTag(tag)} on a scalar; the allowed tags are ${ALL_TAGS}`);
      }
      return this.scalarValue(node);
    }
    if (isMap(node)) {
      if (tag !== undefined && localTag === undefined && tag !== `${YAML_TAG}map`) {
        return this.report(path, `unsupported tag ${displayTag(tag)} on a mapping; the allowed tags are ${ALL_TAGS}`);
      }
      const kind = localTag === undefined ? undefined : KIND_OF_TAG[localTag];
      const fields = this.convertMapping(node, path, depth, kind, viaAlias);
      return kind === undefined ? fields : { kind, ...fields };
    }
    if (isSeq(node)) {
      if (tag !== undefined && localTag === undefined && tag !== `${YAML_TAG}seq`) {
        return this.report(path, `unsupported tag ${displayTag(tag)} on a list; the allowed tags are ${ALL_TAGS}`);
      }
      if (localTag !== undefined) {
        const kind = KIND_OF_TAG[localTag]!;
        const order = FIELD_ORDER[kind];
        const fields: Record<string, unknown> = {};
        node.items.forEach((item, index) => {
          if (index >= order.length) {
            this.report([...path, index], `too many values for ${localTag}: its list form takes ${order.join(', ')} (in this order)`, this.position(item as YamlNode));
            return;
          }
          const field = order[index]!;
          this.record([...path, field], item as YamlNode);
          fields[field] = this.convert(item as YamlNode, [...path, field], depth + 1, viaAlias);
        });
        return { kind, ...fields };
      }
      return node.items.map((item, index) => this.convert(item as YamlNode, [...path, index], depth + 1, viaAlias));
    }
    return this.report(path, 'expected a YAML value');
  }

  /** A scalar's value as PyYAML would construct it. */
  private scalarValue(node: { value: unknown; source?: string; type?: string; tag?: string }): unknown {
    const { value } = node;
    if (node.tag === `${YAML_TAG}float`) {
      return typeof value === 'number' && Number.isInteger(value) ? new YamlFloat(value, String(node.source)) : value;
    }
    if (node.tag !== undefined || node.type !== 'PLAIN') return value;
    const source = typeof value === 'string' ? value : String(node.source ?? '');
    const type = pyResolve(source);
    switch (type) {
      case 'str':
        return typeof value === 'string' ? value : source;
      case 'bool':
        return typeof value === 'boolean' ? value : /^(?:yes|true|on)$/i.test(source);
      case 'null':
        return null;
      case 'int':
        return typeof value === 'number' && Number.isInteger(value) ? value : pyNumber(source, 'int');
      case 'float': {
        const number = typeof value === 'number' ? value : pyNumber(source, 'float');
        return Number.isInteger(number) ? new YamlFloat(number, source) : number;
      }
      default:
        return value;
    }
  }

  private convertMapping(
    node: { items: { key: unknown; value: unknown }[] },
    path: RawPath,
    depth: number,
    kind: SpecKind | undefined,
    viaAlias: boolean,
  ): Record<string, unknown> {
    const fields: Record<string, unknown> = Object.create(null);
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const valueNode = pair.value as YamlNode | null;
      const keyPos = this.position(keyNode);
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.tag === undefined && keyNode.source === '<<') {
        merges.push(valueNode);
        continue;
      }
      let keyValue: unknown = isScalar(keyNode) ? this.scalarValue(keyNode) : isAlias(keyNode) ? undefined : null;
      if (isAlias(keyNode)) {
        const target = this.aliasTargets.get(keyNode);
        keyValue = isScalar(target) ? this.scalarValue(target) : undefined;
      }
      if (typeof keyValue !== 'string') {
        const shown = isScalar(keyNode) || isAlias(keyNode) ? String(isScalar(keyNode) ? keyNode.source ?? keyValue : keyValue) : 'a collection';
        this.issueAt(path, `expected a string key, found ${isScalar(keyNode) ? describeKey(keyValue) : shown}`, keyPos ?? this.positions.locate(path));
        continue;
      }
      const key = keyValue;
      const fieldPath = [...path, key];
      if (keyPos) this.positions.keys.set(formatPath(fieldPath), keyPos);
      if (key === '__proto__' || (kind !== undefined && key === 'kind')) {
        const allowed = kind === undefined ? '' : `; allowed keys of ${TAGS[kind]}: ${[...FIELD_ORDER[kind], ...EXTENSION_FIELDS[kind]].join(', ')}`;
        this.report(fieldPath, `unknown key '${key}'${allowed}`, keyPos);
        continue;
      }
      this.record(fieldPath, valueNode, keyPos);
      fields[key] = this.convert(valueNode, fieldPath, depth + 1, viaAlias);
    }
    // `<<: *defaults` (YAML 1.1 merge keys, as PyYAML): keys written here win, then earlier sources.
    for (const source of merges) {
      const sources = isSeq(source) ? (source.items as YamlNode[]) : [source as YamlNode];
      for (const item of sources) {
        const target = isAlias(item) ? this.aliasTargets.get(item) : item;
        if (!isMap(target)) {
          this.report(path, 'expected a mapping (or a list of mappings) after the merge key <<', this.position(item));
          continue;
        }
        const merged = this.convertMapping(target, path, depth + 1, kind, viaAlias || isAlias(item));
        for (const [key, value] of Object.entries(merged)) {
          if (!(key in fields)) fields[key] = value;
        }
      }
    }
    return Object.assign({}, fields);
  }
}

function displayTag(tag: string): string {
  return tag.startsWith(YAML_TAG) ? `!!${tag.slice(YAML_TAG.length)}` : tag;
}

function describeKey(value: unknown): string {
  if (value === null) return 'an empty key';
  if (typeof value === 'boolean') return `a boolean (${value}; quote the key)`;
  return String(value);
}

function describeRoot(node: YamlNode): string {
  if (isMap(node)) return 'an untagged mapping (start the document with a tag, e.g. !Job)';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return `the scalar ${JSON.stringify(String(node.source ?? node.value)).slice(0, 60)}`;
  return 'something else';
}

function example(kind: SpecKind): string {
  switch (kind) {
    case 'cores':
      return '!Cores [4] or !Cores {count: 4}';
    case 'memory':
      return '!Memory [2, GB] or !Memory {size: 2, unit: GB}';
    case 'license':
      return '!License [simtool, 1] or !License {name: simtool}';
    default:
      return `${TAGS[kind]} {...}`;
  }
}

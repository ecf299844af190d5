/**
 * `$NAME` expansion in `command` and `args` (spec-format.md §5), done by Gator
 * before the job starts (no shell), and shell quoting of a command line for
 * display (the `cmd` attribute).
 */
import { GatorError } from '../errors.js';

const NAME = /[A-Za-z0-9_]/;

/**
 * Expand `$NAME`, `${NAME}`, `${NAME:-word}` / `${NAME-word}` (word when unset
 * or empty), `${NAME:=word}` (also sets NAME in `env`), `${NAME:+word}`,
 * `${NAME:?msg}` (error when unset or empty), `${#NAME}`, `${NAME:offset[:length]}`,
 * `${!NAME}` against `env`. `$$` is kept as `$$` (Python
 * Gator puts the wrapper's pid there, so `bash -c 'kill $$'` killed the wrapper;
 * the shell a job runs expects to expand it itself). Unset names expand to
 * ''. `\$` is a literal `$`; a `$` that starts no reference is kept (as bash).
 * Words may contain references. An unclosed `${` or a failed `:?` throws a
 * `GatorError` with code `GATOR_SPEC_EXPAND` naming the variable.
 */
export function expandVariables(text: string, env: Record<string, string | number | undefined>): string {
  return new Expander(text, env).expandAll();
}

class Expander {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly env: Record<string, string | number | undefined>,
  ) {}

  expandAll(): string {
    return this.expandUntil(null);
  }

  /** Expand up to (not including) an unnested `stop` character, or to the end. */
  private expandUntil(stop: '}' | null): string {
    const { text } = this;
    let out = '';
    while (this.at < text.length) {
      const c = text[this.at]!;
      if (stop !== null && c === stop) return out;
      if (c === '\\' && text[this.at + 1] === '$') {
        out += '$';
        this.at += 2;
        continue;
      }
      if (c !== '$') {
        out += c;
        this.at++;
        continue;
      }
      const next = text[this.at + 1];
      if (next === '{') {
        out += this.braced();
      } else if (next === '$') {
        out += '$$';
        this.at += 2;
      } else if (next !== undefined && NAME.test(next)) {
        let end = this.at + 1;
        while (end < text.length && NAME.test(text[end]!)) end++;
        out += this.lookup(text.slice(this.at + 1, end));
        this.at = end;
      } else {
        out += '$';
        this.at++;
      }
    }
    if (stop !== null) throw this.unclosed();
    return out;
  }

  private lookup(name: string): string {
    const value = this.env[name];
    return value === undefined || value === null ? '' : String(value);
  }

  private unclosed(): GatorError {
    const name = /^\$\{[!#]?([A-Za-z0-9_]*)/.exec(this.text.slice(this.start))?.[1] ?? '';
    return new GatorError(
      'GATOR_SPEC_EXPAND',
      `Unclosed \${${name ? ` for variable ${name}` : ''} in ${JSON.stringify(this.text)}`,
      { hint: 'Close it with }, or write \\$ for a literal $.' },
    );
  }

  private start = 0;

  /** `${…}` starting at `this.at`. */
  private braced(): string {
    const { text } = this;
    const start = this.at;
    this.start = start;
    this.at += 2;
    let prefix = '';
    if (text[this.at] === '!' || text[this.at] === '#') prefix = text[this.at++]!;
    const nameStart = this.at;
    while (this.at < text.length && NAME.test(text[this.at]!)) this.at++;
    const name = text.slice(nameStart, this.at);
    if (this.at >= text.length) throw this.unclosed();
    if (name === '') {
      throw new GatorError('GATOR_SPEC_EXPAND', `Bad substitution ${JSON.stringify(text.slice(start, this.at + 1))} in ${JSON.stringify(text)}: expected a variable name after \${`);
    }
    const value = this.env[name];
    const isSet = value !== undefined && value !== null;
    const current = isSet ? String(value) : '';

    if (text[this.at] === '}') {
      this.at++;
      if (prefix === '#') return String(current.length);
      if (prefix === '!') return this.lookup(current);
      return current;
    }
    if (prefix !== '') {
      throw new GatorError('GATOR_SPEC_EXPAND', `Bad substitution ${JSON.stringify(text.slice(start))} for variable ${name}`);
    }

    // Operators: ':-' '-' ':=' '=' ':+' '+' ':?' '?' and ':offset[:length]'.
    let op = text[this.at]!;
    if (op === ':' && '-=+?'.includes(text[this.at + 1] ?? '')) {
      op = `:${text[this.at + 1]}`;
      this.at += 2;
    } else if ('-=+?'.includes(op)) {
      this.at += 1;
    } else if (op === ':') {
      this.at += 1;
      const spec = this.expandUntil('}');
      this.at++;
      return substring(current, spec, name);
    } else {
      throw new GatorError('GATOR_SPEC_EXPAND', `Bad substitution in ${JSON.stringify(text)}: unexpected ${JSON.stringify(op)} after variable ${name}`);
    }
    const saved = this.start;
    const word = this.expandUntil('}');
    this.start = saved;
    this.at++;
    // Like Python's expandvars: the default applies when unset OR empty, with or without ':'.
    const empty = current === '';
    switch (op) {
      case ':-':
      case '-':
        return empty ? word : current;
      case ':=':
      case '=':
        if (empty) {
          this.env[name] = word;
          return word;
        }
        return current;
      case ':+':
      case '+':
        return empty ? '' : word;
      default:
        if (empty) {
          throw new GatorError('GATOR_SPEC_EXPAND', `Variable ${name} is ${isSet ? 'empty' : 'not set'}${word ? `: ${word}` : ''}`, {
            hint: `Set ${name} in the env of the job or of an enclosing group.`,
          });
        }
        return current;
    }
  }
}

function substring(value: string, spec: string, name: string): string {
  const match = /^\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?$/.exec(spec);
  if (!match) throw new GatorError('GATOR_SPEC_EXPAND', `Bad substring \${${name}:${spec}}: expected :offset or :offset:length`);
  let offset = Number(match[1]);
  if (offset < 0) offset = Math.max(0, value.length + offset);
  if (match[2] === undefined) return value.slice(offset);
  const length = Number(match[2]);
  if (length < 0) return value.slice(offset, Math.max(offset, value.length + length));
  return value.slice(offset, offset + length);
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A command line for display, quoted like Python's `shlex.join` (`bash -c 'echo x >&2'`). */
export function shellQuote(argv: readonly (string | number)[]): string {
  return argv
    .map((arg) => {
      const text = String(arg);
      if (text === '') return "''";
      if (SAFE.test(text)) return text;
      return `'${text.replace(/'/g, `'"'"'`)}'`;
    })
    .join(' ');
}

/** Every name set (to `1`): what is left to fail is the syntax, not the environment. */
const ALL_SET: Record<string, string> = new Proxy({} as Record<string, string>, {
  get: (_target, name) => (typeof name === 'string' ? '1' : undefined),
  set: () => true,
});

/**
 * Why `text` could never expand (an unclosed `${`, a bad substitution), or
 * undefined. `${NAME:?msg}` is not a problem here: whether NAME is set is
 * known only when the job starts.
 */
export function expansionProblem(text: string): string | undefined {
  try {
    expandVariables(text, ALL_SET);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

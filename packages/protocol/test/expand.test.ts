import { describe, expect, it } from 'vitest';
import { expandVariables, GatorError, shellQuote } from '../src/index.js';

const env = { NAME: 'gator', EMPTY: '', N: 3, PATH_X: '/bin', REF: 'NAME' };

describe('expandVariables', () => {
  it.each([
    ['$NAME', 'gator'],
    ['${NAME}', 'gator'],
    ['x${NAME}y', 'xgatory'],
    ['$NAME_x', ''],
    ['${NAME}_x', 'gator_x'],
    ['$N', '3'],
    ['$UNSET', ''],
    ['${UNSET}', ''],
    ['${UNSET:-word}', 'word'],
    ['${UNSET-word}', 'word'],
    ['${EMPTY:-word}', 'word'],
    ['${EMPTY-word}', 'word'],
    ['${NAME:-word}', 'gator'],
    ['${UNSET:-$NAME/x}', 'gator/x'],
    ['${UNSET:-${N}}', '3'],
    ['${NAME:+set}', 'set'],
    ['${UNSET:+set}', ''],
    ['${#NAME}', '5'],
    ['${!REF}', 'gator'],
    ['${NAME:1:3}', 'ato'],
    ['${NAME:-2}', 'gator'],
    ['${NAME: -2}', 'or'],
    ['\\$NAME', '$NAME'],
    ['a\\b', 'a\\b'],
    ['cost $ 5', 'cost $ 5'],
    ['$(pwd)', '$(pwd)'],
    ['end$', 'end$'],
    ['100%', '100%'],
    ['$1', ''],
  ])('%s → %s', (input, output) => {
    expect(expandVariables(input, env)).toBe(output);
  });

  it('${NAME:=word} sets NAME in env', () => {
    const e: Record<string, string> = {};
    expect(expandVariables('${X:=1}-$X', e)).toBe('1-1');
    expect(e.X).toBe('1');
  });

  it('$$ is kept for the shell the job runs (Python puts the wrapper pid there)', () => {
    expect(expandVariables('$$', {})).toBe('$$');
  });

  it.each([['${NAME'], ['x ${UNSET:-abc'], ['${UNSET:?is required}'], ['${EMPTY?}'], ['${}'], ['${NAME/x/y}']])('%s throws GATOR_SPEC_EXPAND', (input) => {
    let caught: unknown;
    try {
      expandVariables(input, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatorError);
    expect((caught as GatorError).code).toBe('GATOR_SPEC_EXPAND');
  });

  it('names the variable in errors', () => {
    expect(() => expandVariables('${UNSET:?give it}', env)).toThrow('Variable UNSET is not set: give it');
    expect(() => expandVariables('a ${NAME', env)).toThrow(/Unclosed \$\{ for variable NAME/);
  });
});

describe('shellQuote', () => {
  it("quotes like Python's shlex.join", () => {
    expect(shellQuote(['bash', '-c', 'echo x >&2'])).toBe("bash -c 'echo x >&2'");
    expect(shellQuote(['echo', '', "it's", 42, 'a=b,c:d/e.f@g%h+i-j'])).toBe(`echo '' 'it'"'"'s' 42 a=b,c:d/e.f@g%h+i-j`);
    expect(shellQuote([])).toBe('');
  });
});

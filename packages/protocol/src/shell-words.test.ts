import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellWord as shellQuote, splitShellWords } from './shell-words.js';

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest so /bin/sh gives them back unchanged', () => {
    expect(shellQuote('--id')).toBe('--id');
    expect(shellQuote('/a/b.js')).toBe('/a/b.js');
    const words = ['', 'a b', "it's", '"dq"', '$HOME', '`date`', 'back\\slash', 'semi;colon', 'new\nline', '*', '~'];
    const out = execFileSync('/bin/sh', ['-c', `for w in ${shellCommand(words)}; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });
});

describe('splitShellWords', () => {
  it('splits on blanks and honours quotes and backslashes', () => {
    expect(splitShellWords('  --gres=gpu:1   --exclusive ')).toEqual(['--gres=gpu:1', '--exclusive']);
    expect(splitShellWords(`--comment='two words' --x="a \\"b\\" \\$c" d\\ e ''`)).toEqual([
      '--comment=two words',
      '--x=a "b" $c',
      'd e',
      '',
    ]);
    expect(splitShellWords('')).toEqual([]);
  });

  it('rejects an unterminated quote', () => {
    expect(() => splitShellWords(`--comment='oops`)).toThrow(/unterminated '/);
    expect(() => splitShellWords('--comment="oops')).toThrow(/unterminated "/);
  });
});

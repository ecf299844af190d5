import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeLines } from '../../src/render/terminal-text.js';
import { shellQuote } from '../../src/inspect/repro.js';

describe('terminalSafe (issue 17)', () => {
  it('shows every control character as an escape and leaves other text alone', () => {
    expect(terminalSafe('plain text, tabs\tand ünïcödé ✔')).toBe('plain text, tabs\tand ünïcödé ✔');
    expect(terminalSafe('\u001b]0;title\u0007\u001b[2J\u001b[31mred\u001b[0m')).toBe('\\x1b]0;title\\x07\\x1b[2J\\x1b[31mred\\x1b[0m');
    expect(terminalSafe('a\rb\nc\u0000d\u007fe\u009b31mf')).toBe('a\\rb\\nc\\x00d\\x7fe\\x9b31mf');
    expect(terminalSafe('abc\u202edcba\u2066x\u2069')).toBe('abc\\u202edcba\\u2066x\\u2069');
    expect(terminalSafeLines('line one\u001b[H\nline two')).toBe('line one\\x1b[H\nline two');
  });

  it('repro quotes a word holding control characters as $\'…\', so printing it is safe and pasting it gives the word back', () => {
    expect(shellQuote('ok')).toBe('ok');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("\u001b[2J it's")).toBe("$'\\x1b[2J it\\'s'");
  });
});

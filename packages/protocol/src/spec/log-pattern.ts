/**
 * `log_rules` patterns, matched in linear time. A wrapper matches every line
 * of job output against them, so a pattern that backtracks (`(a+)+$` on a
 * long line of a's) would freeze it, deaf to signals. Patterns are written
 * in JavaScript syntax and run on RE2 (re2js, a pure JavaScript port): time
 * linear in the line, whatever the pattern. A pattern is accepted only when
 * it is a valid JavaScript regular expression AND RE2 can run it, which
 * leaves out what needs backtracking (backreferences, lookahead, lookbehind)
 * and repetition counts above 1000. The spec's check and the wrapper compile
 * through this one function, so `validate` refuses exactly what a wrapper
 * could not run.
 */
import { RE2JS } from 're2js';
import { SPEC_BOUNDS } from './bounds.js';

/** A compiled pattern: `test(line)` is true when it matches anywhere in the line (as `RegExp.test`). */
export interface LogPattern {
  readonly source: string;
  test(line: string): boolean;
}

/** Letters that mean the same after `\` in JavaScript (without flags) and in RE2; other letter escapes differ. */
const SHARED_LETTER_ESCAPES = new Set('dDwWsSbBnrtfvxuc');

type Compiled = { pattern: LogPattern; problem?: undefined } | { pattern?: undefined; problem: string };

/** Compiled patterns by source: a tree's inherited rules are checked once per node, and compiling costs ~0.5 ms. */
const cache = new Map<string, Compiled>();
const CACHE_SIZE = 1024;

/** Compile `pattern`, or say why it cannot be run: `{ pattern }` or `{ problem }`. */
export function compileLogPattern(pattern: string): Compiled {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = compile(pattern);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled;
}

function compile(pattern: string): Compiled {
  if (pattern.length > SPEC_BOUNDS.logPatternChars) {
    return { problem: `the pattern is ${pattern.length} characters long (at most ${SPEC_BOUNDS.logPatternChars})` };
  }
  try {
    new RegExp(pattern);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  const divergent = divergentSyntax(pattern);
  if (divergent) return { problem: divergent };
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (error) {
    const why = (error as Error).message.replace(/^error parsing regexp: /, '');
    return { problem: `it cannot be matched in linear time (${why}); backreferences, lookahead (?= ?!), lookbehind (?<= ?<!) and repetition counts above 1000 are not supported` };
  }
  // `test` keeps no state between calls (unlike a global RegExp), so one compiled pattern serves every caller.
  return { pattern: { source: pattern, test: (line: string) => compiled.test(line) } };
}

/** Syntax both engines accept but read differently (so the spec would not mean what it says). */
function divergentSyntax(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[A-Za-z]/.test(next) && !SHARED_LETTER_ESCAPES.has(next)) {
        return `\\${next} is not an escape in JavaScript (it matches '${next}'), and RE2 reads it differently; write ${next} alone`;
      }
      const after = pattern.slice(i + 2);
      if ((next === 'x' && !/^[0-9A-Fa-f]{2}/.test(after)) || (next === 'u' && !/^[0-9A-Fa-f]{4}/.test(after)) || (next === 'c' && !/^[A-Za-z]/.test(after))) {
        return `\\${next} must be followed by ${next === 'x' ? 'two hex digits (\\x41)' : next === 'u' ? 'four hex digits (\\u0041)' : 'a letter (\\cA)'}`;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[' && pattern[i + 1] === ':') return 'a POSIX class ([:alpha:]) inside [...] is not one in JavaScript; list the characters instead';
    } else if (c === '[') {
      const negated = pattern[i + 1] === '^';
      if (negated) i++;
      // JavaScript closes a class at the first `]` (`[]` never matches, `[^]` is any character); RE2 takes it as a member.
      if (pattern[i + 1] === ']') {
        if (!negated) return 'the empty class [] never matches; write \\] for a literal ]';
        i++;
      } else {
        inClass = true;
      }
    }
  }
  return undefined;
}

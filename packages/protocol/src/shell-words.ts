/**
 * POSIX shell quoting for a cluster scheduler's job scripts, and the word
 * splitting of options such as `sbatch_args`/`qsub_args`: what every scheduler
 * that writes a script needs (`shellQuote` of the spec module quotes argv for
 * display instead).
 */

/** Quote one word for /bin/sh: everything literal inside single quotes. */
export function shellWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argv for /bin/sh. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}

/**
 * Split `text` into words the way a shell would, without expansions:
 * whitespace separates words, '…' is literal, "…" honours \" \\ \$ \`, and a
 * backslash outside quotes escapes the next character. Throws on an
 * unterminated quote.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' quote in: ${text}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) throw new Error(`unterminated " quote in: ${text}`);
      i = j;
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

import { describe, expect, it } from 'vitest';
import { LineSplitter, cutUtf8 } from './lines.js';

function split(chunks: (string | Buffer)[], max?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) splitter.push(typeof c === 'string' ? Buffer.from(c) : c);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and flushes a last line without newline', () => {
    expect(split(['hel', 'lo\nwor', 'ld\nlast'])).toEqual(['hello', 'world', 'last']);
    expect(split(['a', 'b', 'c'])).toEqual(['abc']);
  });

  it('strips CR of CRLF and trailing whitespace, skips blank lines, keeps leading whitespace', () => {
    expect(split(['one\r\n\r\n   \n  two  \t\r', '\nthree\r'])).toEqual(['one', '  two', 'three']);
  });

  it('decodes invalid UTF-8 as U+FFFD and keeps characters split across chunks', () => {
    const euro = Buffer.from('€');
    expect(split([Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)]), Buffer.concat([euro.subarray(1), Buffer.from('5\n')])])).toEqual(['price €5']);
    expect(split([Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a, 0xc3])])).toEqual(['a\ufffd\ufffdb', '\ufffd']);
  });

  it('cuts a long line at the cap and says how many bytes were dropped', () => {
    const line = 'x'.repeat(1000);
    expect(split([`${line}\nnext\n`], 300)).toEqual([`${'x'.repeat(300)} … [truncated 700 bytes]`, 'next']);
  });

  it('never buffers an endless line: the cut happens while it streams', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l), 1024);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 100; i++) splitter.push(chunk);
    expect((splitter as unknown as { partial: string }).partial.length).toBeLessThanOrEqual(1024);
    splitter.push(Buffer.from('tail\nnext'));
    splitter.end();
    expect(lines).toEqual([`${'A'.repeat(1024)} … [truncated ${100 * 64 * 1024 - 1024 + 4} bytes]`, 'next']);
  });

  it('counts bytes, not characters, and never splits a character', () => {
    expect(cutUtf8('ééé', 5)).toBe('éé');
    expect(split([`${'é'.repeat(200)}\n`], 301)).toEqual([`${'é'.repeat(150)} … [truncated 100 bytes]`]);
  });
});

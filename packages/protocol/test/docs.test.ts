// The documents that list what the code lists: forgetting one of them must fail a test.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, ERROR_CODES, PythonSummarySchema, SERVED_BY, SummarySchema } from '../src/index.js';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs');

/** The first column (`action`) of the table under a heading. */
function tableActions(text: string, heading: string): string[][] {
  const at = text.indexOf(heading);
  expect(at, `docs/protocol.md has a section '${heading}'`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of text.slice(at).split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const name = /^`([a-z_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (name) rows.push([name, ...cells.slice(1)]);
  }
  return rows;
}

describe('docs/protocol.md', () => {
  const text = fs.readFileSync(path.join(docs, 'protocol.md'), 'utf8');

  it('has one table per direction, listing exactly what each side serves', () => {
    expect(tableActions(text, '### Job → wrapper').map((r) => r[0])).toEqual([...SERVED_BY.wrapperServer]);
    expect(tableActions(text, '### Child → parent').map((r) => r[0])).toEqual([...SERVED_BY.tierServer]);
    const down = tableActions(text, '### Parent → child');
    expect(down.filter((r) => r[1] === 'yes').map((r) => r[0]).sort()).toEqual([...SERVED_BY.wrapperUplink].sort());
    expect(down.filter((r) => r[2] === 'yes').map((r) => r[0]).sort()).toEqual([...SERVED_BY.tierUplink].sort());
  });

  it('lists every Summary extension, field for field', () => {
    const extensions = Object.keys(SummarySchema.shape).filter((k) => !(k in PythonSummarySchema.shape));
    const listed = tableActions(text, '## Summary extensions').map((r) => r[0]);
    expect(listed).toEqual(extensions);
  });

  it('every action is served by some side', () => {
    const served = new Set(Object.values(SERVED_BY).flat());
    expect(ACTION_NAMES.filter((a) => !served.has(a))).toEqual([]);
  });
});

describe('docs/errors.md', () => {
  it('is the error catalogue, code for code', () => {
    const text = fs.readFileSync(path.join(docs, 'errors.md'), 'utf8');
    const table = text.slice(text.indexOf('<!-- error-codes:start -->'), text.indexOf('<!-- error-codes:end -->'));
    const rows = table
      .split('\n')
      .map((line) => /^\| `([A-Z_]+)` \| ([12]) \| (.*) \|$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1], Number(m[2]), m[3]]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, e]) => [code, e.exit, e.meaning]));
  });
});

describe('docs/protocol.md: job ends', () => {
  it("the live stream's ends have their own section", () => {
    const text = fs.readFileSync(path.join(docs, 'protocol.md'), 'utf8');
    expect(text).toContain('## Job ends (`ends`)');
  });
});

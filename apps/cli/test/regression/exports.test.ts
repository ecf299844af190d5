/** Issue 10.9: CI-sized exports — Markdown and JUnit fit a byte budget, failures and buckets first, long output cut with a pointer. */
import fs from 'node:fs';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { gator, tempDir } from '../helpers.js';
import { runSpec, shown } from './support.js';

// Six long error lines (1,500 characters each); two kinds of first error.
const NOISY_SH = `#!/bin/bash
pad=$(printf 'x%.0s' $(seq 1500))
if [ $((GATOR_ARRAY_INDEX % 2)) = 0 ]; then kind="Assertion failed at tb/a.sv:$GATOR_ARRAY_INDEX"; else kind="Timeout after \${GATOR_ARRAY_INDEX}00ns"; fi
echo "$kind $pad" >&2
for i in 1 2 3 4 5; do echo "error detail $i $pad" >&2; done
exit 1
`;

const size = (file: string) => fs.statSync(file).size;

describe('export budgets', () => {
  it('fits Markdown and JUnit into 65,535 bytes by default and into --max-bytes, failures and buckets first', async () => {
    const dir = tempDir('gator-regression-');
    fs.writeFileSync(path.join(dir, 'noisy.sh'), NOISY_SH, { mode: 0o755 });
    const run = await runSpec(
      `
!JobGroup
ident: ci
jobs:
  - !JobArray {ident: bad, repeats: 12, jobs: [!Job {ident: t, command: bash, args: [noisy.sh]}]}
  - !JobArray {ident: good, repeats: 2, jobs: [!Job {ident: t, command: echo, args: [fine]}]}
`,
      { dir },
    );
    expect(run.code, shown(run)).toBe(1);
    const db = path.join(run.tracking, 'db.sqlite');

    const full = await gator(['export', run.tracking, '--json', 'full.json', '--markdown', 'ci.md', '--junit', 'ci.xml'], { cwd: dir });
    expect(full.code, shown(full)).toBe(0);
    // Everything is far more than the budget; the budgeted files are not.
    expect(size(path.join(dir, 'full.json'))).toBeGreaterThan(65_535);
    expect(size(path.join(dir, 'ci.md'))).toBeLessThanOrEqual(65_535);
    expect(size(path.join(dir, 'ci.xml'))).toBeLessThanOrEqual(65_535);

    const md = fs.readFileSync(path.join(dir, 'ci.md'), 'utf8');
    expect(md).toContain(`Run database: \`${db}\``);
    expect(md).toContain('## Failures (12)');
    expect(md).toMatch(/\[cut; gator logs \S+ ci\.bad\.t_\d+\]/);
    const order = ['## Failures', '## Failure buckets'].map((h) => md.indexOf(h));
    expect(order[0]).toBeGreaterThan(0);
    expect(order[1]).toBeGreaterThan(order[0]!);
    expect(md).toMatch(/^\| 6 \| `Assertion failed at <path>:<n> x+…` \|/m);
    expect(md).toMatch(/^\| 6 \| `Timeout after <n>ns x+…` \|/m);
    if (md.includes('## Jobs')) expect(md.indexOf('## Jobs')).toBeGreaterThan(order[1]!);

    const xml = fs.readFileSync(path.join(dir, 'ci.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.match(/<failure /g)).toHaveLength(12);

    // A tight budget: still the verdict, the failures (as many as fit) and the buckets.
    const small = await gator(['export', run.tracking, '--max-bytes', '4000', '--markdown', 'small.md', '--junit', 'small.xml'], { cwd: dir });
    expect(small.code, shown(small)).toBe(0);
    expect(size(path.join(dir, 'small.md'))).toBeLessThanOrEqual(4000);
    expect(size(path.join(dir, 'small.xml'))).toBeLessThanOrEqual(4000);
    const smallMd = fs.readFileSync(path.join(dir, 'small.md'), 'utf8');
    expect(smallMd).toContain('## Failures (12)');
    expect(smallMd).toContain(`more failure(s), left out to fit 4000 bytes: \`gator show ${run.tracking}\``);
    expect(smallMd).toContain('## Failure buckets');
    expect(XMLValidator.validate(fs.readFileSync(path.join(dir, 'small.xml'), 'utf8'))).toBe(true);

    // Too small for even the skeleton: a usage error, and nothing written.
    const tiny = await gator(['export', run.tracking, '--max-bytes', '100', '--markdown', 'tiny.md'], { cwd: dir });
    expect(tiny.code, shown(tiny)).toBe(2);
    expect(tiny.stderr).toMatch(/--max-bytes 100 is too small for the Markdown export/);
    expect(fs.existsSync(path.join(dir, 'tiny.md'))).toBe(false);
  });
});

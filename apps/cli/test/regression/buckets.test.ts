/** Issue 10.6: failure buckets, counted per group as jobs finish, shown live, in the summary, in gator show and the JSON export. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gator, tempDir } from '../helpers.js';
import { attributesOf, runSpec, shown, summaryOf } from './support.js';

// Three kinds of first error, each varying in paths, numbers, hex and times.
const FAIL_SH = `#!/bin/bash
i=$GATOR_ARRAY_INDEX
case "$1" in
  mod3) k=$((i % 3)) ;;
  two) if [ "$i" -lt 3 ]; then k=0; else k=2; fi ;;
esac
case $k in
  0) echo "Assertion failed at /work/tb/check_$i.sv:$((100 + i))" >&2 ;;
  1) echo "Timeout after $((1000 * (i + 1)))ns waiting for ack" >&2 ;;
  2) printf 'Mismatch at 12:%02d:56: expected 0xdead%d got 0xbeef\n' "$i" "$i" >&2 ;;
esac
echo "detail line $i" >&2
exit 1
`;

const ASSERTION = 'Assertion failed at <path>:<n>';
const TIMEOUT = 'Timeout after <n>ns waiting for ack';
const MISMATCH = 'Mismatch at <time>: expected <hex> got <hex>';

type Bucket = { signature: string; count: number; examples: string[][] };
const counts = (buckets: Bucket[] | undefined) => Object.fromEntries((buckets ?? []).map((b) => [b.signature, b.count]));

describe('failure buckets', () => {
  it('groups 20 failures of 3 kinds by their masked first error, per group and for the run', async () => {
    const dir = tempDir('gator-regression-');
    fs.writeFileSync(path.join(dir, 'fail.sh'), FAIL_SH, { mode: 0o755 });
    const run = await runSpec(
      `
!JobGroup
ident: reg
jobs:
  - !JobArray
    ident: sims
    repeats: 15             # 5 of each kind
    jobs: [!Job {ident: t, command: bash, args: [fail.sh, mod3]}]
  - !JobGroup
    ident: more
    jobs:
      - !JobArray
        ident: arr
        repeats: 5          # 3 assertions, 2 mismatches
        jobs: [!Job {ident: t, command: bash, args: [fail.sh, two]}]
`,
      { dir },
    );
    expect(run.code, shown(run)).toBe(1);

    // The summary: one line per kind, most frequent first, exact counts.
    const summary = summaryOf(run);
    const lines = summary.split('\n');
    const at = lines.indexOf('Failure buckets:');
    expect(at, summary).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 4)).toEqual([
      `     8 jobs failed with: ${ASSERTION}`,
      `     7 jobs failed with: ${MISMATCH}`,
      `     5 jobs failed with: ${TIMEOUT}`,
    ]);
    expect(lines[at + 4]).toMatch(/^Failed /);
    expect(summary, shown(run)).toMatch(/^20 jobs failed:/m);

    // Live: a failed job's line says how many failed the same way so far (counts only grow).
    const live = [...run.stdout.slice(0, run.stdout.length - summary.length).matchAll(/\[(\d+) jobs failed with: (.+)\]$/gm)];
    expect(live.length).toBeGreaterThan(0);
    const finals: Record<string, number> = { [ASSERTION]: 8, [MISMATCH]: 7, [TIMEOUT]: 5 };
    for (const [, n, signature] of live) {
      expect(finals[signature!]).toBeDefined();
      expect(Number(n)).toBeLessThanOrEqual(finals[signature!]!);
    }

    // Per group: each tier's stored roll-up counts its own subtree.
    const rollup = (layer: string) => JSON.parse(attributesOf(path.join(run.tracking, layer)).summary ?? '{}') as { buckets?: Bucket[] };
    expect(counts(rollup('sims').buckets)).toEqual({ [ASSERTION]: 5, [TIMEOUT]: 5, [MISMATCH]: 5 });
    expect(counts(rollup('more').buckets)).toEqual({ [ASSERTION]: 3, [MISMATCH]: 2 });
    expect(counts(rollup('more/arr').buckets)).toEqual({ [ASSERTION]: 3, [MISMATCH]: 2 });
    expect(counts(rollup('.').buckets)).toEqual(finals);

    // gator show: the buckets with example jobs.
    const show = await gator(['show', run.tracking], { cwd: dir });
    expect(show.stderr).toBe('');
    expect(show.stdout).toMatch(new RegExp(`^ +8 × ${ASSERTION.replace(/[<>]/g, '.')} +\\(reg\\.(sims|more)\\.`, 'm'));
    expect(show.stdout).toMatch(/^ +5 × Timeout after <n>ns waiting for ack/m);

    // The JSON export: the run's buckets, and each group's.
    const exported = await gator(['export', run.tracking, '--json', 'report.json'], { cwd: dir });
    expect(exported.code, shown(exported)).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as {
      buckets: Bucket[];
      root: { children: { path: string[]; buckets?: Bucket[] }[] };
    };
    expect(counts(report.buckets)).toEqual(finals);
    expect(report.buckets.every((b) => b.examples.length > 0 && b.examples.length <= 3)).toBe(true);
    const sims = report.root.children.find((c) => c.path.join('.') === 'reg.sims');
    expect(counts(sims?.buckets)).toEqual({ [ASSERTION]: 5, [TIMEOUT]: 5, [MISMATCH]: 5 });
  });
});

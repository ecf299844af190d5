/** Issue 10.4: message budgets (`limits`) per group, evaluated on the rolled-up counts, through the CLI. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributesOf, runSpec, shown, summaryOf } from './support.js';

const warn = (n: number) => `[-c, "for i in $(seq ${n}); do gator log --severity WARNING lint finding \\\\$i; done"]`;

describe('limits (group budgets)', () => {
  it('fails a group over its budget while another allows 200 warnings and a simulation group allows no error', async () => {
    const run = await runSpec(`
!JobGroup
ident: reg
limits: {warning: 6}            # the root's budget: the whole run
jobs:
  - !JobGroup
    ident: lint_strict
    limits: {warning: 3}
    jobs:
      - !Job {ident: a, command: bash, args: ${warn(3)}}
      - !Job {ident: b, command: bash, args: ${warn(2)}}
  - !JobGroup
    ident: lint_lax
    limits: {warning: 200}
    jobs:
      - !Job {ident: c, command: bash, args: ${warn(2)}}
  - !JobArray
    ident: sims
    repeats: 2
    limits: {error: 0}
    jobs:
      # Each job is within its own --limit-error 1 and passes; the group allows none.
      - !Job {ident: s, command: bash, args: [-c, "if [ $GATOR_ARRAY_INDEX = 1 ]; then echo 'UVM_ERROR @ 5: bad' >&2; fi"]}
`, { args: ['--limit-warning', '5', '--limit-error', '1'] });
    expect(run.code, shown(run)).toBe(1);
    const summary = summaryOf(run);
    // Every job passed its own limits: the groups fail on their budgets.
    expect(summary, shown(run)).toMatch(/5 passed, 0 failed/);
    expect(summary, shown(run)).toMatch(/✖ lint_strict: budget exceeded: 5 warnings > 3/);
    expect(summary, shown(run)).toMatch(/✖ sims: budget exceeded: 1 error > 0/);
    expect(summary, shown(run)).toMatch(/✖ reg: budget exceeded: 7 warnings > 6/);
    expect(summary, shown(run)).not.toMatch(/✖ lint_lax/);
    expect(summary, shown(run)).toMatch(/^3 groups failed:/m);

    const result = (layer: string) => attributesOf(path.join(run.tracking, layer));
    expect(result('lint_strict')).toMatchObject({ result: '2', reason: expect.stringContaining('budget exceeded: 5 warnings > 3') });
    expect(result('lint_lax').result).toBe('1');
    expect(result('sims')).toMatchObject({ result: '2', reason: expect.stringContaining('budget exceeded: 1 error > 0') });
    expect(result('sims/s/1').result).toBe('1');
  });

  it('keeps --limit-* per job (a job over it fails) with no budget at the root', async () => {
    const run = await runSpec(`
!JobGroup
ident: reg
jobs:
  - !Job {ident: few, command: bash, args: ${warn(2)}}
  - !Job {ident: many, command: bash, args: ${warn(4)}}
`, { args: ['--limit-warning', '3'] });
    expect(run.code, shown(run)).toBe(1);
    const summary = summaryOf(run);
    expect(summary, shown(run)).toMatch(/✖ many: 4 WARNING messages \(limit 3\): lint finding 1/);
    expect(summary, shown(run)).toMatch(/1 job failed:/);
    expect(summary, shown(run)).toMatch(/1 passed, 1 failed/);
    // 6 warnings in all, over 3, but --limit-warning is not a budget of the run.
    expect(summary, shown(run)).not.toMatch(/budget exceeded/);
  });
});

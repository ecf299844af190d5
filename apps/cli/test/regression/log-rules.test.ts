/** Issue 10.3: log rules (patterns and simulator presets, inherited) and stderr_severity, through the CLI. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributesOf, messagesOf, runSpec, shown, summaryOf } from './support.js';

describe('log_rules and stderr_severity', () => {
  it('gives simulator-style lines their severities on stdout and stderr, before the default mapping', async () => {
    const run = await runSpec(String.raw`
!JobGroup
ident: reg
log_rules:                      # inherited by every job below
  - {preset: uvm}
  - {pattern: '^\*E,', severity: ERROR}
  - {pattern: '^\*W,', severity: warn}
jobs:
  - !Job
    ident: uvm_fail
    command: bash
    args:
      - -c
      - |
        echo "UVM_INFO @ 0: starting"
        echo "UVM_WARNING @ 10: slow clock"
        echo "UVM_ERROR @ 20: scoreboard mismatch" >&2
        echo "UVM_ERROR :    1"
        echo "UVM_WARNING :    1"
  - !Job
    ident: xcelium_warn
    command: bash
    args: [-c, "echo '*W,DLNOHV: no HDL view'; echo '*W,DLNOHV: still none' >&2; echo 'compiled'"]
  - !Job
    ident: xcelium_err
    command: bash
    args: [-c, "echo '*E,CUVUNF: hierarchical name not found'"]
  - !Job
    ident: chatty
    stderr_severity: INFO       # this tool's stderr is not an error
    command: bash
    args: [-c, "echo 'progress 50%' >&2; echo '*W,ODD: a rule still wins over stderr_severity' >&2"]
  - !Job
    ident: own_rules
    log_rules: [{pattern: '^NOTE:', severity: WARNING}]   # replaces the group's rules
    command: bash
    args: [-c, "echo 'NOTE: odd'; echo '*E,NOTMINE: not an error here'"]
`, { args: ['--limit-warning', '10'] });
    expect(run.code, shown(run)).toBe(1);
    const at = (job: string) => messagesOf(path.join(run.tracking, job));

    expect(at('uvm_fail')).toEqual(
      expect.arrayContaining([
        'INFO UVM_INFO @ 0: starting',
        'WARNING UVM_WARNING @ 10: slow clock',
        'ERROR UVM_ERROR @ 20: scoreboard mismatch',
        // The report's totals are not messages of those severities.
        'INFO UVM_ERROR :    1',
        'INFO UVM_WARNING :    1',
      ]),
    );
    expect(at('xcelium_warn')).toEqual(expect.arrayContaining(['WARNING *W,DLNOHV: no HDL view', 'WARNING *W,DLNOHV: still none', 'INFO compiled']));
    expect(at('xcelium_err')).toContain('ERROR *E,CUVUNF: hierarchical name not found');
    expect(at('chatty')).toEqual(expect.arrayContaining(['INFO progress 50%', 'WARNING *W,ODD: a rule still wins over stderr_severity']));
    expect(at('own_rules')).toEqual(expect.arrayContaining(['WARNING NOTE: odd', 'INFO *E,NOTMINE: not an error here']));

    const result = (job: string) => attributesOf(path.join(run.tracking, job)).result;
    expect(result('uvm_fail')).toBe('2');
    expect(result('xcelium_err')).toBe('2');
    expect(result('xcelium_warn')).toBe('1');
    expect(result('chatty')).toBe('1');
    expect(result('own_rules')).toBe('1');
    const summary = summaryOf(run);
    expect(summary, shown(run)).toMatch(/✖ uvm_fail: 1 ERROR message \(limit 0\): UVM_ERROR @ 20: scoreboard mismatch/);
    expect(summary, shown(run)).toMatch(/✖ xcelium_err: 1 ERROR message \(limit 0\): \*E,CUVUNF: hierarchical name not found/);
    expect(summary, shown(run)).toMatch(/3 passed, 2 failed/);
  });

  it('rejects a bad pattern and an unknown preset with their places in the spec', async () => {
    const run = await runSpec(`
!JobGroup
log_rules: [{pattern: "([", severity: ERROR}, {preset: modelsim}]
jobs: [!Job {command: echo}]
`);
    expect(run.code, shown(run)).toBe(2);
    expect(run.stderr).toMatch(/spec\.yaml:3:\d+ +log_rules\[0\]\.pattern: expected a valid regular expression/);
    expect(run.stderr).toMatch(/spec\.yaml:3:\d+ +log_rules\[1\]\.preset: expected a preset name \(uvm, xcelium, vcs, questa, verilator\), found the string "modelsim"/);
  });
});

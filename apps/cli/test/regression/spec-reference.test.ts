/** docs/spec-reference.md: every complete spec it shows is valid, and every extension field has an example. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTENSION_FIELDS, SPEC_BOUNDS } from '@gator/protocol';
import { REPO, gator, tempDir } from '../helpers.js';

const DOC = fs.readFileSync(path.join(REPO, 'docs/spec-reference.md'), 'utf8');
const blocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/spec-reference.md', () => {
  it('shows only valid specs', async () => {
    const dir = tempDir('gator-regression-');
    const files = blocks
      .filter((b) => /^!Job(Group|Array)?\b/.test(b))
      .map((b, i) => {
        const file = path.join(dir, `example_${i}.yaml`);
        fs.writeFileSync(file, b);
        return file;
      });
    expect(files.length).toBeGreaterThanOrEqual(10);
    const run = await gator(['validate', ...files], { cwd: dir });
    expect(run.stderr + run.stdout).not.toMatch(/✖/);
    expect(run.code).toBe(0);
  });

  it('lists every bound of SPEC_BOUNDS with its value', () => {
    const section = DOC.split('\n## Bounds\n')[1]?.split('\n## ')[0] ?? '';
    const rows = [...section.matchAll(/^\| (.+?) \| (.+?) \| (`.+`) \|$/gm)].map((m) => ({ bound: m[2]!, keys: [...m[3]!.matchAll(/`(\w+)`/g)].map((k) => k[1]!) }))
      .filter((r) => !r.keys.includes('SPEC_BOUNDS'));
    const documented = rows.flatMap((r) => r.keys);
    expect(documented.sort()).toEqual(Object.keys(SPEC_BOUNDS).sort());
    const shown = (key: string, value: number): string => {
      if (key === 'durationMinSeconds') return `${value * 1000} ms`;
      if (key === 'durationMaxSeconds') return `${value / 86_400} days`;
      if (key === 'memoryMinMb') return `${value * 1000} KB`;
      if (key === 'memoryMaxMb') return `${value / 1e9} PB`;
      if (key === 'seedMagnitude') return `2^${Math.log2(value)}`;
      return value.toLocaleString('en-US');
    };
    for (const row of rows) {
      for (const key of row.keys) expect(row.bound, key).toContain(shown(key, SPEC_BOUNDS[key as keyof typeof SPEC_BOUNDS]));
    }
  });

  it('documents every extension field with a section and a YAML example using it', () => {
    const fields = [...new Set(Object.values(EXTENSION_FIELDS).flat())].sort();
    expect(fields).toEqual(['hang_timeout', 'limits', 'log_rules', 'output_limit', 'retries', 'seed', 'stderr_severity', 'timeout']);
    for (const field of fields) {
      const section = DOC.split(`\n### \`${field}\`\n`)[1]?.split('\n### ')[0] ?? '';
      expect(section, field).not.toBe('');
      expect(section, field).toMatch(new RegExp(`\`\`\`yaml\\n[\\s\\S]*\\b${field}:`));
    }
  });
});

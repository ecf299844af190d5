/** docs/spec-reference.md: every complete spec it shows is valid, and every extension field has an example. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTENSION_FIELDS } from '@gator/protocol';
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

  it('documents every extension field with a section and a YAML example using it', () => {
    const fields = [...new Set(Object.values(EXTENSION_FIELDS).flat())].sort();
    expect(fields).toEqual(['hang_timeout', 'limits', 'log_rules', 'retries', 'seed', 'stderr_severity', 'timeout']);
    for (const field of fields) {
      const section = DOC.split(`\n### \`${field}\`\n`)[1]?.split('\n### ')[0] ?? '';
      expect(section, field).not.toBe('');
      expect(section, field).toMatch(new RegExp(`\`\`\`yaml\\n[\\s\\S]*\\b${field}:`));
    }
  });
});

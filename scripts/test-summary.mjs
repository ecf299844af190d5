// Adds up the vitest JSON reports of every package and prints one closing line,
// `Tests: N passed, N failed, N skipped`, for CI logs.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
let passed = 0;
let failed = 0;
let skipped = 0;
const perPackage = [];
// Tests skipped for a reason they recorded (`task.meta.skipReason`, e.g. a missing peer), by reason.
const skipReasons = new Map();
for (const group of ['packages', 'apps', 'bench', 'examples/schedulers']) {
  const dir = path.join(root, group);
  if (!fs.existsSync(dir)) continue;
  const candidates = group === 'bench' ? [dir] : fs.readdirSync(dir).map((d) => path.join(dir, d));
  for (const pkg of candidates) {
    const file = path.join(pkg, 'test-results', 'vitest.json');
    if (!fs.existsSync(file)) continue;
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    perPackage.push(`${path.relative(root, pkg)}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    for (const file of r.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        const reason = t.meta?.skipReason;
        if (t.status === 'passed' || t.status === 'failed' || typeof reason !== 'string') continue;
        const key = `${path.relative(root, pkg)}: ${reason}`;
        skipReasons.set(key, (skipReasons.get(key) ?? 0) + 1);
      }
    }
  }
}
console.log(perPackage.join('\n'));
// The fault suite's own counts (faults injected, processes left, messages lost).
const faults = path.join(root, 'apps/cli/test-results/faults.json');
if (fs.existsSync(faults)) {
  const f = JSON.parse(fs.readFileSync(faults, 'utf8'));
  if (f.line) console.log(f.line);
}
for (const [reason, n] of skipReasons) console.log(`Skipped ${n} test${n === 1 ? '' : 's'} (${reason})`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;

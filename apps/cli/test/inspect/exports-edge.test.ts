import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { openLayerStore } from '@gator/db';
import { JobResult, Severity } from '@gator/protocol';
import { loadRunReport } from '../../src/inspect/run-report.js';
import { renderJunit } from '../../src/render/export-junit.js';
import { renderMarkdown } from '../../src/render/export-markdown.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A lone !Job root whose output is hostile to XML and Markdown. */
function loneJobRun(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-edge-'));
  dirs.push(dir);
  const store = openLayerStore({ dir, kind: 'wrapper' });
  store.setAttribute('ident', 'solo');
  store.setAttribute('started', '1750000000');
  store.addMessage({ severity: Severity.ERROR, message: '\u001b[31mFAIL\u001b[0m <tag a="b"> & ]]> \u0000\u0007 `tick` | pipe', timestamp: 1750000001 });
  store.addMessage({ severity: Severity.ERROR, message: 'emoji 🐊 and a lone surrogate \ud800 end', timestamp: 1750000002 });
  store.setAttribute('exit', '1');
  store.setAttribute('stopped', '1750000003');
  store.setAttribute('reason', 'said "no" & <left>\nsecond line');
  store.setAttribute('result', String(JobResult.FAILURE));
  store.close();
  return dir;
}

it('escapes what jobs print: the JUnit stays well-formed and the text survives', () => {
  const report = loadRunReport(loneJobRun());
  expect(report.totals).toMatchObject({ total: 1, failed: 1 });
  const xml = renderJunit(report);
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true }).parse(xml);
  const testcase = doc.testsuites.testsuite.testcase;
  expect(testcase.name).toBe('solo');
  expect(testcase.failure.message).toBe('said "no" & <left>\nsecond line');
  expect(testcase.failure['#text']).toContain('FAIL <tag a="b"> & ]]>  `tick` | pipe');
  // SQLite stores a lone surrogate as U+FFFD; either way the XML stays valid.
  expect(testcase.failure['#text']).toMatch(/emoji 🐊 and a lone surrogate \uFFFD* end/);
  expect(xml).not.toContain('\u001b');
});

it('keeps Markdown tables and code intact around pipes, backticks and newlines', () => {
  const md = renderMarkdown(loadRunReport(loneJobRun()));
  expect(md).toContain('# Gator run `solo`: ❌ failed');
  expect(md).toContain('said "no" & &lt;left> second line (exit 1)');
  // The fence around error lines is longer than any backtick run inside.
  expect(md).toMatch(/```text\nFAIL <tag a="b"> & \]\]> \u0000\u0007 `tick` \| pipe/);
  expect(md).toContain('| `solo` | ❌ FAILURE | 3.0s | 0 | 2 |');
});

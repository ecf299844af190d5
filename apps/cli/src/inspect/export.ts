/** `gator export [RUN] --junit FILE --json FILE --markdown FILE [--max-bytes N]`. */
import fs from 'node:fs';
import path from 'node:path';
import { GatorError, UsageError } from '@gator/protocol';
import { renderJson } from '../render/export-json.js';
import { renderJunit } from '../render/export-junit.js';
import { renderMarkdown } from '../render/export-markdown.js';
import { DEFAULT_MAX_BYTES } from '../render/export-text.js';
import type { RunReport } from './run-report.js';

export interface ExportTargets {
  junit?: string;
  json?: string;
  markdown?: string;
  maxBytes?: number;
}

/** Writes a file whole (a temp file renamed over it), or to `out` for `-`. */
function writeTarget(file: string, text: string, out: NodeJS.WritableStream, cwd: string): void {
  if (file === '-') {
    out.write(text);
    return;
  }
  const abs = path.resolve(cwd, file);
  const tmp = `${abs}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, abs);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* the write error below is what matters */
    }
    const err = e as NodeJS.ErrnoException;
    throw new GatorError('GATOR_EXPORT_WRITE', `Cannot write ${abs}: ${err.code ?? ''} ${err.message}`.trim(), {
      hint: 'Choose a writable path (or --junit=- and so on for standard output).',
      cause: e,
    });
  }
}

export function exportCommand(report: RunReport, targets: ExportTargets, io: { out: NodeJS.WritableStream; cwd: string }): string[] {
  const chosen = [targets.junit, targets.json, targets.markdown].filter((f): f is string => typeof f === 'string');
  if (chosen.length === 0) {
    throw new UsageError('gator export needs at least one of --junit FILE, --json FILE or --markdown FILE.', {
      hint: 'e.g. gator export --junit results.xml --markdown summary.md (--junit=- writes to standard output)',
    });
  }
  if (chosen.filter((f) => f === '-').length > 1) throw new UsageError('Only one export can go to standard output (-).');
  const maxBytes = targets.maxBytes ?? DEFAULT_MAX_BYTES;
  const written: string[] = [];
  // Render everything first, so a too-small budget writes nothing.
  const outputs: [string, string][] = [];
  if (targets.junit) outputs.push([targets.junit, renderJunit(report, { maxBytes })]);
  if (targets.markdown) outputs.push([targets.markdown, renderMarkdown(report, { maxBytes })]);
  if (targets.json) outputs.push([targets.json, renderJson(report)]);
  for (const [file, text] of outputs) {
    writeTarget(file, text, io.out, io.cwd);
    written.push(file === '-' ? '-' : path.resolve(io.cwd, file));
  }
  return written;
}

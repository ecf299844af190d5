/** Reading a finished run's results back from its SQLite files, for assertions. */
import fs from 'node:fs';
import path from 'node:path';
import { openLayerReader } from '@gator/db';

export interface LayerResult {
  path: string;
  result: number;
  reason?: string;
  kind: 'tier' | 'wrapper' | 'skipped';
  counts?: Record<string, number>;
}

/** Every layer of a run by dotted path (root excluded from paths), with its stored result. */
export function collectResults(trackingDir: string): Map<string, LayerResult> {
  const out = new Map<string, LayerResult>();
  // A layer's result as its parent recorded it (a killed layer never wrote its own).
  const visit = (dir: string, prefix: string[], recorded?: number) => {
    const reader = openLayerReader(dir);
    try {
      const attrs = reader.attributes();
      const children = reader.children();
      const kind = attrs.cmd !== undefined ? 'wrapper' : 'tier';
      const key = prefix.join('.');
      out.set(key, {
        path: key,
        result: recorded ?? Number(attrs.result ?? -1),
        ...(attrs.reason ? { reason: attrs.reason } : {}),
        kind,
        counts: reader.metrics('_OWN_'),
      });
      for (const c of children) {
        const childPath = [...prefix, c.ident];
        if (c.dbFile && fs.existsSync(c.dbFile)) visit(path.dirname(c.dbFile), childPath, c.result);
        else out.set(childPath.join('.'), { path: childPath.join('.'), result: c.result, kind: 'skipped' });
      }
    } finally {
      reader.close();
    }
  };
  visit(trackingDir, []);
  return out;
}

/** Max number of [start, end] intervals open at once, from lines `start <ns>` / `end <ns>` of one file per job. */
export function maxOverlap(files: string[]): number {
  const events: [number, number][] = [];
  for (const f of files) {
    const lines = fs.readFileSync(f, 'utf8').trim().split('\n');
    for (const line of lines) {
      const [what, t] = line.split(' ');
      events.push([Number(t), what === 'start' ? 1 : -1]);
    }
  }
  // Ends sort before starts at the same instant: touching intervals do not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of events) {
    open += d;
    max = Math.max(max, open);
  }
  return max;
}

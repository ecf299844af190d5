/** JSON of a run: the whole tree with states, counts, metrics, failures, buckets and statistics (the RunReport). */
import type { RunReport } from '../inspect/run-report.js';

/** Version of the JSON layout; bumped when a field changes meaning or goes away. */
export const RUN_JSON_VERSION = 1;

export function renderJson(report: RunReport): string {
  return `${JSON.stringify({ gatorRunReport: RUN_JSON_VERSION, ...report }, null, 2)}\n`;
}

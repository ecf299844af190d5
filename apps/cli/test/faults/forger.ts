/**
 * A job that tries to forge its run's results over the wire (issue 17), as a
 * script for `!Job {command: node, args: [forger.mjs, MODE, …]}`. It uses
 * every secret a job can find without reading other layers' files: the token
 * it was given for its wrapper (`GATOR_PARENT_TOKEN`) and any `GATOR_TOKEN` in
 * its wrapper's environment (`/proc/PPID/environ`), against its parent tier,
 * whose address is on its wrapper's command line (`--parent HOST:PORT`). What
 * each attempt got is written as JSON to OUT.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const ws = createRequire(import.meta.url).resolve('ws');

export type ForgeMode = 'complete-sibling' | 'complete-self-inflated' | 'update-sibling' | 'stop-sibling' | 'flood';

export interface ForgeAttempt {
  /** Which secret: `job` (its own wrapper's token) or `wrapper-env` (GATOR_TOKEN of the wrapper). */
  secret: string;
  /** `refused` (HTTP 401), `accepted` (a success reply), `error` (an error reply: the text). */
  outcome: 'refused' | 'accepted' | 'error' | 'closed';
  detail?: string;
}

export interface ForgeReport {
  attempts: ForgeAttempt[];
  /** flood: connections made and how many were refused. */
  flood?: { made: number; refused: number };
}

/** Write the forger into `dir`; returns its path. */
export function writeForger(dir: string): string {
  const file = path.join(dir, 'forger.mjs');
  fs.writeFileSync(
    file,
    `import fs from 'node:fs';
import { createRequire } from 'node:module';
const WebSocket = createRequire(import.meta.url)(${JSON.stringify(ws)});
const [mode, target, out] = process.argv.slice(2);
const wrapperArgv = fs.readFileSync('/proc/' + process.ppid + '/cmdline', 'latin1').split('\\0');
const tier = wrapperArgv[wrapperArgv.indexOf('--parent') + 1];
const self = wrapperArgv[wrapperArgv.lastIndexOf('--id') + 1];
const secrets = [['job', process.env.GATOR_PARENT_TOKEN ?? '']];
for (const e of fs.readFileSync('/proc/' + process.ppid + '/environ', 'latin1').split('\\0'))
  if (e.startsWith('GATOR_TOKEN=')) secrets.push(['wrapper-env', e.slice(12)]);
const empty = { metrics: {}, failed_ids: [], running_ids: [] };
function request() {
  if (mode === 'complete-sibling')
    return { action: 'complete', req_id: 1, payload: { ident: target, code: 0, result: 1, summary: { ...empty, metrics: { sub_total: 1, sub_passed: 1, sub_active: 0, sub_failed: 0 } } } };
  if (mode === 'complete-self-inflated')
    return { action: 'complete', req_id: 1, payload: { ident: self, code: 0, result: 1, summary: { ...empty,
      metrics: { sub_total: 1000000, sub_passed: 1000000, sub_active: 0, sub_failed: 0 },
      jobs: { total: 1000000, passed: 1000000, failed: 0, lost: 0, skipped: 0, stopped: 0, running: 0, pending: 0 } } } };
  if (mode === 'update-sibling')
    return { action: 'update', req_id: 1, payload: { ident: target, result: 2, summary: { ...empty, metrics: { sub_total: 1, sub_active: 0, sub_failed: 1 }, failed_ids: [[target]] } } };
  if (mode === 'stop-sibling')
    return { action: 'complete', req_id: 1, payload: { ident: target, code: 0, result: 1, summary: { ...empty, metrics: { sub_total: 1, sub_active: 1 } } } };
}
function attempt(address, message) {
  return new Promise((resolve) => {
    const socket = new WebSocket('ws://' + address, { perMessageDeflate: false });
    socket.once('unexpected-response', (_q, res) => { socket.terminate(); resolve({ outcome: 'refused', detail: String(res.statusCode) }); });
    socket.once('error', (e) => resolve({ outcome: 'closed', detail: e.message }));
    socket.once('close', () => resolve({ outcome: 'closed' }));
    socket.once('open', () => {
      if (!message) { socket.close(); return resolve({ outcome: 'accepted' }); }
      socket.send(JSON.stringify(message));
      socket.on('message', (data) => {
        const reply = JSON.parse(String(data));
        if (reply.rsp_id !== 1) return;
        socket.close();
        resolve(reply.result === 'success' ? { outcome: 'accepted' } : { outcome: 'error', detail: reply.reason });
      });
    });
  });
}
const report = { attempts: [] };
if (mode === 'flood') {
  const n = Number(target);
  const where = process.env.GATOR_PARENT_HOST + ':' + process.env.GATOR_PARENT_PORT + '/not-my-token';
  let refused = 0;
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => attempt(where)));
    refused += batch.filter((r) => r.outcome === 'refused').length;
  }
  report.flood = { made: n, refused };
} else {
  // Let the sibling register first (it would otherwise be completed before it starts).
  await new Promise((r) => setTimeout(r, 1500));
  for (const [secret, token] of secrets) report.attempts.push({ secret, ...(await attempt(tier + '/' + token, request())) });
}
fs.writeFileSync(out, JSON.stringify(report));
process.exit(mode === 'complete-self-inflated' ? 1 : 0);
`,
  );
  return file;
}

export function readForgeReport(file: string): ForgeReport {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ForgeReport;
}

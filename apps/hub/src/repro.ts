/**
 * The command line that reruns one job by hand, from the attributes its wrapper
 * stored (`cmd` already shell-quoted, `cwd`, `env` as JSON). Secrets never leave
 * the hub: the run token and variables whose names look like secrets are dropped.
 */

export interface Repro {
  cmd: string;
  cwd: string | null;
  env: Record<string, string>;
  /** `cd <cwd> && env K=V ... <cmd>`, ready to paste into a shell. */
  line: string;
}

const SECRET_NAME = /TOKEN|SECRET|PASSW(OR)?D|PRIVATE|API_?KEY|CREDENTIAL|AUTH/i;
/** Only meaningful inside a running Gator tree (they point at its servers). */
const RUN_ONLY = new Set(['GATOR_PARENT', 'GATOR_TOKEN']);

export function shellQuote(text: string): string {
  if (text !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

function parseEnv(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null || v === undefined) continue;
      out[k] = String(v);
    }
    return out;
  } catch {
    return {};
  }
}

function safeEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (RUN_ONLY.has(k) || SECRET_NAME.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Attributes as a browser may see them (`env` with secrets removed). */
export function safeAttributes(attributes: Record<string, string>): Record<string, string> {
  const out = { ...attributes };
  if (out.env !== undefined) out.env = JSON.stringify(safeEnv(parseEnv(out.env)));
  for (const k of Object.keys(out)) if (SECRET_NAME.test(k)) delete out[k];
  return out;
}

export function reproOf(attributes: Record<string, string>): Repro | null {
  const cmd = attributes.cmd;
  if (!cmd) return null;
  const cwd = attributes.cwd || null;
  const env = safeEnv(parseEnv(attributes.env));
  const parts: string[] = [];
  if (cwd) parts.push(`cd ${shellQuote(cwd)} &&`);
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  if (assignments.length > 0) parts.push('env', ...assignments);
  parts.push(cmd);
  return { cmd, cwd, env, line: parts.join(' ') };
}

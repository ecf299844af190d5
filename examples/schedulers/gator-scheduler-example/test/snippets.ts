// The guide's code snippets (docs/writing-a-scheduler.md) are regions of this package's
// sources: `<!-- snippet: FILE#REGION -->` before a ```ts block, `// #region REGION` …
// `// #endregion` in FILE. Shared by the test that checks them and the script that fills them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const guidePath = path.join(repoRoot, 'docs/writing-a-scheduler.md');

/** The text of `// #region name` in `file` (repo-relative), without its common indentation. */
export function region(file: string, name: string): string {
  const lines = fs.readFileSync(path.join(repoRoot, file), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`);
  if (start < 0) throw new Error(`no region ${name} in ${file}`);
  const end = lines.findIndex((line, i) => i > start && line.trim() === '// #endregion');
  if (end < 0) throw new Error(`region ${name} in ${file} has no end`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}

const SNIPPET = /<!-- snippet: (\S+)#(\S+) -->\n```ts\n([\s\S]*?)```/g;

export interface Snippet {
  file: string;
  name: string;
  text: string;
}

export function snippets(guide: string): Snippet[] {
  return [...guide.matchAll(SNIPPET)].map((m) => ({ file: m[1]!, name: m[2]!, text: m[3]!.replace(/\n$/, '') }));
}

/** The guide with every snippet replaced by its region's current text. */
export function fillSnippets(guide: string): string {
  return guide.replace(SNIPPET, (_, file: string, name: string) => `<!-- snippet: ${file}#${name} -->\n\`\`\`ts\n${region(file, name)}\n\`\`\``);
}

/**
 * `gator diff [RUN_A] [RUN_B]`: what changed from one run of a spec to
 * another (default: the newest run against the run of its spec before it),
 * as text, JSON or Markdown. The diff itself is `diffRuns` of @gator/db.
 */
import { terminalSafe } from '../render/terminal-text.js';
import path from 'node:path';
import { GatorError } from '@gator/protocol';
import { DIFF_SECTIONS, diffRuns, previousRun, readRunTrials, runHistory, type DiffEntry, type DiffSection, type JobTrial, type RunDiff } from '@gator/db';
import { colorsFor, duration, type Colors } from '../render/format.js';

/** Each list's heading and mark (one table for text and Markdown). */
const SECTION: Record<DiffSection, { title: string; mark: (c: Colors) => string }> = {
  newFailures: { title: 'New failures', mark: (c) => c.red('✖') },
  fixed: { title: 'Fixed', mark: (c) => c.green('✔') },
  stillFailing: { title: 'Still failing', mark: (c) => c.red('✖') },
  flaky: { title: 'Flaky (passed only on a retry)', mark: (c) => c.yellow('↻') },
  newJobs: { title: 'New jobs', mark: (c) => c.cyan('+') },
  removedJobs: { title: 'Removed jobs', mark: (c) => c.dim('-') },
  changed: { title: 'Other changes', mark: (c) => c.yellow('~') },
  slower: { title: 'Slower', mark: (c) => c.yellow('▲') },
  faster: { title: 'Faster', mark: (c) => c.green('▼') },
};

/** The two runs to compare: B defaults to the newest run of A's spec (or the newest run), A to the run of B's spec before B. */
export function diffTargets(runA: string | undefined, runB: string | undefined, newest: () => string): { base: string; compared: string } {
  if (runA !== undefined && runB !== undefined) return { base: runA, compared: runB };
  if (runA !== undefined) {
    const history = runHistory(runA);
    const latest = history[history.length - 1];
    if (!latest || latest.dir === path.resolve(runA)) {
      throw new GatorError('GATOR_RUN_NOT_FOUND', `No run of the same spec after ${runA} to compare it with.`, {
        hint: 'Give both runs: gator diff RUN_A RUN_B',
      });
    }
    return { base: runA, compared: latest.dir };
  }
  const compared = newest();
  const before = previousRun(compared);
  if (!before) {
    throw new GatorError('GATOR_RUN_NOT_FOUND', `No earlier run of the same spec next to ${compared} to compare it with.`, {
      hint: 'Runs of a spec are the runs in one tracking directory whose root has the same ident; or give both runs: gator diff RUN_A RUN_B',
    });
  }
  return { base: before.dir, compared };
}

export function computeDiff(base: string, compared: string, options: { thresholdPercent?: number; minSeconds?: number }): RunDiff {
  return diffRuns(readRunTrials(base), readRunTrials(compared), options);
}

function what(t: JobTrial | undefined): string {
  if (!t) return 'absent';
  const kind = t.kind ? ` (${t.kind})` : '';
  return `${t.outcome}${kind}${t.reason ? `: ${t.reason}` : ''}`;
}

function secs(t: JobTrial | undefined): string {
  return t?.duration !== null && t?.duration !== undefined ? duration(t.duration) : '-';
}

/** One line per entry: what it is now, and what it was. */
function entryText(section: DiffSection, e: DiffEntry): string {
  switch (section) {
    case 'newFailures':
      return `${what(e.after)}${e.before ? `  (was ${e.before.outcome})` : '  (new job)'}`;
    case 'fixed':
      return `${e.after!.outcome}  (was ${what(e.before)})`;
    case 'stillFailing':
      return e.reasonChanged ? `reason changed: ${what(e.before)}  →  ${what(e.after)}` : `same reason: ${what(e.after)}`;
    case 'flaky':
      return `passed on attempt ${e.after!.attempt ?? '?'}${e.before ? `  (was ${e.before.outcome})` : ''}`;
    case 'newJobs':
      return what(e.after);
    case 'removedJobs':
      return `was ${what(e.before)}`;
    case 'changed':
      return `${what(e.after)}  (was ${what(e.before)})`;
    case 'slower':
    case 'faster':
      return `${secs(e.before)} → ${secs(e.after)}  (${e.delta! > 0 ? '+' : '-'}${duration(Math.abs(e.delta!))})`;
  }
}

function counts(diff: RunDiff): string {
  const parts = DIFF_SECTIONS.filter((s) => diff.sections[s].length > 0).map((s) => `${SECTION[s].title.split(' (')[0]!.toLowerCase()}: ${diff.sections[s].length}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

function runName(dir: string, cwd: string): string {
  return path.relative(cwd, dir) || dir;
}

export function renderDiffText(diff: RunDiff, cwd: string, c: Colors): string {
  const lines = [
    `${c.bold(terminalSafe(diff.compared.ident))}: ${terminalSafe(runName(diff.compared.dir, cwd))} against ${terminalSafe(runName(diff.base.dir, cwd))} (${diff.common} jobs in both)`,
  ];
  for (const s of DIFF_SECTIONS) {
    const entries = diff.sections[s];
    if (entries.length === 0) continue;
    lines.push('', c.bold(`${SECTION[s].title} (${entries.length}):`));
    const width = Math.min(48, Math.max(...entries.map((e) => e.path.length)));
    for (const e of entries) lines.push(`  ${SECTION[s].mark(c)} ${terminalSafe(e.path).padEnd(width)}  ${terminalSafe(entryText(s, e))}`);
  }
  const bad = diff.sections.newFailures.length;
  lines.push('', `${bad > 0 ? c.red('New failures') : c.green('No new failures')}: ${counts(diff)}`);
  return `${lines.join('\n')}\n`;
}

/** Markdown cells: no line breaks or pipes. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

export function renderDiffMarkdown(diff: RunDiff, cwd: string): string {
  const plain = colorsFor({ isTTY: false } as NodeJS.WriteStream);
  const lines = [
    `## gator diff: ${cell(diff.compared.ident)}`,
    '',
    `\`${cell(runName(diff.compared.dir, cwd))}\` against \`${cell(runName(diff.base.dir, cwd))}\`: **${diff.sections.newFailures.length > 0 ? 'new failures' : 'no new failures'}** (${counts(diff)})`,
  ];
  for (const s of DIFF_SECTIONS) {
    const entries = diff.sections[s];
    if (entries.length === 0) continue;
    lines.push('', `### ${SECTION[s].mark(plain)} ${SECTION[s].title} (${entries.length})`, '', '| job | change |', '|---|---|');
    for (const e of entries) lines.push(`| \`${cell(e.path)}\` | ${cell(entryText(s, e))} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderDiffJson(diff: RunDiff): string {
  const { sections, ...rest } = diff;
  const tally = Object.fromEntries(DIFF_SECTIONS.map((s) => [s, sections[s].length]));
  return `${JSON.stringify({ ...rest, hasNewFailures: sections.newFailures.length > 0, counts: tally, ...sections }, null, 2)}\n`;
}

/** Exit status: 1 when there are new failures (CI gates on it), else 0. */
export function diffExit(diff: RunDiff): number {
  return diff.sections.newFailures.length > 0 ? 1 : 0;
}

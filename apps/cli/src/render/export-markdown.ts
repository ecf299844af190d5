/**
 * A Markdown report of a run (for a CI step summary or a pull request): the
 * verdict and totals, then failures with their reasons and first error lines,
 * failure buckets, skipped jobs, metric statistics and the job table. It fits
 * `maxBytes`; the job table goes first, then detail, failures last.
 */
import { trialOutcome } from '@gator/protocol';
import { duration } from './format.js';
import type { NodeReport, RunReport } from '../inspect/run-report.js';
import { jobsOf } from '../inspect/run-report.js';
import { DEFAULT_MAX_BYTES, cut, fitToBudget, stripAnsi, type DetailLevel } from './export-text.js';

export interface MarkdownOptions {
  /** Default 65,535. */
  maxBytes?: number;
}

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return stripAnsi(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

/** Inline code that survives backticks inside. */
function code(text: string): string {
  const clean = stripAnsi(text).replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run inside. */
function block(lines: string[]): string {
  const text = stripAnsi(lines.join('\n'));
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function rel(report: RunReport, p: string[]): string {
  return (p.length > 1 && p[0] === report.ident ? p.slice(1) : p).join('.');
}

const ICON: Record<NodeReport['outcome'], string> = {
  passed: '✅',
  failed: '❌',
  lost: '❌',
  skipped: '⏭️',
  stopped: '⏹️',
  running: '⏳',
  pending: '⏸️',
};

const VERDICT: Record<RunReport['outcome'], string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  stopped: '⏹️ stopped',
  interrupted: '❌ interrupted',
  running: '⏳ running',
};

export function renderMarkdown(report: RunReport, options: MarkdownOptions = {}): string {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const jobs = jobsOf(report.root);
  const failing = jobs.filter((j) => j.outcome === 'failed' || j.outcome === 'lost');
  const notRun = jobs.filter((j) => j.outcome === 'skipped' || j.outcome === 'stopped' || j.outcome === 'pending' || j.outcome === 'running');
  const t = report.totals;
  const m = report.messages;
  const pointer = (j: NodeReport) => `full log: \`gator logs ${report.tracking} ${j.path.join('.')}\``;

  const render = (level: DetailLevel, maxFailures: number): string => {
    const out: string[] = [];
    // The run model's verdict, as every view says it (skipped jobs never fail a run by themselves).
    const verdict = VERDICT[report.outcome];
    out.push(`# Gator run ${code(report.ident)}: ${verdict}`, '');
    out.push(
      `**${t.passed} passed · ${t.failed} failed · ${t.lost} lost · ${t.skipped} skipped**` +
        `${t.stopped > 0 ? ` · ${t.stopped} stopped` : ''}${t.running > 0 ? ` · ${t.running} running` : ''}${t.pending > 0 ? ` · ${t.pending} pending` : ''} of ${plural(t.total, 'job')}` +
        ` — ${plural(m.warning, 'warning')}, ${plural(m.error + m.critical, 'error')}` +
        `${report.duration !== null ? ` — ${duration(report.duration)}` : ''}`,
      '',
      `Run database: ${code(report.dbFile)}`,
    );
    const why = report.outcome !== 'passed' ? report.verdict.reason || report.reason : null;
    if (why) out.push('', `Reason: ${cell(cut(why, level.reasonChars, 'see gator show'))}`);

    if (failing.length > 0) {
      out.push('', `## Failures (${failing.length})`);
      for (const j of failing.slice(0, maxFailures)) {
        out.push('', `### ${ICON[j.outcome]} ${code(rel(report, j.path))}${j.outcome === 'lost' ? ' (lost)' : ''}`, '');
        const reason = j.reason ?? j.outcome;
        const exit = j.exit !== null && j.exit !== 0 && !reason.includes(`code ${j.exit}`) ? ` (exit ${j.exit})` : '';
        out.push(`${cell(cut(reason, level.reasonChars, 'see gator show'))}${exit}`);
        const lines = j.errors.slice(0, level.errorLines).map((e) => cut(e, level.lineChars, `gator logs ${report.tracking} ${j.path.join('.')}`));
        if (lines.length > 0) out.push('', block(lines));
        if (j.errors.length > lines.length) out.push('', `More: ${pointer(j)}`);
        if (j.log) out.push('', `Log: ${code(j.log)}`);
      }
      if (failing.length > maxFailures) {
        out.push('', `… and ${failing.length - maxFailures} more failure(s), left out to fit ${maxBytes} bytes: \`gator show ${report.tracking}\``);
      }
    }

    if (report.buckets.length > 0) {
      out.push('', '## Failure buckets', '', '| Jobs | First error (masked) | Examples |', '|---:|---|---|');
      for (const b of report.buckets.slice(0, level.passed ? 50 : 10)) {
        out.push(`| ${b.count} | ${code(cut(b.signature, level.reasonChars, 'see gator show'))} | ${b.examples.map((e) => code(rel(report, e))).join(', ')} |`);
      }
    }

    // Flaky (docs/run-model.md): passed, but only on a retry.
    const flaky = jobs.filter((j) => trialOutcome(j.outcome, j.attempts[j.attempts.length - 1]?.attempt) === 'flaky');
    if (flaky.length > 0) {
      out.push('', `## Flaky (${flaky.length}): passed only on a retry`, '');
      for (const j of flaky.slice(0, level.passed ? 50 : 10)) out.push(`- ↻ ${code(rel(report, j.path))}: passed on attempt ${j.attempts[j.attempts.length - 1]!.attempt}`);
      if (flaky.length > (level.passed ? 50 : 10)) out.push(`- … and ${flaky.length - (level.passed ? 50 : 10)} more: \`gator show ${report.tracking}\``);
    }

    if (notRun.length > 0) {
      out.push('', `## Not run (${notRun.length})`);
      if (level.skipped) {
        out.push('');
        for (const j of notRun) {
          const why = j.outcome === 'running' ? 'still running' : j.outcome === 'pending' ? 'not started yet' : (j.reason ?? 'skipped');
          out.push(`- ${ICON[j.outcome]} ${code(rel(report, j.path))}: ${cell(cut(why, level.reasonChars, 'see gator show'))}`);
        }
      } else out.push('', `Left out to fit the size limit: \`gator show ${report.tracking}\``);
    }

    const stats = Object.entries(report.stats);
    if (stats.length > 0) {
      out.push('', '## Metrics', '', '| Metric | Count | Sum | Min | Max | Mean |', '|---|---:|---:|---:|---:|---:|');
      for (const [name, s] of stats) out.push(`| ${cell(name)} | ${s.count} | ${num(s.sum)} | ${num(s.min)} | ${num(s.max)} | ${num(s.mean)} |`);
    }

    if (level.passed) {
      out.push('', '## Jobs', '', `| Job | Result | Duration | Warnings | Errors |${level.metrics ? ' Metrics |' : ''}`, `|---|---|---:|---:|---:|${level.metrics ? '---|' : ''}`);
      for (const j of jobs) {
        const flakyJob = trialOutcome(j.outcome, j.attempts[j.attempts.length - 1]?.attempt) === 'flaky';
        const result = flakyJob ? 'FLAKY' : j.outcome === 'passed' || j.outcome === 'failed' ? (j.result ?? j.outcome) : j.outcome;
        const metrics = level.metrics ? ` ${cell(Object.entries(j.metrics).map(([k, v]) => `${k}=${num(v)}`).join(' '))} |` : '';
        out.push(
          `| ${code(rel(report, j.path))} | ${ICON[j.outcome]} ${result} | ${j.duration !== null ? duration(j.duration) : '-'} | ${j.messages.warning} | ${j.messages.error + j.messages.critical} |${metrics}`,
        );
      }
    } else out.push('', `Job table left out to fit the size limit: \`gator show ${report.tracking}\``);
    return `${out.join('\n')}\n`;
  };
  return fitToBudget(render, failing.length, maxBytes, 'Markdown');
}

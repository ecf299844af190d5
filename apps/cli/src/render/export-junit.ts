/**
 * JUnit XML of a run: one `<testcase>` per !Job, named by its dotted path, in a
 * `<testsuite>` per tier holding it. Failed jobs carry `<failure>` with their
 * reason and first error lines, lost jobs `<error>`, jobs that never ran
 * `<skipped>` with the reason. A job that passed only on a retry (flaky) carries a
 * `<flakyFailure>` per failed attempt, a failed job with retries a
 * `<rerunFailure>` per earlier attempt (Maven Surefire's elements, which
 * Jenkins, GitLab and others read). The document fits `maxBytes`: failures keep
 * their detail longest; long text is cut with a pointer to the run database.
 */
import type { NodeReport, RunReport } from '../inspect/run-report.js';
import { DEFAULT_MAX_BYTES, cut, fitToBudget, stripAnsi, type DetailLevel } from './export-text.js';

export interface JunitOptions {
  /** Default 65,535. */
  maxBytes?: number;
}

// XML 1.0 forbids most control characters (and lone surrogates) even as references.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function clean(text: string): string {
  return stripAnsi(text).replace(INVALID_XML, '');
}

export function xmlText(text: string): string {
  return clean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function xmlComment(text: string): string {
  return `<!-- ${clean(text).replace(/--+/g, '-').replace(/-$/, '- ')} -->`;
}

function seconds(n: NodeReport): string {
  return (n.duration ?? 0).toFixed(3);
}

interface Suite {
  tier: NodeReport;
  jobs: NodeReport[];
}

/** Tiers in tree order with the jobs directly under them (a lone !Job root is its own suite). */
function suitesOf(root: NodeReport): Suite[] {
  if (root.kind === 'job') return [{ tier: root, jobs: [root] }];
  const out: Suite[] = [];
  const visit = (tier: NodeReport) => {
    const jobs = (tier.children ?? []).filter((c) => c.kind === 'job');
    if (jobs.length > 0) out.push({ tier, jobs });
    for (const c of tier.children ?? []) if (c.kind === 'tier') visit(c);
  };
  visit(root);
  return out;
}

function counts(jobs: NodeReport[]) {
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const j of jobs) {
    if (j.outcome === 'failed') failures++;
    else if (j.outcome === 'lost') errors++;
    else if (j.outcome !== 'passed') skipped++;
  }
  return { tests: jobs.length, failures, errors, skipped };
}

/** The attempts before the deciding one that did not pass: Surefire's flakyFailure / rerunFailure elements. */
function retriedAttempts(j: NodeReport, tag: 'flakyFailure' | 'rerunFailure', reasonChars: number): string[] {
  const earlier = j.attempts.slice(0, -1).filter((a) => a.result !== 'SUCCESS');
  return earlier.map((a) => {
    const reason = cut(a.reason ?? (a.exit !== null ? `exited with code ${a.exit}` : 'did not pass'), reasonChars, 'see gator show');
    const type = a.exit !== null && a.exit !== 0 ? `exit ${a.exit}` : (a.result ?? 'FAILURE');
    return `      <${tag} message="${xmlAttr(`attempt ${a.attempt}: ${reason}`)}" type="${xmlAttr(type)}"><stackTrace>${xmlText(`attempt ${a.attempt} of ${j.path.join('.')}: ${reason}`)}</stackTrace></${tag}>`;
  });
}

function skipMessage(j: NodeReport): string {
  if (j.outcome === 'running') return 'still running when exported';
  if (j.outcome === 'pending') return 'not started when exported';
  if (j.outcome === 'stopped') return j.reason ?? 'stopped by the user while it ran';
  return j.reason ?? 'never ran';
}

export function renderJunit(report: RunReport, options: JunitOptions = {}): string {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const suites = suitesOf(report.root);
  const allJobs = suites.flatMap((s) => s.jobs);
  const failing = allJobs.filter((j) => j.outcome === 'failed' || j.outcome === 'lost');
  const pointer = (j: NodeReport) => `full log: gator logs ${report.tracking} ${j.path.join('.')}`;

  const render = (level: DetailLevel, maxFailures: number): string => {
    const keep = new Set(failing.slice(0, maxFailures));
    const total = counts(allJobs);
    const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
    out.push(xmlComment(`Gator run ${report.ident}: ${report.dbFile}`));
    for (const b of report.buckets.slice(0, level.errorLines > 0 ? 10 : 3)) {
      out.push(xmlComment(`failure bucket: ${b.count} x ${cut(b.signature, 200, 'see gator show')}`));
    }
    out.push(
      `<testsuites name="${xmlAttr(report.ident)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${(report.duration ?? 0).toFixed(3)}">`,
    );
    for (const { tier, jobs } of suites) {
      const c = counts(jobs);
      const suiteName = tier.path.join('.');
      const timestamp = tier.started !== null ? ` timestamp="${new Date(tier.started * 1000).toISOString().replace(/\.\d+Z$/, '')}"` : '';
      out.push(
        `  <testsuite name="${xmlAttr(suiteName)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${seconds(tier)}"${timestamp}>`,
      );
      let omitted = 0;
      for (const j of jobs) {
        const bad = j.outcome === 'failed' || j.outcome === 'lost';
        if (bad && !keep.has(j)) {
          omitted++;
          continue;
        }
        if (j.outcome === 'passed' && !level.passed) {
          omitted++;
          continue;
        }
        if (!bad && j.outcome !== 'passed' && !level.skipped) {
          omitted++;
          continue;
        }
        const open = `    <testcase name="${xmlAttr(j.path.join('.'))}" classname="${xmlAttr(suiteName)}" time="${seconds(j)}"`;
        const body: string[] = [];
        if (level.metrics && Object.keys(j.metrics).length > 0) {
          body.push('      <properties>');
          for (const [k, v] of Object.entries(j.metrics)) body.push(`        <property name="${xmlAttr(k)}" value="${v}"/>`);
          body.push('      </properties>');
        }
        if (bad) {
          const tag = j.outcome === 'lost' ? 'error' : 'failure';
          const type = j.outcome === 'lost' ? 'LOST' : j.exit !== null && j.exit !== 0 ? `exit ${j.exit}` : (j.result ?? 'FAILURE');
          const reason = cut(j.reason ?? j.outcome, level.reasonChars, pointer(j));
          const lines = j.errors.slice(0, level.errorLines).map((e) => cut(e, level.lineChars, pointer(j)));
          if (j.errors.length > lines.length) lines.push(`… ${j.errors.length - lines.length} more error line(s); ${pointer(j)}`);
          if (j.log) lines.push(`log: ${j.log}`);
          body.push(`      <${tag} message="${xmlAttr(reason)}" type="${xmlAttr(type)}">${xmlText(lines.join('\n'))}</${tag}>`);
          if (tag === 'failure') body.push(...retriedAttempts(j, 'rerunFailure', level.reasonChars));
        } else if (j.outcome === 'passed') {
          body.push(...retriedAttempts(j, 'flakyFailure', level.reasonChars));
        } else {
          body.push(`      <skipped message="${xmlAttr(cut(skipMessage(j), level.reasonChars, 'see gator show'))}"/>`);
        }
        out.push(body.length > 0 ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`);
      }
      if (omitted > 0) out.push(`    ${xmlComment(`${omitted} test case(s) left out to fit the size limit: gator show ${report.tracking}`)}`);
      out.push('  </testsuite>');
    }
    out.push('</testsuites>');
    return `${out.join('\n')}\n`;
  };
  return fitToBudget(render, failing.length, maxBytes, 'JUnit');
}

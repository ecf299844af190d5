/**
 * What changed between two runs of a spec (`gator diff`): each job is matched
 * by its path (job-trials.ts), and falls in at most one of the change lists
 * below, with duration changes listed apart (a job can fail anew and be slower).
 */
import { isBadTrial, type TrialOutcome } from '@gator/protocol';
import type { JobTrial, RunTrials } from './job-trials.js';
import type { RunEntry } from './run-history.js';

/** The lists of a diff, in the order the views show them (one source for every renderer). */
export const DIFF_SECTIONS = ['newFailures', 'fixed', 'stillFailing', 'flaky', 'newJobs', 'removedJobs', 'changed', 'slower', 'faster'] as const;
export type DiffSection = (typeof DIFF_SECTIONS)[number];

export interface DiffEntry {
  path: string;
  /** Its trial in the base run (absent: a new job). */
  before?: JobTrial;
  /** Its trial in the compared run (absent: a removed job). */
  after?: JobTrial;
  /** stillFailing: whether the reason (kind or words) is not the same. */
  reasonChanged?: boolean;
  /** slower/faster: seconds after minus before. */
  delta?: number;
}

export interface DiffOptions {
  /** A duration change counts when it is at least this many percent of the base (default 20). */
  thresholdPercent?: number;
  /** … and at least this many seconds (default 1), so noise in short jobs is not news. */
  minSeconds?: number;
}

export interface RunDiff {
  /** The base run (RUN_A, the older by default) and the compared one (RUN_B). */
  base: RunEntry;
  compared: RunEntry;
  thresholdPercent: number;
  minSeconds: number;
  /** Jobs in both runs. */
  common: number;
  sections: Record<DiffSection, DiffEntry[]>;
}

/** Digits vary between runs of the same failure (times, pids, addresses): compare reasons without them. */
function sameReason(a: JobTrial, b: JobTrial): boolean {
  const mask = (s: string | null) => (s ?? '').replace(/0x[0-9a-f]+/gi, '<hex>').replace(/\d+(\.\d+)?/g, '<n>');
  return a.outcome === b.outcome && (a.kind ?? '') === (b.kind ?? '') && mask(a.reason) === mask(b.reason);
}

const RAN = new Set<TrialOutcome>(['passed', 'flaky', 'failed']);

/**
 * Seconds by which a tier's clock of a job (ChildEntry: registration to
 * completion) may differ from the job's own (its start and end) between two
 * runs: a duration change this much short of the threshold is read again from
 * the jobs' own databases.
 */
const CLOCK_SLACK = 0.5;

/**
 * The trials the diff is made of, with the job's own clock (`exact`) for every
 * job a list may show: the jobs that are new, removed, bad, flaky or changed,
 * and those whose duration change comes near the threshold. The rest keep the
 * tiers' clock: they are in no list either way.
 */
function ownClock(base: RunTrials, compared: RunTrials, thresholdPercent: number, minSeconds: number): [Map<string, JobTrial>, Map<string, JobTrial>] {
  if (!base.exact && !compared.exact) return [base.jobs, compared.jobs];
  const shown = new Set<string>();
  for (const [p, after] of compared.jobs) {
    const before = base.jobs.get(p);
    if (!before || before.outcome !== after.outcome || isBadTrial(before.outcome) || isBadTrial(after.outcome) || after.outcome === 'flaky') {
      shown.add(p);
      continue;
    }
    if (before.duration === null || after.duration === null) continue;
    const delta = Math.abs(after.duration - before.duration) + CLOCK_SLACK;
    if (delta >= minSeconds && delta >= ((before.duration - CLOCK_SLACK) * thresholdPercent) / 100) shown.add(p);
  }
  for (const p of base.jobs.keys()) if (!compared.jobs.has(p)) shown.add(p);
  const exact = (trials: RunTrials): Map<string, JobTrial> => {
    if (!trials.exact) return trials.jobs;
    const jobs = new Map(trials.jobs);
    for (const p of shown) {
      const own = jobs.has(p) ? trials.exact(p) : undefined;
      if (own) jobs.set(p, own);
    }
    return jobs;
  };
  return [exact(base), exact(compared)];
}

/** The diff of `compared` against `base`. */
export function diffRuns(base: RunTrials, compared: RunTrials, options: DiffOptions = {}): RunDiff {
  const thresholdPercent = options.thresholdPercent ?? 20;
  const minSeconds = options.minSeconds ?? 1;
  const sections = Object.fromEntries(DIFF_SECTIONS.map((s) => [s, [] as DiffEntry[]])) as Record<DiffSection, DiffEntry[]>;
  let common = 0;
  const [baseJobs, comparedJobs] = ownClock(base, compared, thresholdPercent, minSeconds);
  for (const [p, after] of comparedJobs) {
    const before = baseJobs.get(p);
    if (!before) {
      sections[isBadTrial(after.outcome) ? 'newFailures' : 'newJobs'].push({ path: p, after });
      continue;
    }
    common += 1;
    const wasBad = isBadTrial(before.outcome);
    const isBad = isBadTrial(after.outcome);
    if (isBad && !wasBad) sections.newFailures.push({ path: p, before, after });
    else if (isBad && wasBad) sections.stillFailing.push({ path: p, before, after, reasonChanged: !sameReason(before, after) });
    else if (wasBad && (after.outcome === 'passed' || after.outcome === 'flaky')) sections.fixed.push({ path: p, before, after });
    else if (after.outcome === 'flaky') sections.flaky.push({ path: p, before, after });
    else if (before.outcome !== after.outcome && !(before.outcome === 'flaky' && after.outcome === 'passed')) sections.changed.push({ path: p, before, after });
    if (RAN.has(before.outcome) && RAN.has(after.outcome) && before.duration !== null && after.duration !== null) {
      const delta = after.duration - before.duration;
      if (Math.abs(delta) >= minSeconds && Math.abs(delta) >= (before.duration * thresholdPercent) / 100) {
        sections[delta > 0 ? 'slower' : 'faster'].push({ path: p, before, after, delta });
      }
    }
  }
  for (const [p, before] of baseJobs) if (!comparedJobs.has(p)) sections.removedJobs.push({ path: p, before });
  sections.slower.sort((a, b) => (b.delta ?? 0) - (a.delta ?? 0));
  sections.faster.sort((a, b) => (a.delta ?? 0) - (b.delta ?? 0));
  return { base: base.run, compared: compared.run, thresholdPercent, minSeconds, common, sections };
}

/**
 * One `qstat -xml` answer, read into the states of every job and array task it
 * lists. Running tasks (`<queue_info>`) have a `job_list` each; pending tasks
 * of one array share a `job_list` whose `<tasks>` is a range (`2-4:1`) or a
 * list (`4,5`). A job that is no longer listed has ended: accounting says how.
 */
import { XMLParser } from 'fast-xml-parser';

export interface QueueEntry {
  job: string;
  /** Tasks this entry covers; undefined for a job that is not an array. */
  tasks: TaskSet | undefined;
  /** Grid Engine's state letters: `r`, `t`, `qw`, `hqw`, `Eqw`, `dr`, `Rr`, `s`… */
  state: string;
  /** The job script has been started (running, transferring, suspended, or being deleted while running). */
  started: boolean;
  /** In an error state (`E`): Grid Engine will never run it until someone clears the error. */
  error: boolean;
}

/** Task ids of `<tasks>`: `3`, `2-4:1`, `1,3-9:2`. */
export class TaskSet {
  private readonly ranges: { first: number; last: number; step: number }[] = [];

  constructor(text: string) {
    for (const part of text.split(',')) {
      const m = /^\s*(\d+)(?:-(\d+)(?::(\d+))?)?\s*$/.exec(part);
      if (!m) continue;
      const first = Number(m[1]);
      this.ranges.push({ first, last: m[2] === undefined ? first : Number(m[2]), step: Math.max(1, Number(m[3] ?? 1)) });
    }
  }

  has(task: number): boolean {
    return this.ranges.some((r) => task >= r.first && task <= r.last && (task - r.first) % r.step === 0);
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  isArray: (name) => name === 'job_list',
});

interface RawJob {
  '@state'?: string;
  JB_job_number?: string;
  state?: string;
  tasks?: string;
}

/** Parse `qstat -xml`. Throws on a document that is not qstat's (the poll then counts as failed). */
export function parseQstatXml(xml: string): QueueEntry[] {
  const doc = parser.parse(xml) as { job_info?: { queue_info?: { job_list?: RawJob[] } | string; job_info?: { job_list?: RawJob[] } | string } };
  const root = doc.job_info;
  if (!root || typeof root !== 'object') throw new Error('qstat -xml printed no <job_info> document');
  const lists = [root.queue_info, root.job_info].flatMap((section) => (section && typeof section === 'object' ? (section.job_list ?? []) : []));
  const out: QueueEntry[] = [];
  for (const raw of lists) {
    const job = String(raw.JB_job_number ?? '').trim();
    if (!/^\d+$/.test(job)) continue;
    const state = String(raw.state ?? '').trim();
    const tasks = raw.tasks === undefined || String(raw.tasks).trim() === '' ? undefined : new TaskSet(String(raw.tasks));
    const pending = /q/.test(state) || raw['@state'] === 'pending';
    out.push({ job, tasks, state, started: !pending && /[rtsST]/.test(state), error: /E/.test(state) });
  }
  return out;
}

/** Lookup of `94` or `95.3` in one qstat answer. */
export class QueueSnapshot {
  private readonly byJob = new Map<string, QueueEntry[]>();

  constructor(entries: readonly QueueEntry[]) {
    for (const e of entries) {
      const list = this.byJob.get(e.job) ?? [];
      list.push(e);
      this.byJob.set(e.job, list);
    }
  }

  /** The entry listing `handle` (`94`, `95.3`), or undefined when qstat no longer lists it. */
  find(handle: string): QueueEntry | undefined {
    const [job, task] = handle.split('.');
    const list = this.byJob.get(job!);
    if (!list) return undefined;
    if (task === undefined) return list[0];
    const id = Number(task);
    return list.find((e) => e.tasks === undefined || e.tasks.has(id));
  }
}

/**
 * Issue 14, "one truth of a run": random trees (groups, arrays, dependencies,
 * retries, timeouts, failures by exit code, by stderr and by log rule, lost
 * children, a stop mid-run) are run for real, and every view of each run must
 * tell the same per-job outcomes and counts: the live stream, the final
 * summary, `show --json`, the JUnit and JSON exports, the hub's API and the
 * root's database. Without a stop, they must also be what the tree was built
 * to do (an oracle from the generator).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { FINAL_OUTCOMES, emptyTally, type FinalOutcome, type JobTally } from '@gator/protocol';
import { gator, startGator, startHub, tempDir, waitFor, writeSpec, type GatorRun } from '../helpers.js';

// ---------------------------------------------------------------- the trees

/** How a generated job behaves (and so how it must end). */
const BEHAVIOURS = ['pass', 'pass', 'pass', 'exit', 'stderr', 'rule', 'timeout', 'retry', 'lost', 'odd'] as const;
type Behaviour = (typeof BEHAVIOURS)[number];

interface JobNode {
  kind: 'job';
  ident: string;
  behaviour: Behaviour;
  /** A dependency on an earlier sibling job (that has none itself). */
  dep?: { rule: 'on_pass' | 'on_fail' | 'on_done'; on: string };
}
interface GroupNode {
  kind: 'group';
  ident: string;
  children: TreeNode[];
}
interface ArrayNode {
  kind: 'array';
  ident: string;
  repeats: number;
  child: JobNode | GroupNode;
}
type TreeNode = JobNode | GroupNode | ArrayNode;

function command(b: Behaviour): { args: string; extra: string[] } {
  switch (b) {
    case 'pass':
      return { args: 'echo fine', extra: [] };
    case 'exit':
      return { args: 'echo about to fail; exit 3', extra: [] };
    case 'stderr':
      return { args: 'echo oops >&2', extra: [] };
    case 'rule':
      return { args: 'echo "CHECK_FAIL mismatch"', extra: ["log_rules: [{pattern: '^CHECK_FAIL', severity: ERROR}]"] };
    case 'timeout':
      return { args: 'echo waiting; sleep 30', extra: ['timeout: 1'] };
    case 'retry':
      // Fails its first attempt only (a marker in its own tracking directory).
      return { args: 'if [ -e "$GATOR_TRACKING/tried" ]; then echo second; exit 0; fi; touch "$GATOR_TRACKING/tried"; exit 1', extra: ['retries: 1'] };
    case 'lost':
      // Kills its own wrapper: the tier above must report it lost.
      // (`\\$`: Gator expands `$NAME` in args itself; the shell is to see `$PPID`.)
      return { args: 'kill -9 \\$PPID; sleep 5', extra: [] };
    case 'odd':
      // In an array, odd copies fail; alone (index unset), it passes.
      return { args: 'if [ $(( ${GATOR_ARRAY_INDEX:-0} % 2 )) -eq 1 ]; then exit 5; fi; echo even', extra: [] };
  }
}

function yamlOf(node: TreeNode, indent: string, slow?: string): string {
  const inner = `${indent}  `;
  switch (node.kind) {
    case 'job': {
      const c = node.ident === slow ? { args: 'echo long; sleep 60', extra: [] } : command(node.behaviour);
      const lines = [`${indent}- !Job`, `${inner}ident: ${node.ident}`, `${inner}command: bash`, `${inner}args: [-c, ${JSON.stringify(c.args)}]`];
      for (const e of c.extra) lines.push(`${inner}${e}`);
      if (node.dep) lines.push(`${inner}${node.dep.rule}: [${node.dep.on}]`);
      return lines.join('\n');
    }
    case 'group':
      return [`${indent}- !JobGroup`, `${inner}ident: ${node.ident}`, `${inner}jobs:`, ...node.children.map((c) => yamlOf(c, `${inner}  `, slow))].join('\n');
    case 'array':
      return [`${indent}- !JobArray`, `${inner}ident: ${node.ident}`, `${inner}repeats: ${node.repeats}`, `${inner}jobs:`, yamlOf(node.child, `${inner}  `, slow)].join('\n');
  }
}

let counter = 0;
const identOf = (prefix: string) => `${prefix}${counter++}`;

const jobArb: fc.Arbitrary<JobNode> = fc.constantFrom(...BEHAVIOURS).map((behaviour) => ({ kind: 'job', ident: '', behaviour }));

const treeArb: fc.Arbitrary<TreeNode> = fc.letrec<{ node: TreeNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: jobArb, weight: 4 },
    { arbitrary: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((children): TreeNode => ({ kind: 'group', ident: '', children })), weight: 2 },
    {
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.oneof(jobArb, fc.array(jobArb, { minLength: 1, maxLength: 2 }).map((children): GroupNode => ({ kind: 'group', ident: '', children })))).map(
        ([repeats, child]): TreeNode => ({ kind: 'array', ident: '', repeats, child }),
      ),
      weight: 1,
    },
  ),
})).node;

interface Case {
  root: GroupNode;
  /** Dependencies to add: [index of the dependant job among the root's jobs, rule]. */
  deps: ('on_pass' | 'on_fail' | 'on_done' | null)[];
  stop: boolean;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  children: fc.array(treeArb, { minLength: 2, maxLength: 5 }),
  deps: fc.array(fc.constantFrom('on_pass', 'on_fail', 'on_done', null, null), { minLength: 5, maxLength: 5 }),
  stop: fc.boolean(),
}).map(({ children, deps, stop }) => ({ root: { kind: 'group', ident: 'root', children }, deps, stop }));

/** Unique idents, and dependencies between direct sibling jobs of each group (targets without deps, never lost or timing out). */
function finish(generated: Case): Case {
  const c = structuredClone(generated);
  counter = 0;
  let depIndex = 0;
  const name = (node: TreeNode): void => {
    node.ident = identOf(node.kind === 'job' ? 'j' : node.kind === 'group' ? 'g' : 'a');
    if (node.kind === 'group') {
      node.children.forEach(name);
      // The first job that ends plainly is the target of its later sibling jobs' rules.
      const target = node.children.find((n): n is JobNode => n.kind === 'job' && !['lost', 'timeout', 'retry'].includes(n.behaviour));
      for (const child of node.children.slice(target ? node.children.indexOf(target) + 1 : node.children.length)) {
        if (child.kind !== 'job') continue;
        const rule = c.deps[depIndex++ % c.deps.length];
        if (rule) child.dep = { rule, on: target!.ident };
      }
    }
    if (node.kind === 'array') name(node.child);
  };
  name(c.root);
  return c;
}

function specText(c: Case, slow?: string): string {
  return ['!JobGroup', `ident: ${c.root.ident}`, 'jobs:', ...c.root.children.map((n) => yamlOf(n, '  ', slow))].join('\n') + '\n';
}

/** What each job must end as (dotted path below the root), from how it was built. */
function oracle(c: Case): Map<string, FinalOutcome> {
  const out = new Map<string, FinalOutcome>();
  const own = (b: Behaviour, index: number | undefined): FinalOutcome =>
    b === 'pass' || b === 'retry' ? 'passed' : b === 'lost' ? 'lost' : b === 'odd' ? (index !== undefined && index % 2 === 1 ? 'failed' : 'passed') : 'failed';
  const visit = (node: TreeNode, prefix: string[], index: number | undefined): void => {
    if (node.kind === 'job') {
      out.set([...prefix, node.ident].join('.'), own(node.behaviour, index));
      return;
    }
    if (node.kind === 'array') {
      for (let i = 0; i < node.repeats; i++) {
        const copy = `${node.child.ident}_${i}`;
        if (node.child.kind === 'job') out.set([...prefix, node.ident, copy].join('.'), own(node.child.behaviour, i));
        else for (const j of node.child.children) visit(j, [...prefix, node.ident, copy], i);
      }
      return;
    }
    const here = node === c.root ? [] : [...prefix, node.ident];
    for (const child of node.children) visit(child, here, index);
    for (const child of node.children) {
      if (child.kind !== 'job' || !child.dep) continue;
      const target = out.get([...here, child.dep.on].join('.'))!;
      const runs = child.dep.rule === 'on_done' || (child.dep.rule === 'on_pass' ? target === 'passed' : target === 'failed');
      if (!runs) out.set([...here, child.ident].join('.'), 'skipped');
    }
  };
  visit(c.root, [], undefined);
  return out;
}

// ---------------------------------------------------------------- the views

interface View {
  /** Final outcome of every job the view lists, by dotted path below the root. */
  jobs: Map<string, FinalOutcome>;
  tally: JobTally;
}

function tallyOfJobs(jobs: Map<string, FinalOutcome>): JobTally {
  const t = emptyTally();
  for (const o of jobs.values()) {
    t.total++;
    t[o]++;
  }
  return t;
}

/** A path from the root (its ident first) as the dotted path below it. */
const below = (p: string[]) => p.slice(1).join('.');

/** The live stream: one final line per job (`✔ passed PATH`, `✖ failed PATH: why`, …) and the summary line. */
function liveView(stdout: string): { view: View; summary: JobTally; verdict: string; repeated: string[] } {
  const jobs = new Map<string, FinalOutcome>();
  const repeated: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\[\d\d:\d\d:\d\d\] \S+ (passed|failed|lost|skipped|stopped)\s+([^\s:]+)/.exec(line);
    if (!m) continue;
    const [, outcome, p] = m as unknown as [string, FinalOutcome, string];
    if (jobs.has(p)) repeated.push(`${p}: ${jobs.get(p)} then ${outcome}`);
    jobs.set(p, outcome);
  }
  const last = stdout.split('\n').find((l) => / of \d+ jobs?\b/.test(l)) ?? '';
  const summary = emptyTally();
  for (const o of FINAL_OUTCOMES) summary[o] = Number(new RegExp(`(\\d+) ${o}`).exec(last)?.[1] ?? 0);
  summary.total = Number(/ of (\d+) jobs?/.exec(last)?.[1] ?? -1);
  return { view: { jobs, tally: tallyOfJobs(jobs) }, summary, verdict: /^(\S+)/.exec(last)?.[1] ?? '', repeated };
}

interface ReportNode {
  path: string[];
  kind: 'job' | 'tier';
  outcome: string;
  children?: ReportNode[];
}
function reportView(report: { totals: JobTally; root: ReportNode }): View {
  const jobs = new Map<string, FinalOutcome>();
  const visit = (n: ReportNode) => {
    if (n.kind === 'job') jobs.set(below(n.path), n.outcome as FinalOutcome);
    for (const c of n.children ?? []) visit(c);
  };
  visit(report.root);
  return { jobs, tally: { ...emptyTally(), ...report.totals } };
}

function junitView(xml: string): View {
  const jobs = new Map<string, FinalOutcome>();
  for (const m of xml.matchAll(/<testcase name="([^"]+)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[3] ?? '';
    // JUnit's words: <failure> failed, <error> lost, <skipped> never ran or stopped (it has no word for stopped).
    const outcome: FinalOutcome = /<skipped/.test(body) ? 'skipped' : /<error/.test(body) ? 'lost' : /<failure/.test(body) ? 'failed' : 'passed';
    jobs.set(below(m[1]!.split('.')), outcome);
  }
  const head = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/.exec(xml);
  const tally = emptyTally();
  if (head) {
    tally.total = Number(head[1]);
    tally.failed = Number(head[2]);
    tally.lost = Number(head[3]);
    tally.skipped = Number(head[4]);
  }
  return { jobs, tally };
}

/** The root's database: its stored roll-up (`jobs`), result, and each layer's recorded outcome. */
function databaseView(tracking: string): View & { outcome: string | undefined } {
  const jobs = new Map<string, FinalOutcome>();
  const visit = (dir: string, prefix: string[]) => {
    const reader = openLayerReader(dir);
    try {
      const attrs = reader.attributes();
      if (reader.kind === 'wrapper' && attrs.outcome) jobs.set(prefix.join('.'), attrs.outcome as FinalOutcome);
      // A wrapper killed with its job records nothing: its tier's notice says it was lost.
      const lost = new Set(reader.notices({ kind: 'lost' }).map((n) => n.path));
      for (const c of reader.children()) {
        const p = [...prefix, c.ident];
        if (lost.has(c.ident) && c.expectedChildren === 0) jobs.set(p.join('.'), 'lost');
        if (c.dbFile && fs.existsSync(c.dbFile)) visit(path.dirname(c.dbFile), p);
        else if (c.expectedChildren === 0) jobs.set(p.join('.'), 'skipped');
      }
    } finally {
      reader.close();
    }
  };
  visit(tracking, []);
  const root = openLayerReader(tracking);
  try {
    const attrs = root.attributes();
    const summary = attrs.summary ? (JSON.parse(attrs.summary) as { jobs?: JobTally }) : {};
    return { jobs, tally: { ...emptyTally(), ...(summary.jobs ?? { total: -1 }) }, outcome: attrs.outcome };
  } finally {
    root.close();
  }
}

// ---------------------------------------------------------------- the hub

let hub: GatorRun | undefined;
let hubAddress = '';
const hubDir = tempDir('gator-truth-hub-');

async function hubGet<T>(p: string): Promise<T> {
  const res = await fetch(`http://${hubAddress}${p}`);
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

interface HubNode {
  ident: string;
  path: string[];
  layer?: string;
  outcome?: string;
  children: HubNode[];
}
async function hubView(ident: string): Promise<View> {
  const runs = await hubGet<{ children: { uidx: number; ident: string; live: boolean }[] }>('/api/jobs');
  const row = runs.children.find((r) => r.ident === ident);
  expect(row, `run ${ident} registered with the hub`).toBeDefined();
  await waitFor(async () => !(await hubGet<{ children: { ident: string; live: boolean }[] }>('/api/jobs')).children.find((r) => r.ident === ident)?.live, 20_000, 'the hub to see the run complete');
  const final = (await hubGet<{ children: { uidx: number; ident: string; summary: { jobs?: JobTally } }[] }>('/api/jobs')).children.find((r) => r.ident === ident)!;
  const tree = await hubGet<HubNode>(`/api/job/${final.uidx}/resolve?depth=8`);
  const jobs = new Map<string, FinalOutcome>();
  const visit = (n: HubNode, prefix: string[]) => {
    const here = n === tree ? [] : [...prefix, n.ident];
    if (n.layer === 'wrapper' || (n.children.length === 0 && n !== tree && n.outcome !== undefined && n.layer !== 'tier')) jobs.set(here.join('.'), n.outcome as FinalOutcome);
    for (const c of n.children) visit(c, here);
  };
  visit(tree, []);
  return { jobs, tally: { ...emptyTally(), ...(final.summary.jobs ?? { total: -1 }) } };
}

beforeAll(async () => {
  ({ hub, address: hubAddress } = await startHub(hubDir));
});
afterAll(async () => {
  hub?.child.kill('SIGTERM');
  await hub?.done;
});

// ---------------------------------------------------------------- the property

/** The tally restricted to the fields a view states (JUnit has no `stopped` or `passed` column). */
function sameJobs(a: Map<string, FinalOutcome>, b: Map<string, FinalOutcome>): { path: string; a?: string; b?: string }[] {
  const diff: { path: string; a?: string; b?: string }[] = [];
  for (const p of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(p) !== b.get(p)) diff.push({ path: p, ...(a.has(p) ? { a: a.get(p)! } : {}), ...(b.has(p) ? { b: b.get(p)! } : {}) });
  }
  return diff;
}

async function checkCase(c: Case, n: number): Promise<void> {
  const dir = tempDir('gator-truth-');
  const expected = oracle(c);
  // A stopped case gets a long job, stopped by SIGINT once some job has ended.
  const slow = c.stop ? [...expected.keys()].find((p) => !p.includes('_') && expected.get(p) === 'passed')?.split('.').pop() : undefined;
  const spec = writeSpec(dir, 'spec.yaml', specText(c, slow));
  const ident = c.root.ident;
  const run = startGator(['run', spec, '--tracking', 'run', '--hub', hubAddress, '--interval', '0.3', '--sched-arg', 'concurrency=4'], { cwd: dir });
  const slowPath = slow ? [...expected.keys()].find((p) => p === slow || p.endsWith(`.${slow}`))! : undefined;
  if (slowPath) {
    await waitFor(() => run.stdout.includes(`started ${slowPath}`) || run.code !== null, 60_000, 'the long job to start');
    run.child.kill('SIGINT');
  }
  await run.done;
  const context = `case ${n}:\n${specText(c, slow)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  const tracking = path.join(dir, 'run');

  const live = liveView(run.stdout);
  expect(live.repeated, `${context}\nno job has two final lines`).toEqual([]);
  const show = await gator(['show', tracking, '--json'], { cwd: dir });
  expect(show.code, context).toBe(0);
  const shown = reportView(JSON.parse(show.stdout));
  await gator(['export', tracking, '--json', path.join(dir, 'r.json'), '--junit', path.join(dir, 'r.xml')], { cwd: dir });
  const exported = reportView(JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8')));
  const junit = junitView(fs.readFileSync(path.join(dir, 'r.xml'), 'utf8'));
  const db = databaseView(tracking);
  const hubbed = await hubView(ident);

  // Every job, in every view, has the same outcome.
  const truth = shown.jobs;
  expect(truth.size, context).toBe(expected.size);
  for (const [name, view] of Object.entries({ exported, hub: hubbed })) {
    expect(sameJobs(truth, view.jobs), `${context}\n${name} vs show --json`).toEqual([]);
  }
  // The database has a row for every layer that was launched; the jobs of a subtree that never
  // started are only in its tally (checked below) and its spec.
  const inDatabase = new Map([...truth].filter(([p]) => db.jobs.has(p)));
  expect(sameJobs(inDatabase, db.jobs), `${context}\ndatabase vs show --json`).toEqual([]);
  const inJunitWords = new Map([...truth].map(([p, o]) => [p, o === 'stopped' ? 'skipped' : o] as const));
  expect(sameJobs(inJunitWords, junit.jobs), `${context}\njunit vs show --json`).toEqual([]);
  // The live stream names every job once (jobs never started after a stop may be summed up in one line).
  const notListed = [...truth].filter(([p]) => !live.view.jobs.has(p));
  expect(sameJobs(new Map([...truth].filter(([p]) => live.view.jobs.has(p))), live.view.jobs), `${context}\nlive vs show`).toEqual([]);
  if (!slow) expect(notListed, `${context}\njobs the live stream never reported`).toEqual([]);
  else expect(notListed.every(([, o]) => o === 'skipped'), `${context}\nonly never-started jobs may be summed up`).toBe(true);

  // Every view's counts are the same tally, and are the jobs' outcomes counted.
  const counted = tallyOfJobs(truth);
  expect(shown.tally, `${context}\nshow totals`).toMatchObject(counted);
  expect(exported.tally, `${context}\nexport totals`).toMatchObject(counted);
  expect(db.tally, `${context}\nroot database's jobs`).toMatchObject(counted);
  expect(hubbed.tally, `${context}\nhub's run row`).toMatchObject(counted);
  const { running: _r, pending: _p, ...final } = counted;
  expect(live.summary, `${context}\nsummary line`).toMatchObject({ ...final });
  expect(junit.tally, `${context}\njunit counts`).toMatchObject({ total: counted.total, failed: counted.failed, lost: counted.lost, skipped: counted.skipped + counted.stopped });

  // One verdict: the exit status, the summary's word and the root's recorded outcome.
  const verdict = slow ? 'stopped' : counted.failed + counted.lost > 0 ? 'failed' : 'passed';
  expect({ exit: run.code, word: live.verdict.toLowerCase(), db: db.outcome }, context).toEqual({
    exit: { passed: 0, failed: 1, stopped: 130 }[verdict],
    word: verdict,
    db: verdict,
  });
  if (!slow) expect(sameJobs(expected, truth), `${context}\nwhat the tree was built to do`).toEqual([]);
  else expect(truth.get(slowPath!), context).toBe('stopped');
}

describe('one truth of a run (property-based, real runs)', () => {
  it('every view tells the same outcomes, counts and verdict of random trees', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (generated) => {
        const c = finish(generated);
        c.root.ident = `truth${n}`;
        await checkCase(c, n++);
      }),
      { numRuns: Number(process.env.GATOR_TRUTH_RUNS ?? 10), seed: Number(process.env.GATOR_TRUTH_SEED ?? 14), endOnFailure: true },
    );
  }, 900_000);
});

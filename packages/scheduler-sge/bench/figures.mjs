// The figures in the README, on the test cluster (run as root after `npx tsup`):
//   node bench/figures.mjs [N=60] [queue=all.q]
// 1. One child at a time (10 samples): launch → `started` (qstat says r/t), → `exited`.
// 2. N children of one !JobArray launched together, as N jobs (arrays=off) and as one
//    array job (arrays=on): launch → every job number known, → every child exited (jobs/s).
// 3. What polling cost meanwhile: qstat calls per poll and polls per poll interval.
// Children run /bin/true, so that the figures are Grid Engine's and the scheduler's,
// not Node start-up on a 2-core machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSgeScheduler } from '../dist/index.js';

const n = Number(process.argv[2] ?? 60);
const queue = process.argv[3] ?? 'all.q';
const pollSeconds = 1;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
let counter = 0;

function request(root, extra = {}) {
  const id = `c${++counter}`;
  const tracking = path.join(root, id);
  fs.mkdirSync(tracking, { mode: 0o700 });
  return {
    id,
    path: ['bench', id],
    kind: 'job',
    command: ['/bin/true'],
    env: {},
    cwd: root,
    parent: '127.0.0.1:9',
    tracking,
    resources: { cores: 0, memoryMb: 0, licenses: {} },
    ...extra,
  };
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-sge-bench-'));
try {
  const s = await createSgeScheduler({ options: { queue, poll: String(pollSeconds) } });
  const running = [];
  const done = [];
  for (let i = 0; i < 10; i++) {
    // Spread the submissions over the cluster's 1 s scheduling interval.
    await new Promise((r) => setTimeout(r, (i * 97) % 1000));
    const t0 = performance.now();
    const child = await s.launch(request(root));
    await child.started.catch(() => {});
    running.push(performance.now() - t0);
    await child.exited;
    done.push(performance.now() - t0);
  }
  await s.close();
  console.log(`one child at a time: launch → running median ${secs(median(running))} (min ${secs(Math.min(...running))}, max ${secs(Math.max(...running))}); → exited median ${secs(median(done))}`);

  for (const arrays of ['off', 'on']) {
    const sched = await createSgeScheduler({ options: { queue, arrays, poll: String(pollSeconds) } });
    const t0 = performance.now();
    const children = [];
    for (let index = 0; index < n; index++) {
      children.push(await sched.launch(request(root, { path: ['bench', 'sim', `sim_${index}`], array: { base: 'sim', index, size: n } })));
    }
    while (children.some((c) => c.handle === undefined)) await new Promise((r) => setTimeout(r, 5));
    const submitted = performance.now() - t0;
    const exits = await Promise.all(children.map((c) => c.exited));
    const elapsed = performance.now() - t0;
    await sched.close();
    const c = sched.counters;
    console.log(
      `arrays=${arrays}: ${n} children submitted in ${secs(submitted)} (${c.qsub} qsub), all exited after ${secs(elapsed)} = ` +
        `${(n / (elapsed / 1000)).toFixed(2)} jobs/s; ${c.polls} polls = ${(c.polls / (elapsed / 1000 / pollSeconds)).toFixed(2)} per ${pollSeconds} s interval, ` +
        `${(c.qstat / c.polls).toFixed(2)} qstat per poll, ${c.qacct} qacct; not exit 0: ${exits.filter((e) => e.code !== 0).length}`,
    );
  }
  const slots = (await createSgeScheduler({ options: { queue } })).cluster.queues.reduce((a, q) => a + q.slots, 0);
  console.log(`(queue ${queue}: ${slots} slots; ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

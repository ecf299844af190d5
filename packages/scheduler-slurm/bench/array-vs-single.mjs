// Submission time of N children of one !JobArray: one sbatch each (arrays=off) vs one
// job array (arrays=on). Run as root on the test cluster after `npx tsup`:
//   node bench/array-vs-single.mjs [N=200] [rounds=3]
// Prints, per mode, the median over rounds of: launch → every job id known (submitted),
// and launch → every child exited (done). Children run /bin/true, so that the figures are
// Slurm's and the scheduler's, not Node start-up on a 2-core machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSlurmScheduler } from '../dist/index.js';

const n = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(arrays) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gator-slurm-bench-'));
  const s = await createSlurmScheduler({ options: { arrays, poll: '0.5' } });
  const t0 = performance.now();
  const children = [];
  for (let index = 0; index < n; index++) {
    const tracking = path.join(root, String(index));
    fs.mkdirSync(tracking);
    children.push(
      await s.launch({
        id: `sim_${index}`,
        path: ['bench', 'sim', `sim_${index}`],
        kind: 'job',
        command: ['/bin/true'],
        env: {},
        cwd: root,
        parent: '127.0.0.1:9',
        tracking,
        resources: { cores: 0, memoryMb: 0, licenses: {} },
        array: { base: 'sim', index, size: n },
      }),
    );
  }
  while (children.some((c) => c.handle === undefined)) await new Promise((r) => setTimeout(r, 5));
  const submitted = performance.now() - t0;
  const exits = await Promise.all(children.map((c) => c.exited));
  const done = performance.now() - t0;
  await s.close();
  fs.rmSync(root, { recursive: true, force: true });
  const failed = exits.filter((e) => e.code !== 0).length;
  return { submitted, done, failed };
}

for (const arrays of ['off', 'on']) {
  const results = [];
  for (let r = 0; r < rounds; r++) results.push(await once(arrays));
  const f = (key) => `${(median(results.map((x) => x[key])) / 1000).toFixed(2)} s`;
  console.log(
    `arrays=${arrays}: ${n} children submitted in ${f('submitted')}, all exited after ${f('done')} ` +
      `(median of ${rounds}; not exit 0: ${results.reduce((a, x) => a + x.failed, 0)})`,
  );
}
console.log(`(${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);

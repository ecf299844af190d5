// Runs the way a nested tier does: creates a local scheduler in a process whose
// environment has GATOR_LOCAL_POOL (it is launched by the root scheduler as a
// `kind: 'tier'` child), launches the jobs of its config and reports.
// Usage: node pool-client.mjs <config.json>
//   config: { entry, options, jobs: LaunchRequest[], probe, result, hold? }
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { default: factory } = await import(pathToFileURL(config.entry).href);
const scheduler = await factory({ options: config.options ?? {} });
const launched = [];
for (const job of config.jobs) launched.push(await scheduler.launch(job));
if (config.hold) {
  // Wait to be killed: the test checks that the root ends what we leave behind.
  fs.writeFileSync(config.result, JSON.stringify({ holding: true }));
  setInterval(() => {}, 1000);
  setTimeout(() => process.exit(99), 60_000).unref();
} else {
  const exits = await Promise.all(launched.map((child) => child.exited));
  fs.writeFileSync(config.result, JSON.stringify({ exits, check: scheduler.check(config.probe) ?? null }));
  await scheduler.close();
}

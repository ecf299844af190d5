// A stand-in for a Gator wrapper on the local scheduler's go channel (go-channel.ts of
// @gator/protocol): `go-wrapper.mjs LOG ID [OPTIONS_JSON]`. Appends `ID EVENT ENV` lines
// to LOG (ENV: GATOR_WAIT_FOR_GO as the process sees it after taking the channel).
// Options: jobUntil (a LOG line the "job" waits for), lingerUntil (a LOG line the
// wind-down after the job waits for), dieWaiting (exit 3 right after the hello), uplink
// (take the link to the tier from the channel, ask it for its spec before the go and
// log its reply, report the job's end on it after: `uplink:…` lines).
import fs from 'node:fs';
import { Connection, takeGoChannel } from '@gator/protocol';

const [log, id, json = '{}'] = process.argv.slice(2);
const options = JSON.parse(json);
const say = (what) => fs.appendFileSync(log, `${id} ${what} ${process.env.GATOR_WAIT_FOR_GO ?? '-'}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Wait for a line of LOG (bounded: a missing line must not hang the test). */
async function waitFor(line) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !fs.readFileSync(log, 'utf8').split('\n').some((l) => l.startsWith(`${line} `))) await sleep(20);
}

const go = takeGoChannel();
// As the wrapper: a stop before the go ends the wait (installed before the hello a test waits for).
let running = !go;
process.on('SIGTERM', () => {
  if (running) process.exit(143);
  go.abandon();
});
say(go ? `hello${process.env.GATOR_UPLINK ? ` uplink-env:${process.env.GATOR_UPLINK}` : ''}` : 'no-channel');
if (options.dieWaiting) process.exit(3);
let tier;
if (options.uplink) {
  const socket = go?.takeUplink?.();
  say(socket ? 'uplink:taken' : 'uplink:none');
  if (socket) {
    tier = new Connection(socket, { keepAliveMs: 0 });
    try {
      const { spec } = await tier.request('spec', { ident: id }, { timeoutMs: 20_000 });
      say(`uplink:spec:${spec}`);
    } catch (error) {
      say(`uplink:refused:${error.code}`);
      say(`uplink:closed:${(await tier.closed).code}`);
      process.exit(4);
    }
  }
}
if (go && !(await go.go)) {
  say('abandoned');
  process.exit(0);
}
running = true;
say('go');
// The job's path, as the go names it (the wrapper's job gets it without waiting for its tier).
if (go?.path) say(`path:${go.path.join('.')}`);
if (options.jobUntil) await waitFor(options.jobUntil);
else await sleep(50);
say('job-end');
go?.ended();
if (tier) {
  await tier.request('log', { severity: 'INFO', message: `${id} ended` });
  tier.close(1000, 'done');
  say(`uplink:closed:${(await tier.closed).code}`);
}
if (options.lingerUntil) await waitFor(options.lingerUntil);
say('exit');

// A stand-in for a Gator wrapper on the local scheduler's go channel (go-channel.ts of
// @gator/protocol): `go-wrapper.mjs LOG ID [OPTIONS_JSON]`. Appends `ID EVENT ENV` lines
// to LOG (ENV: GATOR_WAIT_FOR_GO as the process sees it after taking the channel).
// Options: jobUntil (a LOG line the "job" waits for), lingerUntil (a LOG line the
// wind-down after the job waits for), dieWaiting (exit 3 right after the hello).
import fs from 'node:fs';
import { takeGoChannel } from '@gator/protocol';

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
say(go ? 'hello' : 'no-channel');
if (options.dieWaiting) process.exit(3);
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
if (options.lingerUntil) await waitFor(options.lingerUntil);
say('exit');

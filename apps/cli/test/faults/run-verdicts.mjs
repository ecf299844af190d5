// Runs `gator run` on many specs in one process: the built CLI's `main`, the
// function `dist/cli.js` calls, once per spec, one after the other, each with
// its own working directory and --tracking. Prints `{"start": id}` before a
// spec and `{"id", "code", "out", "err"}` after it, one JSON line each, so a
// parent that has to kill a hung driver knows which spec hung it.
// Usage: node run-verdicts.mjs CASES.json (a list of {id, file, cwd, tracking}).
import fs from 'node:fs';
import { main } from '../../dist/index.js';

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function sink() {
  const stream = {
    text: '',
    isTTY: false,
    columns: 100,
    write(chunk) {
      stream.text += String(chunk);
      return true;
    },
    on: () => stream,
    once: () => stream,
    off: () => stream,
    removeListener: () => stream,
  };
  return stream;
}

for (const c of cases) {
  process.stdout.write(`${JSON.stringify({ start: c.id })}\n`);
  const out = sink();
  const err = sink();
  let code;
  try {
    code = await main(['run', c.file, '--tracking', c.tracking, '--sched-arg', 'wrappers=inprocess', ...(c.args ?? [])], { out, err, cwd: c.cwd });
  } catch (error) {
    code = 'threw';
    err.text += `driver: main threw: ${error?.stack ?? error}\n`;
  }
  process.stdout.write(`${JSON.stringify({ id: c.id, code, out: out.text, err: err.text })}\n`);
}

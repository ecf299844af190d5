#!/usr/bin/env node
import { isChildCommandLine } from './child-command-line.js';

const argv = process.argv.slice(2);

// A child process loads only the layer's code (child-main), not the command framework.
const running: Promise<number> = isChildCommandLine(argv)
  ? import('./child-main.js').then((m) => m.childMain(argv))
  : import('./main.js').then((m) => m.main(argv));

running.then(
  (code) => {
    process.exitCode = code;
    // Let pending output flush; a hung handle must not keep a finished CLI alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    process.stderr.write(`gator: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);

#!/usr/bin/env node
import { main } from './main.js';

main(process.argv.slice(2)).then(
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

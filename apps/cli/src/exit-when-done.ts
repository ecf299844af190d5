/**
 * How an entry (root-entry.ts, child-entry.ts) ends once its command has: with the
 * command's exit code, after a moment to let pending output flush, so that a hung
 * handle does not keep a finished process alive; an error no command caught is one
 * line, not a stack.
 */
export function exitWhenDone(running: Promise<number>): void {
  running.then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => process.exit(code), 200).unref();
    },
    (error: unknown) => {
      process.stderr.write(`gator: internal error: ${(error as Error)?.message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

/** How the CLI shows a Gator error (no stack: the message, its hint) and the exit status it gives it. */
import { SpecError, exitStatusOf, type GatorError } from '@gator/protocol';
import type { Io } from './io.js';
import { terminalSafeLines } from './render/terminal-text.js';
import { VERSION } from './version.js';

export function printError(error: GatorError, io: Pick<Io, 'err'>): void {
  // A message may quote the spec or a peer (a found value, an ident): shown, never acted on.
  const message = terminalSafeLines(error.message);
  io.err.write(error instanceof SpecError ? `${message}\n` : `gator: ${message}\n`);
  if (error.hint) io.err.write(`  hint: ${terminalSafeLines(error.hint)}\n`);
  if (error.code === 'GATOR_INTERNAL') io.err.write(`  This is a bug in Gator ${VERSION}: please report it with the command you ran.\n`);
}

/** Exit code of a GatorError: what its code's entry in the error catalogue says (2: fix the input). */
export function exitCodeOfError(error: GatorError): number {
  return exitStatusOf(error.code);
}

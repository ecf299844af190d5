/** Pick the renderer: the live view on an interactive terminal, plain lines otherwise. */
import type { RootOptions } from '../options.js';
import { PlainReporter, type Reporter } from './reporter.js';

export function isPlainOutput(flags: Pick<RootOptions, 'quiet'>, out: NodeJS.WriteStream): boolean {
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== '0' && process.env.CI !== 'false';
  return flags.quiet || ci || !out.isTTY || process.env.TERM === 'dumb';
}

/** The live view is loaded only for a terminal: log-update's width tables cost a plain run ~6 ms to build. */
export async function createReporter(
  flags: Pick<RootOptions, 'quiet' | 'verbose'>,
  ctx: { out: NodeJS.WriteStream; err: NodeJS.WriteStream; cwd: string },
  rootIdent: string,
  expectedJobs?: number,
): Promise<Reporter> {
  const options = { out: ctx.out, err: ctx.err, verbose: flags.verbose, quiet: flags.quiet, rootIdent, cwd: ctx.cwd };
  if (!isPlainOutput(flags, ctx.out)) {
    const { LiveReporter } = await import('./live.js');
    return new LiveReporter(options, expectedJobs === undefined ? {} : { expectedJobs });
  }
  return new PlainReporter(options);
}

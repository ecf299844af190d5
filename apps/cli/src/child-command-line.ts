/**
 * Whether argv is Python Gator's child command line, as a tier writes it
 * (cli-and-scheduler.md §4): options only (or `run` then options), one of
 * them `--parent`. A SPEC given with `--parent` still works through the full
 * CLI (`gator run` hands it to the child entry).
 */
export function isChildCommandLine(argv: readonly string[]): boolean {
  const words = argv[0] === 'run' ? argv.slice(1) : argv;
  if (words.length === 0 || !words[0]!.startsWith('-')) return false;
  return words.some((a) => a === '--parent' || a.startsWith('--parent='));
}

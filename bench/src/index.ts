/** @gator/bench: the benchmark behind `pnpm bench`, usable from code too. */
export { CASES, runBench, type BenchOptions } from './bench.js';
export type { BenchCase, BenchContext, Mode } from './context.js';
export { DEFAULT_MODE, MODES, modeByName } from './modes.js';
export { BenchError, BenchSkip } from './measure.js';
export { formatTable, judge, writeResults, type CaseFailure, type Quantity, type Results, type Row, type Target } from './report.js';

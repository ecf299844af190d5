/** What every case gets: sizes for this run, the modes to measure, progress output. */
import type { Row } from './report.js';

/** A way of running jobs, compared by the tree cases (the default, and opt-in scheduler modes). */
export interface Mode {
  /** `default`, `inprocess`. */
  name: string;
  /** Extra `gator run` arguments that select it. */
  args: string[];
  /** One line on what it is, for the README and the JSON. */
  note: string;
}

export interface BenchContext {
  quick: boolean;
  /** Multiplies the full sizes (`--scale 0.1` runs a tenth of everything). */
  scale: number;
  /** The size of something: `full × scale`, or `quick` in quick mode (never below 1). */
  size(full: number, quick: number): number;
  /** Modes measured by the tree cases, the default first. */
  modes: Mode[];
  /** The quickest of `modes` (the opt-in in-process mode when selected): for the largest runs. */
  fastest: Mode;
  /** One line of progress (stderr). */
  progress(text: string): void;
  /** Also the cases that take long (`--heavy`): scale in the default mode, 10,000 wrapper processes. */
  heavy: boolean;
  /** Figures of earlier cases that later ones compare against (`job overhead` → `fan-out`). */
  shared: Map<string, number>;
}

export interface BenchCase {
  /** Short name, for `--only` (`overhead`, `stdout`, `api`, `memory`, `slots`, `regression`, `scale`, `fanout`, `open-tree`, `history`). */
  id: string;
  name: string;
  run(context: BenchContext): Promise<Row[]>;
}

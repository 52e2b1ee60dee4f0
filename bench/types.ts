/** One benchmark figure, as written to `bench/results.json`. The file format is stable. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal as text, e.g. `<= 300`, `0`, `>= 1`; informative, never asserted. */
  readonly goal: string;
}

/** A figure a suite means to report: its name, unit and goal, without a value. */
export type FigureSpec = Omit<Figure, 'value'>;

/**
 * A figure that could not be measured, and why (a missing emulator, a state the suite could not
 * reach, a suite that threw or ran out of time). Written to `bench/results.json` under
 * `unmeasured`, never as a made-up value.
 */
export interface Unmeasured extends FigureSpec {
  readonly reason: string;
}

/** What a suite reports: measured figures and, for what it could not measure, the reasons. */
export type Outcome = Figure | Unmeasured;

export function isUnmeasured(outcome: Outcome): outcome is Unmeasured {
  return 'reason' in outcome;
}

/** `spec` as unmeasured for `reason`. */
export function unmeasured(spec: FigureSpec, reason: string): Unmeasured {
  return { name: spec.name, unit: spec.unit, goal: spec.goal, reason };
}

/** A benchmark suite: a module in `bench/suites/` exporting `suite`. */
export interface BenchSuite {
  readonly name: string;
  /**
   * The figures the suite reports when all goes well. Whatever of these a run does not report
   * (the suite threw, timed out, or left one out) is written as unmeasured with the reason.
   */
  readonly figures?: readonly FigureSpec[];
  /** Time allowed for the whole suite before its figures are given up as unmeasured. @default 10 min */
  readonly timeoutMs?: number;
  run(): Promise<readonly Outcome[]>;
}

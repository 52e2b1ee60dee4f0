/** One benchmark figure, as written to `bench/results.json`. The file format is stable. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal as text, e.g. `<= 300`, `0`, `>= 1`; informative, never asserted. */
  readonly goal: string;
}

/** A benchmark suite: a module in `bench/suites/` exporting `run`. */
export interface BenchSuite {
  readonly name: string;
  run(): Promise<readonly Figure[]>;
}

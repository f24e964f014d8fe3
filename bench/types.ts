/** A benchmark's result: named figures with their units, printed as a table and written to JSON. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** What the figure is held against, e.g. "target < 50 ms". */
  target?: string;
}

export interface BenchResult {
  name: string;
  figures: Figure[];
  notes?: string[];
}

/** Each `bench/<name>.bench.ts` default-exports one of these. */
export type Benchmark = () => Promise<BenchResult>;

/**
 * A seeded pseudo-random source (mulberry32): fault injection draws from it, so a test that throttles
 * 30 % of calls throttles the same calls on every run.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed = 0x5eed) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

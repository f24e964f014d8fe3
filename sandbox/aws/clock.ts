/**
 * Time as the simulated organization sees it.
 *
 * - `real`: a call with latency really waits (`setTimeout`), SDK retry back-offs really wait, and `now()`
 *   is the wall clock. For the interactive sandbox, where a human watches the steps happen.
 * - `virtual` (default): nothing sleeps. Latency and retry back-offs advance a simulated offset instead,
 *   and `now()` is the wall clock plus that offset. Concurrent calls overlap like real ones: a call that
 *   starts at simulated offset `t` ends at `t + latency`, and the offset becomes the latest end seen, so
 *   `simulatedMs` is the length of the critical path, not the sum of all waits. Tests and the containment
 *   benchmark use it to measure "simulated time" without sleeping.
 */
export type ClockMode = 'real' | 'virtual';

export class SimClock {
  private offset = 0;
  private readonly startedAt = Date.now();

  constructor(readonly mode: ClockMode = 'virtual') {}

  /** Milliseconds since the epoch, in simulated time. */
  now(): number {
    return Date.now() + (this.mode === 'virtual' ? this.offset : 0);
  }

  /** Simulated milliseconds added by waits so far (virtual), or wall time since creation (real). */
  get simulatedMs(): number {
    return this.mode === 'virtual' ? this.offset : Date.now() - this.startedAt;
  }

  /** Moves virtual time forward at once (e.g. to let credentials expire); the real clock cannot be moved. */
  advance(ms: number): void {
    if (this.mode === 'real') throw new Error('The real clock cannot be advanced');
    this.offset += Math.max(0, ms);
  }

  /** Waits `ms` of simulated time. */
  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    if (this.mode === 'real') {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return;
    }
    const start = this.offset;
    // Let calls started in the same turn read the same start: they overlap instead of queueing.
    await new Promise((resolve) => setImmediate(resolve));
    this.offset = Math.max(this.offset, start + ms);
  }
}

import type { ImagerClock } from './clock.js';

/**
 * Paces requests to at most `perSecond`: each window of `quantumMs` (50 ms) admits
 * `perSecond × quantumMs / 1000` requests, and a request beyond that waits for the next window's start.
 * Any one-second span then holds at most 21 windows' worth (987 at 950/s), under the EBS limits that AWS
 * counts per second. Requests of one window start together, so their latencies overlap (also on the
 * simulated organization's virtual clock, where staggered starts would each push time forward).
 * `pause(ms)` pushes every later request back after a throttle, so concurrent fetchers slow down together.
 */
export class RateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;
  private readonly perWindow: number;

  constructor(
    readonly perSecond: number,
    private readonly clock: ImagerClock,
    private readonly quantumMs = 50,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`A rate limit must be positive, not ${perSecond}`);
    this.perWindow = Math.max(1, Math.floor((perSecond * quantumMs) / 1000));
    // Below one request per window, widen the window so the rate still holds.
    if ((perSecond * quantumMs) / 1000 < 1) this.quantumMs = 1000 / perSecond;
  }

  async take(): Promise<void> {
    const now = this.clock.now();
    const current = Math.floor(now / this.quantumMs) * this.quantumMs;
    if (current > this.windowStart) {
      this.windowStart = current;
      this.count = 0;
    }
    if (this.count >= this.perWindow) {
      this.windowStart += this.quantumMs;
      this.count = 0;
    }
    this.count += 1;
    const wait = this.windowStart - now;
    if (wait > 0) await this.clock.sleep(wait);
  }

  pause(ms: number): void {
    const until = Math.ceil((this.clock.now() + ms) / this.quantumMs) * this.quantumMs;
    if (until > this.windowStart) {
      this.windowStart = until;
      this.count = 0;
    }
  }
}

/** At most `limit` tasks at once. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

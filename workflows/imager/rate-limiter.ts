import type { ImagerClock } from './clock.js';

/**
 * Paces requests to at most `perSecond`, evenly spaced (no burst: the EBS limits are counted per second,
 * and a burst at a second's edge is what gets throttled). `pause(ms)` pushes every later request back
 * after a throttle, so concurrent fetchers slow down together instead of each hammering on.
 */
export class RateLimiter {
  private next = Number.NEGATIVE_INFINITY;

  constructor(
    readonly perSecond: number,
    private readonly clock: ImagerClock,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`A rate limit must be positive, not ${perSecond}`);
  }

  async take(): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.perSecond;
    if (slot > now) await this.clock.sleep(slot - now);
  }

  pause(ms: number): void {
    this.next = Math.max(this.next, this.clock.now() + ms);
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

/**
 * The imager's notion of time, injected so the benchmark and tests can pace it on the simulated
 * organization's virtual clock (`sandbox/aws/clock.ts`) while AWS runs it on the wall clock.
 */
export interface ImagerClock {
  /** Milliseconds (any origin; only differences matter). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const wallClock: ImagerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

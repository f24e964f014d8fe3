/**
 * The SDK's standard retry strategy (smithy 2026 rules: up to `maxAttempts`, only throttling and
 * transient errors, a 500-token retry quota costing 5 per throttling retry and 14 otherwise, jittered
 * exponential back-off from 1 s for throttling and 50 ms otherwise, capped at 20 s), with the back-off
 * waited on the simulated clock. The SDK's own strategy sleeps inside `refreshRetryTokenForRetry`, which
 * would make a 30 % throttling test take minutes of wall time; this one keeps the decisions and moves
 * the waits to simulated time. Used only with the virtual clock and only when the caller set no strategy.
 */
import type { SimClock } from './clock.js';
import { SeededRandom } from './random.js';

const QUOTA = 500;
const MAX_DELAY_MS = 20_000;

interface Token {
  count: number;
  cost?: number;
  $retryLog: { acquisitionDelay: number };
  getRetryCount(): number;
  getRetryDelay(): number;
  getRetryCost(): number | undefined;
}

function token(count: number, cost: number | undefined, delay: number): Token {
  return {
    count,
    cost,
    $retryLog: { acquisitionDelay: delay },
    getRetryCount: () => count,
    getRetryDelay: () => 0,
    getRetryCost: () => cost,
  };
}

export class VirtualRetryStrategy {
  readonly mode = 'standard';
  private capacity = QUOTA;
  private readonly random: SeededRandom;

  constructor(
    private readonly maxAttempts: () => Promise<number>,
    private readonly clock: SimClock,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return token(0, undefined, 0);
  }

  async refreshRetryTokenForRetry(previous: Token, info: { errorType?: string }): Promise<Token> {
    const maxAttempts = await this.maxAttempts();
    const throttling = info.errorType === 'THROTTLING';
    const retryable = throttling || info.errorType === 'TRANSIENT';
    const cost = throttling ? 5 : 14;
    if (!retryable || previous.count + 1 >= maxAttempts || this.capacity < cost)
      throw new Error('No retry token available');
    this.capacity -= cost;
    const base = throttling ? 1_000 : 50;
    const delay = Math.floor(this.random.next() * Math.min(base * 2 ** previous.count, MAX_DELAY_MS));
    await this.clock.sleep(delay);
    return token(previous.count + 1, cost, delay);
  }

  recordSuccess(t: Token): void {
    this.capacity = Math.min(QUOTA, this.capacity + (t.getRetryCost() ?? 1));
  }
}

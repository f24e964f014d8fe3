/**
 * EC2's request rate limiting, as AWS describes it (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
 * a token bucket per account, region and API action; each request takes one token, a bucket refills at a
 * set rate up to its capacity, and a request that finds it empty fails with `RequestLimitExceeded` while
 * other actions are unaffected.
 *
 * The figures: the page's own example is a non-mutating action (DescribeHosts) with 100 tokens refilled at
 * 20 a second, used here for every non-mutating action (Describe*, Get*, List*). The per-category table for
 * mutating actions could not be read on this machine, so mutating actions get a smaller bucket (50 tokens,
 * 5 a second) — a guess on the strict side, not AWS's published number; an account's real limits are in
 * its EC2 API throttling metrics. Both are options of the organization.
 */
export interface BucketLimit {
  capacity: number;
  refillPerSecond: number;
}

export interface Ec2RequestLimits {
  nonMutating: BucketLimit;
  mutating: BucketLimit;
}

export const EC2_REQUEST_LIMITS: Ec2RequestLimits = {
  nonMutating: { capacity: 100, refillPerSecond: 20 },
  mutating: { capacity: 50, refillPerSecond: 5 },
};

const NON_MUTATING = /^(Describe|Get|List)/;

export class Ec2RequestLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limits: Ec2RequestLimits = EC2_REQUEST_LIMITS) {}

  /** Takes a token for `action` (e.g. `ModifyInstanceAttribute`) at `nowMs`; false: throttled. */
  take(account: string, region: string, action: string, nowMs: number): boolean {
    const limit = NON_MUTATING.test(action) ? this.limits.nonMutating : this.limits.mutating;
    const key = `${account}/${region}/${action}`;
    const bucket = this.buckets.get(key) ?? { tokens: limit.capacity, at: nowMs };
    bucket.tokens = Math.min(
      limit.capacity,
      bucket.tokens + (Math.max(0, nowMs - bucket.at) / 1000) * limit.refillPerSecond,
    );
    bucket.at = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

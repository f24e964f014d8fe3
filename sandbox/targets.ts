/**
 * Instances of the simulated organization that the sandbox's sample findings are about (the ids are
 * those of `sandbox/aws/seed.ts`'s `SEEDED`). The first is the demo: the SSH brute-force finding's web
 * server with an Elastic IP and encrypted volumes.
 */
import type { SampleTarget } from './samples.js';

export const TARGETS = {
  demo: { account: '333333333333', region: 'us-east-1', instanceId: 'i-0a1b2c3d4e5f60718' },
  multiEni: { account: '333333333333', region: 'us-east-1', instanceId: 'i-0b2c3d4e5f6071829' },
  autoScaled: { account: '333333333333', region: 'us-east-1', instanceId: 'i-0c3d4e5f607182930' },
  noEndpoints: { account: '333333333333', region: 'us-east-1', instanceId: 'i-0d4e5f60718293a41' },
  unmanaged: { account: '333333333333', region: 'us-east-1', instanceId: 'i-0e5f60718293a4b52' },
  euWest: { account: '333333333333', region: 'eu-west-1', instanceId: 'i-0f60718293a4b5c63' },
  secondAccount: { account: '444444444444', region: 'us-east-1', instanceId: 'i-01718293a4b5c6d74' },
} as const satisfies Record<string, SampleTarget>;

/** Sample targets in the order the page's samples use them (the demo first). */
export function pickTargets(): SampleTarget[] {
  return [
    TARGETS.demo,
    TARGETS.multiEni,
    TARGETS.noEndpoints,
    TARGETS.euWest,
    TARGETS.autoScaled,
    TARGETS.secondAccount,
  ];
}

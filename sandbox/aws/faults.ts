/**
 * Fault injection. `setFaults({...})` replaces the whole set; `{}` clears it.
 *
 * - `throttle`: share of calls (0..1) answered with the service's throttling error, drawn from the seeded
 *   random source, so the same calls are throttled on every run. SDK retries then behave as against AWS.
 * - `accessDenied`: entries `"<account>"` (every call in that account, and AssumeRole into it, is denied)
 *   or `"<account>:<Command>"` (only that command, e.g. `"333333333333:ModifyNetworkInterfaceAttribute"`).
 * - `ssmOffline`: instance ids whose SSM agent is offline.
 * - `terminate`: instance ids terminated as soon as the faults are set.
 * - `snapshotError`: instance ids or volume ids whose snapshots end in state `error`.
 * - `latencyMs`: time each call takes (simulated or real, see `SimClock`).
 */
import { z } from 'zod';

export const faultsSchema = z.looseObject({
  throttle: z.number().min(0).max(1).optional(),
  accessDenied: z.array(z.string()).optional(),
  ssmOffline: z.array(z.string()).optional(),
  terminate: z.array(z.string()).optional(),
  snapshotError: z.array(z.string()).optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
});

export type Faults = z.infer<typeof faultsSchema>;

/** Whether a call by `account` to `command` (class name without `Command`) is denied by the faults. */
export function isDenied(faults: Faults, account: string, command: string): boolean {
  return (faults.accessDenied ?? []).some((entry) => entry === account || entry === `${account}:${command}`);
}

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
 * - `fail`: call-level failures `{operation, error, after?, times?, account?}`: the first `after` calls of
 *   that operation (class name without `Command`, e.g. `ModifyNetworkInterfaceAttribute`) succeed, then
 *   `times` calls (default: all that follow) fail with that error name, as the service would answer it.
 * - `memoryCapture`: `{failure, instanceId?}` — the capture document fails as it fails in AWS:
 *   `tool-missing` (the AVML of the instance's architecture is not in the tools prefix), `tool-fails` (AVML
 *   dies half-way; the multipart upload is aborted), `upload-refused` (S3 answers AccessDenied),
 *   `region-unreachable` (no route to the bucket's region). Without `instanceId`, every capture fails so.
 */
import { z } from 'zod';

export const faultsSchema = z.looseObject({
  throttle: z.number().min(0).max(1).optional(),
  accessDenied: z.array(z.string()).optional(),
  ssmOffline: z.array(z.string()).optional(),
  terminate: z.array(z.string()).optional(),
  snapshotError: z.array(z.string()).optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  /** The EBS direct APIs' latency per call and the account's GetSnapshotBlock limit per second. */
  ebs: z
    .object({
      latencyMs: z.number().int().min(0).max(60_000).optional(),
      accountLimit: z.number().int().min(1).max(100_000).optional(),
    })
    .optional(),
  fail: z
    .array(
      z.object({
        operation: z
          .string()
          .regex(/^[A-Z][A-Za-z0-9]+$/, 'an API operation name, e.g. ModifyNetworkInterfaceAttribute'),
        error: z.string().regex(/^[A-Za-z][A-Za-z0-9.]+$/, 'an AWS error code, e.g. UnauthorizedOperation'),
        after: z.number().int().min(0).default(0),
        times: z.number().int().min(1).optional(),
        account: z
          .string()
          .regex(/^\d{12}$/)
          .optional(),
        message: z.string().max(500).optional(),
      }),
    )
    .optional(),
  memoryCapture: z
    .array(
      z.object({
        failure: z.enum(['tool-missing', 'tool-fails', 'upload-refused', 'region-unreachable']),
        instanceId: z
          .string()
          .regex(/^i-[0-9a-f]{8,17}$/)
          .optional(),
      }),
    )
    .optional(),
});

export type Faults = z.infer<typeof faultsSchema>;

/** Whether a call by `account` to `command` (class name without `Command`) is denied by the faults. */
export function isDenied(faults: Faults, account: string, command: string): boolean {
  return (faults.accessDenied ?? []).some((entry) => entry === account || entry === `${account}:${command}`);
}

/**
 * Counts calls per `fail` rule and says which error (if any) this call gets. `seen[i]` counts the calls
 * rule i matched so far (kept by the organization, reset whenever the faults are set).
 */
export function callFailure(
  faults: Faults,
  seen: number[],
  account: string,
  command: string,
): { error: string; message?: string } | undefined {
  let answer: { error: string; message?: string } | undefined;
  (faults.fail ?? []).forEach((rule, i) => {
    if (rule.operation !== command || (rule.account && rule.account !== account)) return;
    const n = (seen[i] ?? 0) + 1;
    seen[i] = n;
    const failing = n > rule.after && (rule.times === undefined || n <= rule.after + rule.times);
    if (failing && !answer) answer = { error: rule.error, message: rule.message };
  });
  return answer;
}

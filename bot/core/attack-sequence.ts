import { z } from 'zod';

/**
 * A GuardDuty Extended Threat Detection attack sequence (`AttackSequence:*` findings), as the bot keeps
 * it: what the sequence card lists and what "Contain all" acts on. Built from the finding's
 * `service.detection.sequence` (bot/findings/attack-sequence.ts); every text in it came from outside and
 * is escaped where it is shown.
 */

export const SEQUENCE_RESOURCE_KINDS = [
  'ec2-instance',
  'iam-access-key',
  'iam-role',
  'iam-instance-profile',
  's3-bucket',
  'other',
] as const;
export type SequenceResourceKind = (typeof SEQUENCE_RESOURCE_KINDS)[number];

export const SequenceResourceSchema = z.object({
  kind: z.enum(SEQUENCE_RESOURCE_KINDS),
  /** The resource's own id: instance id, access key id, role or profile ARN, bucket name. */
  id: z.string(),
  /** GuardDuty's resource type as written (`EC2_INSTANCE`, …), or `actor` for a role named by an actor. */
  type: z.string(),
  name: z.string().optional(),
  account: z.string().optional(),
  region: z.string().optional(),
});
export type SequenceResource = z.infer<typeof SequenceResourceSchema>;

export const AttackSequenceSchema = z.object({
  uid: z.string(),
  description: z.string(),
  resources: z.array(SequenceResourceSchema),
  /** How many signals GuardDuty correlated, and the names of the first ones (finding types, API names). */
  signalCount: z.number().int().nonnegative(),
  signalNames: z.array(z.string()),
  /** The ARNs of the GuardDuty findings among the signals (their `associatedAttackSequenceArn` is this one). */
  findingArns: z.array(z.string()),
  actors: z.array(z.object({ id: z.string(), label: z.string() })),
  endpoints: z.array(z.object({ id: z.string(), label: z.string() })),
  indicators: z.array(
    z.object({ key: z.string(), title: z.string().optional(), values: z.array(z.string()) }),
  ),
});
export type AttackSequence = z.infer<typeof AttackSequenceSchema>;

/** The EC2 instances of a sequence, each once (GuardDuty may name one in several resources). */
export function sequenceInstances(sequence: AttackSequence): SequenceResource[] {
  const seen = new Set<string>();
  return sequence.resources.filter((r) => {
    if (r.kind !== 'ec2-instance') return false;
    const key = `${r.account}/${r.region}/${r.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SEVERITY_LABELS } from './severity.js';

/**
 * The one shape every alert takes inside the bot, whatever its source (COMMON.md contract). Built by
 * `normalizeEvent` from GuardDuty, Security Hub (ASFF), tag changes and Security Hub custom actions;
 * rendered by `findingCardBlocks`; stored with its fingerprint so a card can be rebuilt later.
 */
export const FINDING_SOURCES = ['guardduty', 'securityhub', 'tag', 'custom-action'] as const;
export type FindingSource = (typeof FINDING_SOURCES)[number];

export const RESOURCE_KINDS = [
  'ec2-instance',
  'iam-access-key',
  's3-bucket',
  'aws-account',
  'other',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export const InstanceDetailsSchema = z.object({
  instanceId: z.string(),
  name: z.string().optional(),
  privateIps: z.array(z.string()),
  publicIps: z.array(z.string()),
  vpcId: z.string().optional(),
  subnetId: z.string().optional(),
  imageId: z.string().optional(),
  /** ISO 8601. */
  launchTime: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type InstanceDetails = z.infer<typeof InstanceDetailsSchema>;

export const FindingSchema = z.object({
  source: z.enum(FINDING_SOURCES),
  id: z.string().min(1),
  type: z.string().min(1),
  title: z.string(),
  description: z.string(),
  severity: z.object({ label: z.enum(SEVERITY_LABELS), score: z.number().min(0).max(10) }),
  account: z.string(),
  region: z.string(),
  resource: z.object({
    kind: z.enum(RESOURCE_KINDS),
    /** What a responder would search for: instance id, access key id, bucket name, account id, ARN. */
    id: z.string(),
    /** A human label for non-EC2 resources, e.g. the IAM user name of an access key. */
    label: z.string().optional(),
    instance: InstanceDetailsSchema.optional(),
  }),
  /** ISO 8601. */
  firstSeen: z.string().optional(),
  lastSeen: z.string().optional(),
  /** Occurrences as the source counts them (GuardDuty `service.count`), at least 1. */
  count: z.number().int().min(1),
  links: z.array(z.object({ label: z.string(), url: z.string() })),
  /** The finding's ARN (GuardDuty's own events): its Id when Security Hub imports it. */
  arn: z.string().optional(),
  /** ASFF ProductArn, needed to update the finding in Security Hub. */
  productArn: z.string().optional(),
  /** ASFF GeneratorId (the control or detector that produced it). */
  generatorId: z.string().optional(),
  /** ASFF Workflow.Status as received (NEW, NOTIFIED, RESOLVED, SUPPRESSED). */
  workflowStatus: z.string().optional(),
  /** Archived (GuardDuty) or resolved/suppressed/archived (Security Hub): update the card, never post. */
  archived: z.boolean(),
  /** Set on tag and custom-action requests: what a human asked for. */
  requested: z.enum(['analyze', 'contain']).optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

/**
 * The fingerprint of a finding: Security Hub findings by ProductArn + Id (so a custom action on a finding
 * finds the card its import posted), everything else by source, account, region and id. It is all a card's
 * buttons carry: a click loads the finding it names from the table.
 */
export function fingerprintOf(finding: Finding): string {
  const basis = finding.productArn
    ? `asff|${finding.productArn}|${finding.id}`
    : `${finding.source}|${finding.account}|${finding.region}|${finding.id}`;
  return createHash('sha256').update(basis).digest('hex').slice(0, 32);
}

/**
 * How Security Hub names the finding: an ASFF finding by its own Id and ProductArn; a GuardDuty event by
 * its ARN under GuardDuty's product in the finding's region (that is how Security Hub imports it).
 * Undefined for anything Security Hub does not hold.
 */
export function securityHubIdentity(finding: Finding): { Id: string; ProductArn: string } | undefined {
  if (finding.productArn) return { Id: finding.id, ProductArn: finding.productArn };
  const partition = /^arn:(aws[a-z-]*):guardduty:/.exec(finding.arn ?? '')?.[1];
  if (finding.source === 'guardduty' && partition && finding.arn)
    return {
      Id: finding.arn,
      ProductArn: `arn:${partition}:securityhub:${finding.region}::product/aws/guardduty`,
    };
  return undefined;
}

/** Where the finding lives, for EC2 findings: what a case targets. */
export function findingTarget(
  finding: Finding,
): { account: string; region: string; instanceId: string } | undefined {
  const instance = finding.resource.instance;
  if (finding.resource.kind !== 'ec2-instance' || !instance) return undefined;
  return { account: finding.account, region: finding.region, instanceId: instance.instanceId };
}

/** Human name of a source, for cards and logs. */
export const SOURCE_NAMES: Record<FindingSource, string> = {
  guardduty: 'GuardDuty',
  securityhub: 'Security Hub',
  tag: 'EC2 tag',
  'custom-action': 'Security Hub custom action',
};

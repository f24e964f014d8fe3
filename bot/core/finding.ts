import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AttackSequenceSchema } from './attack-sequence.js';
import { SEVERITY_LABELS } from './severity.js';

/**
 * The one shape every alert takes inside the bot, whatever its source (COMMON.md contract). Built by
 * `normalizeEvent` from GuardDuty, Security Hub CSPM (ASFF), the new Security Hub (OCSF), tag changes and
 * Security Hub custom actions;
 * rendered by `findingCardBlocks`; stored with its fingerprint so a card can be rebuilt later.
 */
export const FINDING_SOURCES = [
  'guardduty',
  'securityhub',
  'securityhub-ocsf',
  'tag',
  'custom-action',
] as const;
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
  /**
   * ISO 8601: when the source last changed the finding (ASFF UpdatedAt, OCSF finding_info.modified_time_dt).
   * A customer's BatchUpdateFindings(V2) leaves it as it was, so with lastSeen and count it tells a new
   * observation from an update of the workflow or the note.
   */
  updatedAt: z.string().optional(),
  /** The note on the finding as received (ASFF Note; OCSF comment): how the bot knows its own write-back. */
  note: z.object({ text: z.string(), updatedBy: z.string().optional() }).optional(),
  /** Occurrences as the source counts them (GuardDuty `service.count`), at least 1. */
  count: z.number().int().min(1),
  links: z.array(z.object({ label: z.string(), url: z.string() })),
  /** The finding's ARN (GuardDuty's own events): its Id when Security Hub imports it. */
  arn: z.string().optional(),
  /** ASFF ProductArn, needed to update the finding in Security Hub. */
  productArn: z.string().optional(),
  /**
   * The new Security Hub's identity of an OCSF finding (BatchUpdateFindingsV2's FindingIdentifier):
   * `cloud.account.uid`, `finding_info.uid`, `metadata.product.uid`, and `metadata.uid` when given.
   */
  ocsf: z
    .object({
      accountUid: z.string(),
      findingInfoUid: z.string(),
      productUid: z.string(),
      metadataUid: z.string().optional(),
    })
    .optional(),
  /** ASFF GeneratorId (the control or detector that produced it). */
  generatorId: z.string().optional(),
  /** ASFF Workflow.Status as received (NEW, NOTIFIED, RESOLVED, SUPPRESSED). */
  workflowStatus: z.string().optional(),
  /** Archived (GuardDuty) or resolved/suppressed/archived (Security Hub): update the card, never post. */
  archived: z.boolean(),
  /** Set on tag and custom-action requests: what a human asked for. */
  requested: z.enum(['analyze', 'contain']).optional(),
  /**
   * The finding's own indicators, read from its structured fields (GuardDuty's action details, ASFF's
   * Network): remote IPv4 addresses and domains, each checked by its regex. They are what the attacker's
   * side of the finding named, so they are data for the examination's IOC rules, never rendered as text.
   */
  indicators: z.object({ ips: z.array(z.string()), domains: z.array(z.string()) }).optional(),
  /** An `AttackSequence:*` finding's sequence (GuardDuty `service.detection.sequence`): one card for all of it. */
  sequence: AttackSequenceSchema.optional(),
  /** A constituent of an attack sequence: GuardDuty's `associatedAttackSequenceArn` (its card folds into the sequence's). */
  attackSequenceArn: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

/**
 * The fingerprint of a finding: the originating finding, whichever way it came, so one GuardDuty finding
 * seen directly, through Security Hub CSPM (ASFF) and through the new Security Hub (OCSF) is one card.
 * GuardDuty's own events by the finding ARN (what both Security Hubs use as the finding's id); Security Hub
 * findings by product (`aws/guardduty`, `aws/securityhub`, … of either ProductArn shape) and id; a
 * GuardDuty event without an ARN, tags and anything else by source, account, region and id. It is all a
 * card's buttons carry: a click loads the finding it names from the table.
 */
export function fingerprintOf(finding: Finding): string {
  return fingerprintOfOrigin(originOf(finding));
}

/** The fingerprint of an originating finding's identity (`originOf`): `aws/guardduty|<arn>` for a GuardDuty ARN. */
export function fingerprintOfOrigin(origin: string): string {
  return createHash('sha256').update(origin).digest('hex').slice(0, 32);
}

/** The originating finding's identity (see fingerprintOf). */
export function originOf(finding: Finding): string {
  if (finding.source === 'guardduty' && finding.arn) return `aws/guardduty|${finding.arn}`;
  const product = finding.ocsf?.productUid ?? finding.productArn;
  if (product) return `${productKey(product)}|${finding.id}`;
  return `${finding.source}|${finding.account}|${finding.region}|${finding.id}`;
}

/**
 * `aws/guardduty` from `arn:aws:securityhub:us-east-1::product/aws/guardduty` (CSPM) and from
 * `arn:aws:securityhub:us-east-1::productv2/aws/guardduty` (Security Hub): the product, not where it was
 * imported. Any other text is its own key.
 */
function productKey(product: string): string {
  return /:product(?:v2)?\/(.+)$/.exec(product)?.[1] ?? product;
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

/**
 * How the new Security Hub names an OCSF finding for BatchUpdateFindingsV2, and the region of its hub.
 * Undefined for findings that did not come as OCSF.
 */
export function securityHubV2Identity(finding: Finding):
  | {
      identifier: { CloudAccountUid: string; FindingInfoUid: string; MetadataProductUid: string };
      region: string;
    }
  | undefined {
  if (!finding.ocsf) return undefined;
  return {
    identifier: {
      CloudAccountUid: finding.ocsf.accountUid,
      FindingInfoUid: finding.ocsf.findingInfoUid,
      MetadataProductUid: finding.ocsf.productUid,
    },
    region: finding.region,
  };
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
  'securityhub-ocsf': 'Security Hub (OCSF)',
  tag: 'EC2 tag',
  'custom-action': 'Security Hub custom action',
};

import { z } from 'zod';

/**
 * EventBridge event schemas, at the edge. Loose objects everywhere: AWS adds keys over time and the bot
 * must keep working. Only what the bot acts on is checked, and checked strictly (an account that is not
 * 12 digits, a timestamp that is not a time) so that a corrupt event is rejected with a reason rather
 * than rendered as a card full of nonsense.
 */

export const DETAIL_TYPES = {
  guardDuty: 'GuardDuty Finding',
  securityHubImported: 'Security Hub Findings - Imported',
  /** The new Security Hub (GA December 2025): one OCSF finding per event. */
  securityHubImportedV2: 'Findings Imported V2',
  securityHubCustomAction: 'Security Hub Findings - Custom Action',
  tagChange: 'Tag Change on Resource',
} as const;

export const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits');

/**
 * A point in time as AWS writes it: ISO 8601 text, or epoch milliseconds/seconds (GuardDuty writes
 * `launchTime` as epoch ms in some findings). Normalized to ISO 8601.
 */
export const timestamp = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? (value < 1e11 ? value * 1000 : value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `"${String(value)}" is not a time` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

/** A nullable optional: AWS writes `null` for absent values in places (`platform`, `outpostArn`). */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

export const EnvelopeSchema = z.looseObject({
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().optional(),
  region: z.string().optional(),
  time: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({}),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

const Tag = z.looseObject({ key: opt(z.string()), value: opt(z.string()) });

export const GuardDutyInstanceSchema = z.looseObject({
  instanceId: opt(z.string()),
  launchTime: opt(timestamp),
  imageId: opt(z.string()),
  tags: opt(z.array(Tag)),
  networkInterfaces: opt(
    z.array(
      z.looseObject({
        privateIpAddress: opt(z.string()),
        privateIpAddresses: opt(z.array(z.looseObject({ privateIpAddress: opt(z.string()) }))),
        publicIp: opt(z.string()),
        vpcId: opt(z.string()),
        subnetId: opt(z.string()),
      }),
    ),
  ),
});

export const GuardDutyDetailSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  accountId: opt(accountId),
  region: opt(z.string()),
  arn: opt(z.string()),
  title: opt(z.string()),
  description: opt(z.string()),
  severity: z.union([z.number(), z.string()]),
  createdAt: opt(timestamp),
  updatedAt: opt(timestamp),
  resource: z.looseObject({
    resourceType: z.string(),
    instanceDetails: opt(GuardDutyInstanceSchema),
    accessKeyDetails: opt(
      z.looseObject({
        accessKeyId: opt(z.string()),
        userName: opt(z.string()),
        principalId: opt(z.string()),
      }),
    ),
    s3BucketDetails: opt(z.array(z.looseObject({ name: opt(z.string()), arn: opt(z.string()) }))),
  }),
  service: opt(
    z.looseObject({
      archived: opt(z.boolean()),
      count: opt(z.number()),
      eventFirstSeen: opt(timestamp),
      eventLastSeen: opt(timestamp),
    }),
  ),
});
export type GuardDutyDetail = z.infer<typeof GuardDutyDetailSchema>;

const AsffSeverity = z.looseObject({
  Label: opt(z.string()),
  Normalized: opt(z.number()),
});

export const AsffResourceSchema = z.looseObject({
  Type: z.string(),
  Id: z.string(),
  Region: opt(z.string()),
  Tags: opt(z.record(z.string(), z.string())),
  Details: opt(
    z.looseObject({
      AwsEc2Instance: opt(
        z.looseObject({
          ImageId: opt(z.string()),
          IpV4Addresses: opt(z.array(z.string())),
          VpcId: opt(z.string()),
          SubnetId: opt(z.string()),
          LaunchedAt: opt(timestamp),
        }),
      ),
      AwsIamAccessKey: opt(z.looseObject({ UserName: opt(z.string()), PrincipalName: opt(z.string()) })),
    }),
  ),
});
export type AsffResource = z.infer<typeof AsffResourceSchema>;

/** One AWS Security Finding Format finding (`detail.findings[n]`). */
export const AsffFindingSchema = z.looseObject({
  Id: z.string().min(1),
  ProductArn: opt(z.string()),
  GeneratorId: opt(z.string()),
  AwsAccountId: accountId,
  Region: opt(z.string()),
  Types: opt(z.array(z.string())),
  Title: opt(z.string()),
  Description: opt(z.string()),
  SourceUrl: opt(z.string()),
  Severity: opt(AsffSeverity),
  FindingProviderFields: opt(z.looseObject({ Severity: opt(AsffSeverity) })),
  FirstObservedAt: opt(timestamp),
  LastObservedAt: opt(timestamp),
  CreatedAt: opt(timestamp),
  UpdatedAt: opt(timestamp),
  ProductFields: opt(z.record(z.string(), z.unknown())),
  Resources: z.array(AsffResourceSchema).min(1, 'an ASFF finding names at least one resource'),
  Workflow: opt(z.looseObject({ Status: opt(z.string()) })),
  RecordState: opt(z.string()),
  Note: opt(z.looseObject({ Text: opt(z.string()), UpdatedBy: opt(z.string()) })),
});
export type AsffFinding = z.infer<typeof AsffFindingSchema>;

/** `detail` of both Security Hub event types: findings are checked one by one, not here. */
export const SecurityHubDetailSchema = z.looseObject({
  findings: z.array(z.unknown()),
  actionName: opt(z.string()),
  actionDescription: opt(z.string()),
});

export const TagChangeDetailSchema = z.looseObject({
  'changed-tag-keys': z.array(z.string()),
  tags: z.record(z.string(), z.string()),
  service: z.string(),
  'resource-type': z.string(),
});

/** An OCSF account reference (`cloud.account`, `owner.account`). */
const OcsfAccount = z.looseObject({ uid: opt(z.string()), name: opt(z.string()) });

/** An OCSF network interface: `data` (older) and `device` (newer) EC2 shapes name the fields differently. */
const OcsfNetworkInterface = z.looseObject({
  private_ip_address: opt(z.string()),
  private_ip_addresses: opt(z.array(z.looseObject({ private_ip_address: opt(z.string()) }))),
  public_ip: opt(z.string()),
  ip: opt(z.string()),
  vpc_id: opt(z.string()),
  subnet_id: opt(z.string()),
});

/** OCSF tags: `{name, value}` on the resource, `{key, value}` inside the older `data` shape. */
const OcsfTag = z.looseObject({ name: opt(z.string()), key: opt(z.string()), value: opt(z.string()) });

export const OcsfResourceSchema = z.looseObject({
  type: opt(z.string()),
  uid: opt(z.string()),
  name: opt(z.string()),
  region: opt(z.string()),
  owner: opt(z.looseObject({ account: opt(OcsfAccount) })),
  tags: opt(z.array(OcsfTag)),
  /** The older EC2 shape (GuardDuty Runtime Monitoring samples of 2025). */
  data: opt(
    z.looseObject({
      instance_id: opt(z.string()),
      image_id: opt(z.string()),
      launch_time: opt(timestamp),
      network_interfaces: opt(z.array(OcsfNetworkInterface)),
      tags: opt(z.array(OcsfTag)),
      access_key_id: opt(z.string()),
      user_name: opt(z.string()),
    }),
  ),
  /** The newer EC2 shape: an OCSF device. */
  device: opt(
    z.looseObject({
      uid: opt(z.string()),
      image: opt(z.looseObject({ uid: opt(z.string()) })),
      launch_time_dt: opt(timestamp),
      launch_time: opt(timestamp),
      network_interfaces: opt(z.array(OcsfNetworkInterface)),
      vpc_uid: opt(z.string()),
      subnet_uid: opt(z.string()),
    }),
  ),
});
export type OcsfResource = z.infer<typeof OcsfResourceSchema>;

/**
 * One OCSF finding of the new Security Hub (`detail.findings[0]` of `Findings Imported V2`). Its identity
 * is `metadata.uid`, or `cloud.account.uid` + `finding_info.uid` + `metadata.product.uid`: all three are
 * required here, as BatchUpdateFindingsV2 needs them. Evidence fields are not read (network findings have
 * no public sample), so their absence never rejects a finding.
 */
export const OcsfFindingSchema = z.looseObject({
  metadata: z.looseObject({
    uid: opt(z.string()),
    product: z.looseObject({ uid: z.string().min(1), name: opt(z.string()) }),
  }),
  cloud: z.looseObject({
    account: z.looseObject({ uid: accountId }),
    region: opt(z.string()),
    cloud_partition: opt(z.string()),
  }),
  finding_info: z.looseObject({
    uid: z.string().min(1),
    uid_alt: opt(z.string()),
    title: opt(z.string()),
    desc: opt(z.string()),
    types: opt(z.array(z.string())),
    first_seen_time_dt: opt(timestamp),
    last_seen_time_dt: opt(timestamp),
    created_time_dt: opt(timestamp),
    modified_time_dt: opt(timestamp),
  }),
  class_name: opt(z.string()),
  activity_id: opt(z.number()),
  severity: opt(z.string()),
  severity_id: opt(z.number()),
  status: opt(z.string()),
  status_id: opt(z.number()),
  /** The customer's comment (BatchUpdateFindingsV2 `Comment`). */
  comment: opt(z.string()),
  count: opt(z.number()),
  resources: opt(z.array(OcsfResourceSchema)),
});
export type OcsfFinding = z.infer<typeof OcsfFindingSchema>;

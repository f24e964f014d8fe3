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

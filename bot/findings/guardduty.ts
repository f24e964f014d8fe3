import { INSTANCE_ID_RE } from '../core/ids.js';
import type { GuardDutyDetail } from './events.js';
import type { Finding, InstanceDetails } from '../core/finding.js';
import { associatedSequenceArn, isAttackSequenceType, normalizeSequence } from './attack-sequence.js';
import { ec2InstanceLink, guardDutyLink } from './links.js';
import { guardDutySeverity } from '../core/severity.js';
import { guardDutyIndicators } from './indicators.js';

/**
 * A validated GuardDuty `detail` (plus the envelope's account and region, used when the detail lacks
 * them, as CreateSampleFindings output does) as a Finding. Unknown finding types and resource types still
 * become a card; only EC2 instances with a valid instance id get the EC2 fields and actions.
 */
const withIndicators = (indicators: Finding['indicators']) => (indicators ? { indicators } : {});

export function normalizeGuardDuty(
  detail: GuardDutyDetail,
  envelope: { account: string; region: string },
): Finding {
  const account = detail.accountId ?? envelope.account;
  const region = detail.region ?? envelope.region;
  const links = [guardDutyLink(region, detail.id)];
  const resource = guardDutyResource(detail);
  if (resource.instance) links.push(ec2InstanceLink(region, resource.instance.instanceId));
  const service = detail.service;
  const sequenceArn = associatedSequenceArn(detail);
  return {
    source: 'guardduty',
    id: detail.id,
    ...(detail.arn ? { arn: detail.arn } : {}),
    type: detail.type,
    title: detail.title?.trim() || detail.type,
    description: detail.description?.trim() ?? '',
    severity: guardDutySeverity(detail.severity),
    account,
    region,
    resource,
    firstSeen: service?.eventFirstSeen ?? detail.createdAt,
    lastSeen: service?.eventLastSeen ?? detail.updatedAt,
    count: Math.max(1, Math.floor(service?.count ?? 1)),
    links,
    archived: service?.archived === true,
    ...withIndicators(guardDutyIndicators(service)),
    ...(isAttackSequenceType(detail.type)
      ? { sequence: normalizeSequence(detail, { account, region }) }
      : sequenceArn
        ? { attackSequenceArn: sequenceArn }
        : {}),
  };
}

function guardDutyResource(detail: GuardDutyDetail): Finding['resource'] {
  const r = detail.resource;
  switch (r.resourceType) {
    case 'Instance': {
      const instance = instanceDetails(detail);
      if (instance) return { kind: 'ec2-instance', id: instance.instanceId, instance };
      return { kind: 'other', id: r.instanceDetails?.instanceId ?? 'EC2 instance (no valid instance id)' };
    }
    case 'AccessKey': {
      const key = r.accessKeyDetails;
      return {
        kind: 'iam-access-key',
        id: key?.accessKeyId ?? key?.principalId ?? 'unknown access key',
        label: key?.userName,
      };
    }
    case 'S3Bucket': {
      const bucket = r.s3BucketDetails?.[0];
      return { kind: 's3-bucket', id: bucket?.name ?? bucket?.arn ?? 'unknown bucket' };
    }
    default:
      return { kind: 'other', id: r.resourceType };
  }
}

function instanceDetails(detail: GuardDutyDetail): InstanceDetails | undefined {
  const d = detail.resource.instanceDetails;
  if (!d?.instanceId || !INSTANCE_ID_RE.test(d.instanceId)) return undefined;
  const tags: Record<string, string> = {};
  for (const tag of d.tags ?? []) if (tag.key) tags[tag.key] = tag.value ?? '';
  const interfaces = d.networkInterfaces ?? [];
  const privateIps = new Set<string>();
  const publicIps = new Set<string>();
  for (const eni of interfaces) {
    if (eni.privateIpAddress) privateIps.add(eni.privateIpAddress);
    for (const ip of eni.privateIpAddresses ?? [])
      if (ip.privateIpAddress) privateIps.add(ip.privateIpAddress);
    if (eni.publicIp) publicIps.add(eni.publicIp);
  }
  return {
    instanceId: d.instanceId,
    name: tags.Name || undefined,
    privateIps: [...privateIps],
    publicIps: [...publicIps],
    vpcId: interfaces[0]?.vpcId,
    subnetId: interfaces[0]?.subnetId,
    imageId: d.imageId,
    launchTime: d.launchTime,
    tags,
  };
}

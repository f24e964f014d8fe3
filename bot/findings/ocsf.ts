import type { Finding, InstanceDetails } from '../core/finding.js';
import { INSTANCE_ID_RE } from '../core/ids.js';
import { ocsfSeverity } from '../core/severity.js';
import { isPrivateIpv4 } from './asff.js';
import type { OcsfFinding, OcsfResource } from './events.js';
import { ec2InstanceLink, guardDutyLink } from './links.js';

/** OCSF `status_id` of a closed finding: Suppressed, Resolved, Archived (the intake rules pass them too). */
export const OCSF_CLOSED_STATUS_IDS: readonly number[] = [3, 4, 5];
/** OCSF `activity_id` Close. */
export const OCSF_CLOSE_ACTIVITY = 3;

/**
 * A validated OCSF finding of the new Security Hub as a Finding. Its id is `finding_info.uid` (for a
 * GuardDuty finding, the GuardDuty finding ARN, as in ASFF), so the fingerprint follows the originating
 * finding. The resource acted on is the first EC2 instance among `resources` (in either the `data` or the
 * `device` shape); otherwise the first resource. Suppressed, resolved and archived findings, and a Close
 * activity, are marked archived: they update a card, never post one.
 */
export function normalizeOcsf(ocsf: OcsfFinding, envelope: { region: string }): Finding {
  const info = ocsf.finding_info;
  const account = ocsf.cloud.account.uid;
  const resource = ocsfResource(ocsf.resources ?? [], account);
  const region = ocsf.cloud.region ?? resource.region ?? envelope.region;
  const product = ocsf.metadata.product;
  const fromGuardDuty = /\/aws\/guardduty$/.test(product.uid);
  const links = [];
  // The new Security Hub's console has no documented deep link to one finding; GuardDuty's has.
  if (fromGuardDuty && info.uid_alt) links.push(guardDutyLink(region, info.uid_alt));
  if (resource.resource.instance) links.push(ec2InstanceLink(region, resource.resource.instance.instanceId));
  const status = ocsf.status?.toUpperCase().replaceAll(' ', '_');
  return {
    source: 'securityhub-ocsf',
    id: info.uid,
    ...(fromGuardDuty && info.uid.startsWith('arn:') ? { arn: info.uid } : {}),
    type: findingType(info.types, ocsf.class_name),
    title: info.title?.trim() || ocsf.class_name || 'Security Hub finding',
    description: info.desc?.trim() ?? '',
    severity: ocsfSeverity(ocsf.severity_id, ocsf.severity),
    account,
    region,
    resource: resource.resource,
    firstSeen: info.first_seen_time_dt ?? info.created_time_dt,
    lastSeen: info.last_seen_time_dt ?? info.modified_time_dt,
    ...(info.modified_time_dt ? { updatedAt: info.modified_time_dt } : {}),
    ...(ocsf.comment ? { note: { text: ocsf.comment } } : {}),
    count: typeof ocsf.count === 'number' && ocsf.count >= 1 ? Math.floor(ocsf.count) : 1,
    links,
    ocsf: {
      accountUid: account,
      findingInfoUid: info.uid,
      productUid: product.uid,
      ...(ocsf.metadata.uid ? { metadataUid: ocsf.metadata.uid } : {}),
    },
    ...(status ? { workflowStatus: status } : {}),
    archived:
      (typeof ocsf.status_id === 'number' && OCSF_CLOSED_STATUS_IDS.includes(ocsf.status_id)) ||
      ocsf.activity_id === OCSF_CLOSE_ACTIVITY,
  };
}

/**
 * The most specific type: GuardDuty writes a category ("Threats") before its own type
 * ("Execution:Runtime/NewBinaryExecuted"); CSPM controls write a path of categories.
 */
function findingType(types: string[] | undefined, className: string | undefined): string {
  const all = types ?? [];
  return all.find((t) => /^[A-Za-z]+:[^/]+\/.+/.test(t)) ?? all[0] ?? className ?? 'Unknown';
}

function ocsfResource(
  resources: OcsfResource[],
  account: string,
): { resource: Finding['resource']; region?: string } {
  const ec2 = resources.find((r) => r.type === 'AWS::EC2::Instance' && instanceIdOf(r));
  if (ec2) return { resource: ec2Resource(ec2), region: ec2.region };
  const first = resources[0];
  if (!first) return { resource: { kind: 'aws-account', id: account } };
  return { resource: otherResource(first, account), region: first.region };
}

function instanceIdOf(r: OcsfResource): string | undefined {
  const id = r.data?.instance_id ?? r.device?.uid ?? r.uid;
  return id && INSTANCE_ID_RE.test(id) ? id : undefined;
}

function ec2Resource(r: OcsfResource): Finding['resource'] {
  const instanceId = instanceIdOf(r)!;
  const interfaces = r.data?.network_interfaces ?? r.device?.network_interfaces ?? [];
  const ips = interfaces.flatMap((n) => [
    n.private_ip_address,
    ...(n.private_ip_addresses ?? []).map((p) => p.private_ip_address),
    n.public_ip,
    n.ip,
  ]);
  const unique = [...new Set(ips.filter((ip): ip is string => Boolean(ip)))];
  const tags = tagsOf(r);
  const instance: InstanceDetails = {
    instanceId,
    name: tags?.Name || undefined,
    privateIps: unique.filter(isPrivateIpv4),
    publicIps: unique.filter((ip) => !isPrivateIpv4(ip)),
    vpcId: interfaces.find((n) => n.vpc_id)?.vpc_id ?? r.device?.vpc_uid,
    subnetId: interfaces.find((n) => n.subnet_id)?.subnet_id ?? r.device?.subnet_uid,
    imageId: r.data?.image_id ?? r.device?.image?.uid,
    launchTime: r.data?.launch_time ?? r.device?.launch_time_dt ?? r.device?.launch_time,
    ...(tags ? { tags } : {}),
  };
  return { kind: 'ec2-instance', id: instanceId, instance };
}

/** Tags of the resource (`{name, value}`), else of its `data` (`{key, value}`); a tag without a value is "". */
function tagsOf(r: OcsfResource): Record<string, string> | undefined {
  const list = r.tags?.length ? r.tags : r.data?.tags;
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const t of list) {
    const key = t.name ?? t.key;
    if (key) out[key] = t.value ?? '';
  }
  return out;
}

function otherResource(r: OcsfResource, account: string): Finding['resource'] {
  const id = r.uid ?? r.name ?? account;
  switch (r.type) {
    case 'AWS::::Account':
      return { kind: 'aws-account', id: /^\d{12}$/.test(id) ? id : account };
    case 'AWS::IAM::AccessKey':
      return {
        kind: 'iam-access-key',
        id: r.data?.access_key_id ?? id,
        ...(r.data?.user_name || r.name ? { label: r.data?.user_name ?? r.name } : {}),
      };
    case 'AWS::S3::Bucket':
      return { kind: 's3-bucket', id: id.replace(/^arn:aws[a-z-]*:s3:::/, '') };
    default:
      return { kind: 'other', id, ...(r.type ? { label: r.type } : {}) };
  }
}

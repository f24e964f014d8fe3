import { INSTANCE_ID_RE } from '../core/ids.js';
import type { AsffFinding, AsffResource } from './events.js';
import type { Finding, InstanceDetails } from '../core/finding.js';
import { ec2InstanceLink, securityHubLink, sourceLink } from './links.js';
import { asffSeverity } from '../core/severity.js';
import { asffIndicators } from './indicators.js';

/**
 * A validated ASFF finding as a Finding. The resource acted on is the first EC2 instance among
 * `Resources` (a finding may name the instance second, after its security group); otherwise the first
 * resource, named for a responder. Resolved, suppressed and archived findings are marked archived.
 */
export function normalizeAsff(asff: AsffFinding, envelope: { region: string }): Finding {
  const resource = asffResource(asff);
  const region = asff.Region ?? regionOfProductArn(asff.ProductArn) ?? resource.region ?? envelope.region;
  const links = [securityHubLink(region, asff.Id)];
  const product = productName(asff);
  const source = sourceLink(asff.SourceUrl, product === 'Security Hub' ? 'Source' : product);
  if (source) links.push(source);
  if (resource.resource.instance) links.push(ec2InstanceLink(region, resource.resource.instance.instanceId));
  const workflowStatus = asff.Workflow?.Status?.toUpperCase();
  const severity = asff.Severity ?? asff.FindingProviderFields?.Severity;
  const countField = Number(asff.ProductFields?.['aws/guardduty/service/count']);
  const instance = resource.resource.instance;
  const indicators = asffIndicators(asff.Network, [
    ...(instance?.privateIps ?? []),
    ...(instance?.publicIps ?? []),
  ]);
  return {
    source: 'securityhub',
    id: asff.Id,
    type: asff.Types?.[0] ?? asff.GeneratorId ?? 'Unknown',
    title: asff.Title?.trim() || asff.GeneratorId || 'Security Hub finding',
    description: asff.Description?.trim() ?? '',
    severity: asffSeverity(severity),
    account: asff.AwsAccountId,
    region,
    resource: resource.resource,
    firstSeen: asff.FirstObservedAt ?? asff.CreatedAt,
    lastSeen: asff.LastObservedAt ?? asff.UpdatedAt,
    ...(asff.UpdatedAt ? { updatedAt: asff.UpdatedAt } : {}),
    ...(asff.Note?.Text
      ? { note: { text: asff.Note.Text, ...(asff.Note.UpdatedBy ? { updatedBy: asff.Note.UpdatedBy } : {}) } }
      : {}),
    count: Number.isFinite(countField) && countField >= 1 ? Math.floor(countField) : 1,
    links,
    productArn: asff.ProductArn,
    generatorId: asff.GeneratorId,
    workflowStatus,
    ...(indicators ? { indicators } : {}),
    archived:
      asff.RecordState?.toUpperCase() === 'ARCHIVED' ||
      workflowStatus === 'RESOLVED' ||
      workflowStatus === 'SUPPRESSED',
  };
}

/** Product name for link labels: ProductFields first, then the ProductArn's last segment. */
function productName(asff: AsffFinding): string {
  const named = asff.ProductFields?.['aws/securityhub/ProductName'];
  if (typeof named === 'string' && named) return named;
  const last = asff.ProductArn?.split('/').pop();
  return last === 'guardduty' ? 'GuardDuty' : last === 'inspector' ? 'Inspector' : 'Source';
}

function regionOfProductArn(arn: string | undefined): string | undefined {
  // arn:aws:securityhub:<region>::product/... (the AWS docs sample writes arn:aws::securityhub:<region>:...)
  const match = arn?.match(/:securityhub:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):/);
  return match?.[1];
}

const INSTANCE_IN_ARN = /instance\/(i-[0-9a-f]+)$/;

function asffResource(asff: AsffFinding): { resource: Finding['resource']; region?: string } {
  const ec2 = asff.Resources.find((r) => r.Type === 'AwsEc2Instance' && instanceIdOf(r));
  if (ec2) return { resource: ec2Resource(ec2), region: ec2.Region };
  const first = asff.Resources[0]!;
  return { resource: otherResource(first, asff.AwsAccountId), region: first.Region };
}

function instanceIdOf(r: AsffResource): string | undefined {
  const id = r.Id.match(INSTANCE_IN_ARN)?.[1] ?? r.Id;
  return INSTANCE_ID_RE.test(id) ? id : undefined;
}

function ec2Resource(r: AsffResource): Finding['resource'] {
  const instanceId = instanceIdOf(r)!;
  const d = r.Details?.AwsEc2Instance;
  const ips = d?.IpV4Addresses ?? [];
  const instance: InstanceDetails = {
    instanceId,
    name: r.Tags?.Name || undefined,
    privateIps: ips.filter(isPrivateIpv4),
    publicIps: ips.filter((ip) => !isPrivateIpv4(ip)),
    vpcId: d?.VpcId,
    subnetId: d?.SubnetId,
    imageId: d?.ImageId,
    launchTime: d?.LaunchedAt,
    tags: r.Tags,
  };
  return { kind: 'ec2-instance', id: instanceId, instance };
}

function otherResource(r: AsffResource, account: string): Finding['resource'] {
  switch (r.Type) {
    case 'AwsAccount':
      return { kind: 'aws-account', id: r.Id.match(/(\d{12})$/)?.[1] ?? account };
    case 'AwsIamAccessKey': {
      const key = r.Details?.AwsIamAccessKey;
      return { kind: 'iam-access-key', id: r.Id, label: key?.UserName ?? key?.PrincipalName };
    }
    case 'AwsS3Bucket':
      return { kind: 's3-bucket', id: r.Id.replace(/^arn:aws[a-z-]*:s3:::/, '') };
    default:
      return { kind: 'other', id: r.Id, label: r.Type };
  }
}

/** RFC 1918, CGNAT and link-local ranges count as private. */
export function isPrivateIpv4(ip: string): boolean {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) return false;
  const [a, b] = parts as [number, number, number, number];
  return (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254)
  );
}

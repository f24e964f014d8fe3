/**
 * Sample findings the sandbox page injects: the real event fixtures under `test/events/`, patched so the
 * finding is about an instance that exists in the simulated organization (its account, region and
 * instance id), fresh (new ids, current timestamps) so each injection is a new finding.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardDutyFindingArn } from './aws/services/guardduty.js';
import { SANDBOX } from './environment.js';
import { attackSequenceEvent } from './outbreak.js';

const EVENTS = join(import.meta.dirname, '..', 'test', 'events');

export interface SampleTarget {
  account: string;
  region: string;
  instanceId: string;
}

type Json = Record<string, any>;

export interface Sample {
  name: string;
  title: string;
  source: 'guardduty' | 'securityhub' | 'tag';
  /** Whether the event names an EC2 instance (patched to the target). */
  aboutInstance: boolean;
  /**
   * An outbreak: the sandbox first adds this many instances to the member accounts, then delivers the
   * attack sequence over them (sandbox/outbreak.ts); `build` alone makes a sequence over the target.
   */
  outbreak?: number;
  build(target: SampleTarget, now?: Date): Json;
}

/** How many instances the page's outbreak sample compromises (the measurement took 8). */
export const OUTBREAK_SIZE = 8;

function load(source: string, file: string): Json {
  return JSON.parse(readFileSync(join(EVENTS, source, file), 'utf8')) as Json;
}

function envelope(event: Json, target: SampleTarget, now: Date): Json {
  // Findings of the whole organization reach the security account's event bus.
  return {
    ...event,
    id: randomUUID(),
    time: now.toISOString(),
    account: SANDBOX.securityAccount,
    region: target.region,
  };
}

function guardDuty(file: string, target: SampleTarget, now: Date, patchInstance: boolean): Json {
  const event = envelope(load('guardduty', file), target, now);
  const detail = event.detail as Json;
  const id = randomUUID().replaceAll('-', '');
  const iso = now.toISOString();
  detail.id = id;
  detail.accountId = target.account;
  detail.region = target.region;
  // The member account's own detector in that region (the simulated GuardDuty's), as GuardDuty writes it.
  detail.arn = guardDutyFindingArn(target.account, target.region, id);
  detail.createdAt = iso;
  detail.updatedAt = iso;
  if (detail.service) {
    detail.service.eventFirstSeen = new Date(now.getTime() - 15 * 60_000).toISOString();
    detail.service.eventLastSeen = iso;
    if (detail.service.additionalInfo) delete detail.service.additionalInfo.sample;
    // A fixture may be an archived finding; a sample stands for a new one, which the bot posts.
    detail.service.archived = false;
  }
  const instance = detail.resource?.instanceDetails as Json | undefined;
  if (patchInstance && instance) {
    // The fixture's own instance id also appears in its title and description.
    const original = String(instance.instanceId ?? '');
    if (/^i-[0-9a-f]+$/.test(original))
      for (const key of ['title', 'description'] as const)
        if (typeof detail[key] === 'string')
          detail[key] = detail[key].replaceAll(original, target.instanceId);
    instance.instanceId = target.instanceId;
  }
  // Redacted fixtures write times as "XXXX-XX-XXTXX:XX:XXZ", which the bot rightly rejects.
  if (instance && Number.isNaN(Date.parse(String(instance.launchTime))))
    instance.launchTime = new Date(now.getTime() - 30 * 86_400_000).toISOString();
  return event;
}

function securityHubImported(file: string, target: SampleTarget, now: Date): Json {
  const event = envelope(load('securityhub', file), target, now);
  const iso = now.toISOString();
  for (const finding of event.detail.findings as Json[]) {
    const id = randomUUID();
    finding.Id = `arn:aws:securityhub:${target.region}:${target.account}:finding/${id}`;
    finding.AwsAccountId = target.account;
    finding.Region = target.region;
    finding.CreatedAt = iso;
    finding.UpdatedAt = iso;
    finding.FirstObservedAt = new Date(now.getTime() - 15 * 60_000).toISOString();
    finding.LastObservedAt = iso;
    for (const resource of finding.Resources as Json[]) {
      if (resource.Type === 'AwsEc2Instance') {
        resource.Id = `arn:aws:ec2:${target.region}:${target.account}:instance/${target.instanceId}`;
        resource.Region = target.region;
      } else if (resource.Type === 'AwsAccount') resource.Id = `AWS::::Account:${target.account}`;
    }
  }
  event.resources = (event.detail.findings as Json[]).map((f) => f.Id);
  return event;
}

/**
 * UnauthorizedAccess:EC2/SSHBruteForce as GuardDuty rates it when the instance is the one attacking (High,
 * 8): the fixture is the inbound variant (Low, 2), which the deploy's rules drop at their default floor.
 */
function sshFromInstance(event: Json, target: SampleTarget): Json {
  const detail = event.detail as Json;
  const remote = '198.51.100.0';
  detail.severity = 8;
  detail.title = `EC2 instance ${target.instanceId} is performing SSH brute force attacks against ${remote}.`;
  detail.description = `${detail.title} Brute force attacks are used to gain unauthorized access to an instance by guessing the SSH password.`;
  detail.service.resourceRole = 'ACTOR';
  const connection = detail.service.action?.networkConnectionAction as Json | undefined;
  if (connection) {
    connection.connectionDirection = 'OUTBOUND';
    connection.localPortDetails = { port: 40312, portName: 'Unknown' };
    connection.remotePortDetails = { port: 22, portName: 'SSH' };
  }
  return event;
}

/**
 * The same, as Security Hub CSPM imports it from GuardDuty (ASFF: label HIGH, Normalized 80), with
 * GuardDuty's identity as CSPM writes it: the Id is the GuardDuty finding ARN (the member detector's), the
 * ProductArn GuardDuty's product in that region (the fixture writes the AWS docs' `arn:aws::…`).
 */
function sshFromInstanceAsff(event: Json, target: SampleTarget): Json {
  for (const finding of event.detail.findings as Json[]) {
    const id = randomUUID().replaceAll('-', '');
    finding.Id = guardDutyFindingArn(target.account, target.region, id);
    finding.ProductArn = `arn:aws:securityhub:${target.region}::product/aws/guardduty`;
    finding.GeneratorId = finding.Id.replace(/\/finding\/.*$/, '');
    finding.Types = ['TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce'];
    finding.Title = `EC2 instance ${target.instanceId} is performing SSH brute force attacks against 198.51.100.0.`;
    finding.Description = `${finding.Title} Brute force attacks are used to gain unauthorized access to an instance by guessing the SSH password.`;
    finding.Severity = { Product: 8, Label: 'HIGH', Normalized: 80 };
    const fields = (finding.ProductFields ?? {}) as Json;
    fields['aws/guardduty/service/resourceRole'] = 'ACTOR';
    fields['aws/guardduty/service/action/networkConnectionAction/connectionDirection'] = 'OUTBOUND';
    finding.ProductFields = fields;
  }
  event.resources = (event.detail.findings as Json[]).map((f) => f.Id);
  return event;
}

const V2_ENVELOPE =
  'securityhub-v2-findings-imported-v2-eventbridge-guardduty-iam-CloudTrailLoggingDisabled.sumologic-docs.json';
const V2_BODIES =
  'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_ContainerMountsHostDirectory_and_cspm-control.cruxstack-securityhubv2-bot.json';

/**
 * One OCSF finding of the public samples as the new Security Hub sends it (`Findings Imported V2`, one finding
 * per event), moved to the target's account and region: a GuardDuty finding gets the member detector's ARN
 * (the same identity as its GuardDuty original), a CSPM control a fresh finding id; its instance is the target.
 */
function securityHubV2(index: number, target: SampleTarget, now: Date): Json {
  const envelope = load('securityhub-v2', V2_ENVELOPE);
  const finding = (load('securityhub-v2', V2_BODIES) as unknown as Json[])[index]!;
  const iso = now.toISOString();
  const id = randomUUID().replaceAll('-', '');
  finding.cloud = {
    ...finding.cloud,
    region: target.region,
    account: { ...finding.cloud.account, uid: target.account },
  };
  finding.metadata.product.uid = String(finding.metadata.product.uid).replace(
    /:securityhub:[a-z0-9-]+::/,
    `:securityhub:${target.region}::`,
  );
  finding.metadata.uid = `${id}${randomUUID().replaceAll('-', '')}`;
  const info = finding.finding_info as Json;
  if (/\/aws\/guardduty$/.test(finding.metadata.product.uid)) {
    info.uid = guardDutyFindingArn(target.account, target.region, id);
    info.uid_alt = id;
  } else
    info.uid = String(info.uid)
      .replace(/:securityhub:[a-z0-9-]+:\d{12}:/, `:securityhub:${target.region}:${target.account}:`)
      .replace(/finding\/[^/]+$/, `finding/${randomUUID()}`);
  for (const key of ['created_time_dt', 'modified_time_dt', 'last_seen_time_dt'] as const)
    if (key in info) info[key] = iso;
  if ('first_seen_time_dt' in info)
    info.first_seen_time_dt = new Date(now.getTime() - 15 * 60_000).toISOString();
  for (const resource of (finding.resources ?? []) as Json[]) {
    resource.region = target.region;
    if (resource.owner?.account) resource.owner.account.uid = target.account;
    if (resource.type === 'AWS::EC2::Instance') {
      resource.uid = target.instanceId;
      resource.name = target.instanceId;
      if (resource.data) resource.data.instance_id = target.instanceId;
      if (resource.device) resource.device.uid = target.instanceId;
    } else if (resource.type === 'AWS::::Account') resource.uid = target.account;
  }
  return {
    ...envelope,
    id: randomUUID(),
    time: iso,
    account: SANDBOX.securityAccount,
    region: target.region,
    resources: [finding.metadata.uid],
    detail: { findings: [finding] },
  };
}

function withSeverity(event: Json, severity: Json): Json {
  for (const finding of event.detail.findings as Json[]) finding.Severity = severity;
  return event;
}

function tagChange(target: SampleTarget, now: Date, value: 'Analyze' | 'Contain'): Json {
  const event = envelope(load('tag', 'ec2-tag-change-on-resource.awsdocs.json'), target, now);
  event.account = target.account;
  event.resources = [`arn:aws:ec2:${target.region}:${target.account}:instance/${target.instanceId}`];
  event.detail = {
    ...event.detail,
    'changed-tag-keys': ['SecurityIncidentStatus'],
    tags: { SecurityIncidentStatus: value },
  };
  return event;
}

/**
 * Every sample the page offers, SSH brute force first. The sandbox routes them by the deploy's rules
 * (sandbox/routing.ts), at the deploy's default floor HIGH: the samples rated below it are delivered to
 * nobody, and the page says which rule dropped them and why.
 */
export const SAMPLES: Sample[] = [
  {
    name: 'guardduty-ssh-brute-force',
    title: 'GuardDuty: SSH brute force from an instance',
    source: 'guardduty',
    aboutInstance: true,
    build: (t, now = new Date()) =>
      sshFromInstance(
        guardDuty('guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed.json', t, now, true),
        t,
      ),
  },
  {
    name: 'guardduty-bitcoin-dns',
    title: 'GuardDuty: instance querying a Bitcoin domain',
    source: 'guardduty',
    aboutInstance: true,
    build: (t, now = new Date()) =>
      guardDuty('guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted.json', t, now, true),
  },
  {
    name: 'guardduty-canary',
    title: "GuardDuty: canary finding (medium: below the rules' floor)",
    source: 'guardduty',
    aboutInstance: true,
    build: (t, now = new Date()) =>
      guardDuty('guardduty-finding-ec2-canary-stateless-integtest.composed.json', t, now, true),
  },
  {
    name: 'guardduty-iam-recon',
    title: 'GuardDuty: access key used from a malicious IP (no instance; medium: below the floor)',
    source: 'guardduty',
    aboutInstance: false,
    build: (t, now = new Date()) =>
      guardDuty('guardduty-finding-iam-recon-maliciousipcaller-custom.composed.json', t, now, false),
  },
  {
    name: 'securityhub-guardduty-ssh',
    title: 'Security Hub: imported GuardDuty SSH brute force from an instance',
    source: 'securityhub',
    aboutInstance: true,
    build: (t, now = new Date()) =>
      sshFromInstanceAsff(
        securityHubImported(
          'securityhub-findings-imported-guardduty-ec2-sshbruteforce.composed.json',
          t,
          now,
        ),
        t,
      ),
  },
  {
    name: 'securityhub-ec2-7',
    title: 'Security Hub: EBS default encryption off (account control; medium: below the floor)',
    source: 'securityhub',
    aboutInstance: false,
    build: (t, now = new Date()) =>
      withSeverity(
        securityHubImported('securityhub-findings-imported-securityhub-afsbp-ec2.7.json', t, now),
        // The fixture's INFORMATIONAL is what CSPM writes for a passed control; AFSBP rates a failed EC2.7
        // MEDIUM (below the deploy's default floor: the rules drop it).
        { Label: 'MEDIUM', Normalized: 40, Original: 'MEDIUM' },
      ),
  },
  {
    name: 'securityhub-v2-guardduty-runtime',
    title:
      'Security Hub (OCSF): GuardDuty runtime, new binary executed on an instance (medium: below the floor)',
    source: 'securityhub',
    aboutInstance: true,
    build: (t, now = new Date()) => securityHubV2(0, t, now),
  },
  {
    name: 'securityhub-v2-config-control',
    title: 'Security Hub (OCSF): AWS Config not enabled (account control, critical)',
    source: 'securityhub',
    aboutInstance: false,
    build: (t, now = new Date()) => securityHubV2(1, t, now),
  },
  {
    name: 'tag-analyze',
    title: 'Tag SecurityIncidentStatus=Analyze on an instance',
    source: 'tag',
    aboutInstance: true,
    build: (t, now = new Date()) => tagChange(t, now, 'Analyze'),
  },
  {
    name: 'outbreak-attack-sequence',
    title: `Outbreak: attack sequence over ${OUTBREAK_SIZE} instances`,
    source: 'guardduty',
    aboutInstance: false,
    outbreak: OUTBREAK_SIZE,
    build: (t, now = new Date()) =>
      attackSequenceEvent([{ ...t, name: t.instanceId }], SANDBOX.securityAccount, now),
  },
];

export function sample(name: string): Sample | undefined {
  return SAMPLES.find((s) => s.name === name);
}

interface CloudInstance {
  instanceId: string;
  name?: string;
  vpcId?: string;
  tags?: Record<string, string>;
  enis?: {
    eniId: string;
    privateIp?: string;
    publicIp?: string | null;
    groups?: { groupId: string; groupName?: string }[];
  }[];
}

/** The instance as the simulated organization has it (`GET /api/cloud`'s shape), if it exists. */
export function findCloudInstance(cloud: unknown, target: SampleTarget): CloudInstance | undefined {
  const accounts = (cloud as { accounts?: Json[] } | undefined)?.accounts ?? [];
  const region = accounts
    .find((a) => a.id === target.account)
    ?.regions?.find((r: Json) => r.region === target.region);
  return (region?.instances as CloudInstance[] | undefined)?.find((i) => i.instanceId === target.instanceId);
}

/**
 * Makes a GuardDuty sample describe the instance as it really is in the simulated organization (its VPC,
 * network interfaces, addresses, groups and tags) instead of the sample values GuardDuty's generated findings carry (`i-99999999`).
 */
export function describeInstance(event: Json, instance: CloudInstance | undefined): Json {
  const details = event.detail?.resource?.instanceDetails as Json | undefined;
  if (!instance || !details) return event;
  const sampleInstanceId = 'i-99999999';
  for (const key of ['title', 'description'] as const)
    if (typeof event.detail[key] === 'string')
      event.detail[key] = event.detail[key].replaceAll(sampleInstanceId, instance.instanceId);
  details.instanceId = instance.instanceId;
  details.tags = Object.entries(instance.tags ?? {}).map(([key, value]) => ({ key, value }));
  details.networkInterfaces = (instance.enis ?? []).map((eni) => ({
    networkInterfaceId: eni.eniId,
    privateIpAddress: eni.privateIp,
    privateIpAddresses: [{ privateIpAddress: eni.privateIp }],
    ...(eni.publicIp ? { publicIp: eni.publicIp } : {}),
    vpcId: instance.vpcId,
    securityGroups: (eni.groups ?? []).map((g) => ({
      groupId: g.groupId,
      groupName: g.groupName ?? g.groupId,
    })),
    ipv6Addresses: [],
  }));
  return event;
}

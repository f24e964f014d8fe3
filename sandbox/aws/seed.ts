/**
 * The sandbox's organization: security `111111111111`, forensics `222222222222`, members `333333333333`
 * and `444444444444` in `us-east-1` and `eu-west-1`. Each member region has a VPC with SSM/S3 interface
 * endpoints and an S3 gateway endpoint, and a VPC without any endpoint. Instances cover the cases the
 * workflows must handle; their ids are exported in `SEEDED`.
 */
import { seedForensicWorker } from './services/forensic-worker.js';
import { createHash } from 'node:crypto';
import { SECURITY_PRINCIPAL_ROLE } from './access.js';
import { evidenceBucketPolicy } from './evidence-policy.js';
import { seededVolumeContent } from './volume-trees.js';
import type { OrgSettings } from './handler.js';
import { isAllowAll } from './network.js';
import { SANDBOX_AVML_BYTES } from './tools.js';
import type { KmsKey, RegionState, Rule, S3ObjectVersion, SecurityGroup, World } from './world.js';

export const MEMBER_ACCOUNTS = ['333333333333', '444444444444'] as const;
export const MEMBER_REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** Ids of seeded resources that tests and the sandbox refer to. */
export const SEEDED = {
  instances: {
    /** 333333333333/us-east-1 — the demo SSH brute-force finding's instance: web server, Elastic IP, encrypted volumes. */
    demo: 'i-0a1b2c3d4e5f60718',
    /** 333333333333/us-east-1 — three ENIs, an Elastic IP on the second, unencrypted volume. */
    multiEni: 'i-0b2c3d4e5f6071829',
    /** 333333333333/us-east-1 — in Auto Scaling group `web-asg`, target group `web-tg`, classic LB `legacy-elb`. */
    autoScaled: 'i-0c3d4e5f607182930',
    /** 333333333333/us-east-1 — the other instance of `web-asg`. */
    autoScaledPeer: 'i-0c3d4e5f607182931',
    /** 333333333333/us-east-1 — in the VPC without endpoints (reaches SSM and S3 through a NAT). */
    noEndpoints: 'i-0d4e5f60718293a41',
    /** 333333333333/us-east-1 — no SSM agent (not a managed instance). */
    unmanaged: 'i-0e5f60718293a4b52',
    /** 333333333333/eu-west-1 — a workload in the second region. */
    euWest: 'i-0f60718293a4b5c63',
    /** 444444444444/us-east-1 — the second member account. */
    secondAccount: 'i-01718293a4b5c6d74',
    /** 333333333333/eu-west-1 — an aarch64 (Graviton) instance in the VPC with endpoints. */
    arm: 'i-0a7b8c9d0e1f2a3b4',
  },
  autoScalingGroup: 'web-asg',
  targetGroupName: 'web-tg',
  classicLoadBalancer: 'legacy-elb',
  profiles: {
    web: 'web-server-profile',
    app: 'app-profile',
    denyAll: 'ForensicsBot-DenyAll',
    quarantine: 'ForensicsBot-Quarantine',
  },
  roles: { web: 'web-server-role', app: 'app-role' },
} as const;

/** Deterministic KMS key id (UUID shape) for an account, region and purpose. */
function keyId(account: string, region: string, n: number): string {
  const r = region === 'us-east-1' ? '1' : '2';
  return `${account.slice(0, 8)}-${r}000-4000-8000-${String(n).padStart(12, '0')}`;
}

export function keyArn(account: string, region: string, n: number): string {
  return `arn:aws:kms:${region}:${account}:key/${keyId(account, region, n)}`;
}

/** The member's default EBS key (`aws/ebs`), its workload customer key, and the forensics account's key. */
export const KEYS = {
  awsEbs: (account: string, region: string) => keyArn(account, region, 1),
  workload: (account: string, region: string) => keyArn(account, region, 2),
  /** Forensics account key usable by the members: re-encrypts `aws/ebs` snapshots and encrypts the copies. */
  forensics: (region: string, forensicsAccount = '222222222222') => keyArn(forensicsAccount, region, 3),
};

const KERNELS = ['5.10.219-208.866.amzn2.x86_64', '6.1.94-99.176.amzn2023.x86_64'];

function addKey(r: RegionState, n: number, alias: string, manager: KmsKey['manager'], allowed: string[]) {
  const arn = keyArn(r.account, r.region, n);
  const id = arn.split('/')[1]!;
  r.kmsKeys.set(id, {
    keyId: id,
    arn,
    account: r.account,
    region: r.region,
    aliases: [alias],
    manager,
    description: alias,
    allowedAccounts: allowed,
  });
}

function group(
  world: World,
  r: RegionState,
  vpcId: string,
  name: string,
  ingress: Omit<Rule, 'ruleId'>[],
  egress: Omit<Rule, 'ruleId'>[],
): SecurityGroup {
  const g: SecurityGroup = {
    groupId: world.id('sg'),
    groupName: name,
    description: name === 'default' ? 'default VPC security group' : `${name} servers`,
    vpcId,
    tags: name === 'default' ? {} : { Name: name },
    ingress: ingress.map((rule) => ({ ruleId: world.id('sgr'), ...rule })),
    egress: egress.map((rule) => ({ ruleId: world.id('sgr'), ...rule })),
  };
  r.securityGroups.set(g.groupId, g);
  return g;
}

const ALL_OUT: Omit<Rule, 'ruleId'>[] = [{ protocol: '-1', cidr: '0.0.0.0/0' }];

interface InstanceSpec {
  id: string;
  name: string;
  subnetIds: string[];
  groupIds: string[][];
  profile?: string;
  volumes: { sizeGiB: number; key?: string; deleteOnTermination: boolean }[];
  memoryBytes: number;
  ssmManaged?: boolean;
  architecture?: 'x86_64' | 'arm64';
  autoPublicIp?: string;
  tags?: Record<string, string>;
}

function addInstance(world: World, r: RegionState, spec: InstanceSpec, launchTime: Date): void {
  const subnet = r.subnets.get(spec.subnetIds[0]!)!;
  const eniIds = spec.subnetIds.map((subnetId, index) => {
    const s = r.subnets.get(subnetId)!;
    const eniId = world.id('eni');
    const groups = spec.groupIds[index] ?? spec.groupIds[0]!;
    const host = 10 + r.enis.size;
    r.enis.set(eniId, {
      eniId,
      subnetId,
      vpcId: s.vpcId,
      availabilityZone: s.availabilityZone,
      description: index === 0 ? 'Primary network interface' : `${spec.name} interface ${index}`,
      privateIp: s.cidr.replace(/\.0\/\d+$/, `.${host}`),
      macAddress: `0e:${eniId.slice(-10).match(/../g)!.join(':')}`,
      groupIds: groups,
      instanceId: spec.id,
      attachmentId: world.id('eni-attach'),
      deviceIndex: index,
      autoPublicIp: index === 0 ? spec.autoPublicIp : undefined,
      interfaceType: 'interface',
      // An established session (the attacker's) through each interface; tracked unless the groups allow all.
      connections: { alive: true, tracked: !isAllowAll(groups.map((g) => r.securityGroups.get(g)!)) },
      tags: {},
    });
    return eniId;
  });
  const devices = spec.volumes.map((v, index) => {
    const volumeId = world.id('vol');
    const deviceName = index === 0 ? '/dev/xvda' : `/dev/sd${String.fromCharCode(102 + index)}`;
    r.volumes.set(volumeId, {
      volumeId,
      sizeGiB: v.sizeGiB,
      availabilityZone: subnet.availabilityZone,
      encrypted: v.key !== undefined,
      kmsKeyId: v.key,
      state: 'in-use',
      instanceId: spec.id,
      deviceName,
      tags: { Name: `${spec.name}-${index === 0 ? 'root' : 'data'}` },
      content: seededVolumeContent(spec.id, index, v.sizeGiB),
    });
    return { deviceName, volumeId, deleteOnTermination: v.deleteOnTermination };
  });
  r.instances.set(spec.id, {
    instanceId: spec.id,
    imageId: 'ami-0abcdef1234567890',
    instanceType: 't3.medium',
    launchTime,
    state: 'running',
    vpcId: subnet.vpcId,
    subnetId: subnet.subnetId,
    availabilityZone: subnet.availabilityZone,
    eniIds,
    tags: { Name: spec.name, ...spec.tags },
    disableApiTermination: false,
    shutdownBehavior: 'stop',
    rootDeviceName: '/dev/xvda',
    blockDevices: devices,
    memoryBytes: spec.memoryBytes,
    kernelRelease:
      spec.architecture === 'arm64'
        ? '6.1.94-99.176.amzn2023.aarch64'
        : (KERNELS[spec.memoryBytes % 2] ?? KERNELS[0]!),
    ssmManaged: spec.ssmManaged ?? true,
    architecture: spec.architecture ?? 'x86_64',
  });
  if (spec.profile) {
    const profile = world.account(r.account).instanceProfiles.get(spec.profile)!;
    const associationId = world.id('iip-assoc');
    r.associations.set(associationId, {
      associationId,
      instanceId: spec.id,
      profileArn: profile.arn,
      profileId: profile.profileId,
      state: 'associated',
    });
  }
}

function seedIam(world: World, org: OrgSettings, account: string, now: Date): void {
  const a = world.account(account);
  const role = (
    name: string,
    trust: { accounts: string[]; externalId?: string },
    allows = { actions: ['*'], resources: ['*'] },
  ) =>
    a.roles.set(name, {
      name,
      arn: `arn:aws:iam::${account}:role/${name}`,
      roleId: `AROA${world.token(17)}`,
      createdAt: now,
      trust,
      allows,
      inlinePolicies: {},
    });
  const profile = (name: string, roleName: string) =>
    a.instanceProfiles.set(name, {
      name,
      arn: `arn:aws:iam::${account}:instance-profile/${name}`,
      profileId: `AIPA${world.token(17)}`,
      roleNames: [roleName],
      createdAt: now,
    });
  role(org.irRoleName, { accounts: [org.securityAccount], externalId: org.externalId });
  if (account === org.forensicsAccount) {
    role(
      org.evidenceUploadRoleName,
      { accounts: [org.securityAccount, org.forensicsAccount] },
      {
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [`arn:aws:s3:::${org.evidenceBucket}/*`],
      },
    );
  }
  // The forensics account holds no workloads, unless it is also a member (single-account mode: one
  // account is security, forensics and member, so it gets the workloads' roles and profiles too).
  if (account === org.forensicsAccount && !(MEMBER_ACCOUNTS as readonly string[]).includes(account)) return;
  const ec2 = { accounts: ['ec2.amazonaws.com'] };
  role(SEEDED.roles.web, ec2);
  role(SEEDED.roles.app, ec2);
  role('ForensicsBot-DenyAll-Role', ec2, { actions: [], resources: [] });
  // A person of the member account's security team: tags instances in the console (CloudTrail names her).
  role(
    ANALYST_ROLE,
    { accounts: [org.securityAccount] },
    { actions: ['ec2:CreateTags', 'ec2:Describe*'], resources: ['*'] },
  );
  // As the deploy's quarantine role (deploy/constructs/quarantine-profiles.ts): the SSM agent's channel,
  // PutObject of memory images into the evidence buckets (whose policy fences it further) and GetObject of
  // the pinned tools (the deploy grants it on the tools prefix only; the evidence bucket's policy admits no
  // read by a member account, so this reads nothing else there).
  role(QUARANTINE_ROLE, ec2, {
    actions: [
      'ssm:*',
      'ssmmessages:*',
      'ec2messages:*',
      's3:PutObject',
      's3:AbortMultipartUpload',
      's3:GetObject',
    ],
    resources: ['*'],
  });
  profile(SEEDED.profiles.web, SEEDED.roles.web);
  profile(SEEDED.profiles.app, SEEDED.roles.app);
  profile(SEEDED.profiles.denyAll, 'ForensicsBot-DenyAll-Role');
  profile(SEEDED.profiles.quarantine, QUARANTINE_ROLE);
}

/** The role the sandbox's analyst tags instances with (`SecurityIncidentStatus`), in each member account. */
export const ANALYST_ROLE = 'SecurityAnalyst';

/** The quarantine profile's role: named as the profile, as the deploy names it. */
export const QUARANTINE_ROLE = 'ForensicsBot-Quarantine';

/** Evidence key of the forensics account in a region (the bucket's default encryption). */
export const evidenceKeyArn = (forensicsAccount: string, region: string) =>
  keyArn(forensicsAccount, region, 4);

/**
 * An evidence bucket of the forensics account in `region`, as the deploy makes it: versioned, Object Lock
 * with the default retention (GOVERNANCE, 365 days), SSE-KMS under the region's evidence key, and the
 * deploy's bucket policy (`evidence-policy.json`).
 */
export function addEvidenceBucket(world: World, org: OrgSettings, region: string, name: string): void {
  const f = world.region(org.forensicsAccount, region);
  if (![...f.kmsKeys.values()].some((k) => k.arn === evidenceKeyArn(org.forensicsAccount, region)))
    addKey(f, 4, 'alias/forensics-bot-evidence', 'CUSTOMER', []);
  world.buckets.set(name, {
    name,
    owner: org.forensicsAccount,
    region,
    objectLock: true,
    versioning: true,
    allowedAccounts: [org.securityAccount],
    objects: new Map(),
    kmsKeyArn: evidenceKeyArn(org.forensicsAccount, region),
    defaultRetention: { mode: 'GOVERNANCE', days: 365 },
    policy: evidenceBucketPolicy({
      bucket: name,
      owner: org.forensicsAccount,
      region,
      keyArn: evidenceKeyArn(org.forensicsAccount, region),
      stepsRoleArn: `arn:aws:iam::${org.securityAccount}:role/${SECURITY_PRINCIPAL_ROLE}`,
    }),
  });
}

/** The tools bucket the deploy fills with the pinned AVML builds (`s3://…/avml/avml-<arch>`). */
export const toolsBucketName = (forensicsAccount: string) => `forensics-bot-tools-${forensicsAccount}`;

/**
 * The forensics account's tools bucket, readable by the member accounts, holding the sandbox's stand-ins for
 * the pinned AVML builds (their SHA-256 is `SANDBOX_AVML`'s). A test that runs the real capture script puts
 * its fake AVML there instead, as the deploy's tools delivery would.
 */
function addToolsBucket(world: World, org: OrgSettings, region: string, name: string, nowMs: number): void {
  const objects = new Map<string, S3ObjectVersion[]>();
  for (const arch of ['x86_64', 'aarch64'] as const) {
    const body = Buffer.from(SANDBOX_AVML_BYTES[arch]);
    objects.set(`avml/avml-${arch}`, [
      {
        versionId: world.token(32, 'abcdefghijklmnopqrstuvwxyz0123456789'),
        body,
        sha256: createHash('sha256').update(body).digest('hex'),
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        metadata: {},
        contentType: 'application/octet-stream',
        lastModified: new Date(nowMs),
        deleteMarker: false,
        uploadedBy: `arn:aws:iam::${org.forensicsAccount}:root`,
      },
    ]);
  }
  world.buckets.set(name, {
    name,
    owner: org.forensicsAccount,
    region,
    objectLock: false,
    versioning: true,
    allowedAccounts: [...MEMBER_ACCOUNTS],
    objects,
  });
}

/** Networks of one member region: VPC `workload` (with endpoints) and VPC `legacy` (without). */
function seedNetwork(world: World, r: RegionState, second: number) {
  const az = (s: string) => `${r.region}${s}`;
  const vpcA = world.id('vpc');
  const vpcB = world.id('vpc');
  r.vpcs.set(vpcA, {
    vpcId: vpcA,
    cidr: `10.${second}.0.0/16`,
    isDefault: false,
    tags: { Name: 'workload' },
  });
  r.vpcs.set(vpcB, {
    vpcId: vpcB,
    cidr: `10.${second + 100}.0.0/16`,
    isDefault: false,
    tags: { Name: 'legacy' },
  });
  const subnet = (vpcId: string, cidr: string, zone: string) => {
    const subnetId = world.id('subnet');
    r.subnets.set(subnetId, { subnetId, vpcId, cidr, availabilityZone: az(zone) });
    return subnetId;
  };
  const a1 = subnet(vpcA, `10.${second}.1.0/24`, 'a');
  const a2 = subnet(vpcA, `10.${second}.2.0/24`, 'b');
  const b1 = subnet(vpcB, `10.${second + 100}.1.0/24`, 'a');
  const self = (g: SecurityGroup) =>
    g.ingress.push({ ruleId: world.id('sgr'), protocol: '-1', groupId: g.groupId });
  self(group(world, r, vpcA, 'default', [], ALL_OUT));
  self(group(world, r, vpcB, 'default', [], ALL_OUT));
  const web = group(
    world,
    r,
    vpcA,
    'web',
    [
      { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
    ],
    ALL_OUT,
  );
  const app = group(
    world,
    r,
    vpcA,
    'app',
    [{ protocol: 'tcp', fromPort: 8080, toPort: 8080, groupId: web.groupId }],
    ALL_OUT,
  );
  const mgmt = group(
    world,
    r,
    vpcA,
    'mgmt',
    [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.0.0/8' }],
    ALL_OUT,
  );
  const legacy = group(
    world,
    r,
    vpcB,
    'legacy',
    [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }],
    ALL_OUT,
  );
  const endpointGroup = group(
    world,
    r,
    vpcA,
    'vpc-endpoints',
    [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: `10.${second}.0.0/16` }],
    ALL_OUT,
  );
  for (const [index, service] of ['ssm', 'ssmmessages', 'ec2messages', 's3'].entries()) {
    const endpointId = world.id('vpce');
    const ip = `10.${second}.1.${200 + index}`;
    r.endpoints.set(endpointId, {
      vpcEndpointId: endpointId,
      vpcId: vpcA,
      serviceName: `com.amazonaws.${r.region}.${service}`,
      type: 'Interface',
      subnetIds: [a1],
      groupIds: [endpointGroup.groupId],
      privateIps: [ip],
    });
    const eniId = world.id('eni');
    r.enis.set(eniId, {
      eniId,
      subnetId: a1,
      vpcId: vpcA,
      availabilityZone: az('a'),
      description: `VPC Endpoint Interface ${endpointId}`,
      privateIp: ip,
      macAddress: `0e:00:00:00:00:${index}0`,
      groupIds: [endpointGroup.groupId],
      interfaceType: 'vpc_endpoint',
      connections: { alive: false, tracked: true },
      tags: {},
    });
  }
  const gatewayId = world.id('vpce');
  r.endpoints.set(gatewayId, {
    vpcEndpointId: gatewayId,
    vpcId: vpcA,
    serviceName: `com.amazonaws.${r.region}.s3`,
    type: 'Gateway',
    subnetIds: [],
    groupIds: [],
    privateIps: [],
    prefixListId: r.region === 'us-east-1' ? 'pl-63a5400a' : 'pl-6da54004',
  });
  return { a1, a2, b1, web, app, mgmt, legacy };
}

/** Fills `world` with the sandbox organization. */
export function seedDefault(world: World, org: OrgSettings, nowMs: number): void {
  const now = new Date(nowMs);
  const launched = new Date(nowMs - 86_400_000 * 12);
  // A Set: in single-account mode the security, forensics and a member account are one account.
  for (const account of new Set([org.securityAccount, org.forensicsAccount, ...MEMBER_ACCOUNTS]))
    seedIam(world, org, account, now);
  for (const region of MEMBER_REGIONS) {
    const f = world.region(org.forensicsAccount, region);
    addKey(f, 3, 'alias/forensics-snapshots', 'CUSTOMER', [...MEMBER_ACCOUNTS, org.securityAccount]);
  }
  addEvidenceBucket(world, org, 'us-east-1', org.evidenceBucket);
  // The forensic worker's side of the forensics stack (issue 12, item 4), beside the evidence bucket.
  seedForensicWorker(world, org, 'us-east-1', evidenceKeyArn(org.forensicsAccount, 'us-east-1'), now);
  addToolsBucket(world, org, 'us-east-1', toolsBucketName(org.forensicsAccount), nowMs);
  for (const [region, bucket] of Object.entries(org.regionalEvidenceBuckets))
    addEvidenceBucket(world, org, region, bucket);
  const nets = new Map<string, ReturnType<typeof seedNetwork>>();
  MEMBER_ACCOUNTS.forEach((account, accountIndex) => {
    MEMBER_REGIONS.forEach((region, regionIndex) => {
      const r = world.region(account, region);
      addKey(r, 1, 'alias/aws/ebs', 'AWS', []);
      addKey(r, 2, 'alias/workload-data', 'CUSTOMER', [org.forensicsAccount]);
      const net = seedNetwork(world, r, 10 + accountIndex * 20 + regionIndex * 10);
      nets.set(`${account}/${region}`, net);
      const ebs = KEYS.awsEbs(account, region);
      const data = KEYS.workload(account, region);
      const i = SEEDED.instances;
      if (account === '333333333333' && region === 'us-east-1')
        seedMainRegion(world, r, net, ebs, data, launched);
      if (account === '333333333333' && region === 'eu-west-1')
        addInstance(
          world,
          r,
          {
            id: i.euWest,
            name: 'eu-api-1',
            subnetIds: [net.a1],
            groupIds: [[net.web.groupId]],
            profile: SEEDED.profiles.web,
            volumes: [{ sizeGiB: 1, key: ebs, deleteOnTermination: true }],
            memoryBytes: 512 * 1024,
          },
          launched,
        );
      if (account === '444444444444' && region === 'us-east-1')
        addInstance(
          world,
          r,
          {
            id: i.secondAccount,
            name: 'batch-1',
            subnetIds: [net.a2],
            groupIds: [[net.app.groupId]],
            profile: SEEDED.profiles.app,
            volumes: [{ sizeGiB: 1, key: data, deleteOnTermination: true }],
            memoryBytes: 384 * 1024,
          },
          launched,
        );
    });
  });
  // Added last so the ids of everything seeded before it stay as they were.
  const eu = nets.get('333333333333/eu-west-1')!;
  addInstance(
    world,
    world.region('333333333333', 'eu-west-1'),
    {
      id: SEEDED.instances.arm,
      name: 'eu-graviton-1',
      subnetIds: [eu.a1],
      groupIds: [[eu.web.groupId]],
      profile: SEEDED.profiles.web,
      volumes: [{ sizeGiB: 1, key: KEYS.awsEbs('333333333333', 'eu-west-1'), deleteOnTermination: true }],
      memoryBytes: 320 * 1024,
      architecture: 'arm64',
    },
    launched,
  );
}

function seedMainRegion(
  world: World,
  r: RegionState,
  net: ReturnType<typeof seedNetwork>,
  ebs: string,
  data: string,
  launched: Date,
): void {
  const i = SEEDED.instances;
  addInstance(
    world,
    r,
    {
      id: i.demo,
      name: 'web-1',
      subnetIds: [net.a1],
      groupIds: [[net.web.groupId]],
      profile: SEEDED.profiles.web,
      volumes: [
        { sizeGiB: 1, key: ebs, deleteOnTermination: true },
        { sizeGiB: 1, key: data, deleteOnTermination: true },
      ],
      memoryBytes: 1024 * 1024,
      tags: { Environment: 'production' },
    },
    launched,
  );
  addInstance(
    world,
    r,
    {
      id: i.multiEni,
      name: 'app-gateway',
      subnetIds: [net.a1, net.a2, net.a2],
      groupIds: [[net.app.groupId], [net.app.groupId, net.mgmt.groupId], [net.mgmt.groupId]],
      profile: SEEDED.profiles.app,
      volumes: [{ sizeGiB: 1, deleteOnTermination: true }],
      memoryBytes: 768 * 1024,
    },
    launched,
  );
  addInstance(
    world,
    r,
    {
      id: i.autoScaled,
      name: 'web-asg-1',
      subnetIds: [net.a1],
      groupIds: [[net.web.groupId]],
      profile: SEEDED.profiles.web,
      volumes: [{ sizeGiB: 1, key: ebs, deleteOnTermination: true }],
      memoryBytes: 256 * 1024,
      tags: { 'aws:autoscaling:groupName': SEEDED.autoScalingGroup },
    },
    launched,
  );
  addInstance(
    world,
    r,
    {
      id: i.autoScaledPeer,
      name: 'web-asg-2',
      subnetIds: [net.a2],
      groupIds: [[net.web.groupId]],
      profile: SEEDED.profiles.web,
      volumes: [{ sizeGiB: 1, key: ebs, deleteOnTermination: true }],
      memoryBytes: 256 * 1024,
      tags: { 'aws:autoscaling:groupName': SEEDED.autoScalingGroup },
    },
    launched,
  );
  addInstance(
    world,
    r,
    {
      id: i.noEndpoints,
      name: 'legacy-1',
      subnetIds: [net.b1],
      groupIds: [[net.legacy.groupId]],
      volumes: [{ sizeGiB: 1, deleteOnTermination: true }],
      memoryBytes: 2 * 1024 * 1024,
      autoPublicIp: '54.90.12.34',
    },
    launched,
  );
  addInstance(
    world,
    r,
    {
      id: i.unmanaged,
      name: 'appliance-1',
      subnetIds: [net.a2],
      groupIds: [[net.mgmt.groupId]],
      volumes: [{ sizeGiB: 1, deleteOnTermination: true }],
      memoryBytes: 256 * 1024,
      ssmManaged: false,
    },
    launched,
  );
  const eip = (publicIp: string, instanceId: string, eniIndex: number) => {
    const instance = r.instances.get(instanceId)!;
    const eni = r.enis.get(instance.eniIds[eniIndex]!)!;
    const allocationId = world.id('eipalloc');
    r.addresses.set(allocationId, {
      allocationId,
      publicIp,
      associationId: world.id('eipassoc'),
      instanceId,
      eniId: eni.eniId,
      privateIp: eni.privateIp,
      tags: {},
    });
  };
  eip('3.91.20.15', i.demo, 0);
  eip('3.91.20.16', i.multiEni, 1);
  const spare = world.id('eipalloc');
  r.addresses.set(spare, { allocationId: spare, publicIp: '3.91.20.17', tags: { Name: 'unassociated' } });
  const tgArn = `arn:aws:elasticloadbalancing:${r.region}:${r.account}:targetgroup/${SEEDED.targetGroupName}/0123456789abcdef`;
  const vpcId = r.instances.get(i.autoScaled)!.vpcId;
  r.targetGroups.set(tgArn, {
    arn: tgArn,
    name: SEEDED.targetGroupName,
    vpcId,
    port: 443,
    protocol: 'HTTPS',
    targets: [
      { id: i.autoScaled, port: 443 },
      { id: i.autoScaledPeer, port: 443 },
    ],
    loadBalancerArns: [
      `arn:aws:elasticloadbalancing:${r.region}:${r.account}:loadbalancer/app/web-alb/89abcdef01234567`,
    ],
  });
  r.loadBalancers.set(SEEDED.classicLoadBalancer, {
    name: SEEDED.classicLoadBalancer,
    dnsName: `${SEEDED.classicLoadBalancer}-123456.${r.region}.elb.amazonaws.com`,
    vpcId,
    subnetIds: [r.instances.get(i.autoScaled)!.subnetId],
    instanceIds: [i.autoScaled],
  });
  r.autoScalingGroups.set(SEEDED.autoScalingGroup, {
    name: SEEDED.autoScalingGroup,
    arn: `arn:aws:autoscaling:${r.region}:${r.account}:autoScalingGroup:00000000-0000-4000-8000-000000000001:autoScalingGroupName/${SEEDED.autoScalingGroup}`,
    minSize: 2,
    maxSize: 4,
    desiredCapacity: 2,
    instances: [i.autoScaled, i.autoScaledPeer].map((instanceId) => ({
      instanceId,
      lifecycleState: 'InService',
      availabilityZone: r.instances.get(instanceId)!.availabilityZone,
    })),
    targetGroupArns: [tgArn],
    loadBalancerNames: [SEEDED.classicLoadBalancer],
  });
}

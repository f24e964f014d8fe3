/**
 * The forensics account's side of the forensic worker (issue 12, item 4), as strict as AWS where the steps
 * depend on it:
 *
 * - **EC2** `RunInstances` (the image, subnet, groups and instance profile must exist and fit together; a
 *   `ClientToken` returns the same instance again) and `TerminateInstances`;
 * - **IAM** `CreateRole` (with a path and a permissions boundary that must exist), `DeleteRole` (refused while
 *   it has inline policies or is in a profile), and the instance-profile calls, with AWS's errors;
 * - **SSM** `GetParameter` of the parameters the forensics stack writes (launch settings, the AMI id);
 * - what the deploy's IAM conditions say, for `ForensicsBot-ExamineLauncher` (its statements are written out
 *   here from deploy/constructs/examine-worker.ts; the twin's IAM does not evaluate conditions itself): only
 *   images tagged `forensics-bot:ami=examine-worker`, only the analysis VPC's subnets and the worker group,
 *   only workers tagged `forensics-bot:role=examine-worker` launched, terminated and sent commands, worker
 *   roles only under `/forensics-bot/worker/` with the worker boundary, passed to EC2 only;
 * - a worker role's permissions: its inline policies, statement by statement, within its boundary (a worker
 *   of one case cannot read another case's evidence);
 * - the worker is **the local machine**: `ForensicsBot-Examine` runs the real worker (workflows/examine/worker.ts:
 *   the real Sleuth Kit and YARA) with an S3 client holding the instance profile's credentials, so the
 *   evidence bucket's policy and the worker's role decide every read and write (sandbox/aws/services/ssm.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as EC2 from '@aws-sdk/client-ec2';
import type * as IAM from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import type * as SSM from '@aws-sdk/client-ssm';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { runWorkerCommand } from '../../../workflows/examine/worker.js';
import { WORKER_NAMES } from '../../../workflows/worker-names.js';
import type { CallContext, HandlerTable, OrgSettings } from '../handler.js';
import { handler } from '../handler.js';
import { instanceCredentials } from '../imds.js';
import { evaluate, parsePolicy, patternsAllow } from '../policy.js';
import type { CommandInvocation, Instance, RegionState, Role, World } from '../world.js';
import { listToTags } from '../world.js';
import { instanceView, requireInstance, terminateInstance } from './ec2-instances.js';

export const EXAMINE_DOCUMENT = WORKER_NAMES.examineDocument;

interface Image {
  imageId: string;
  tags: Record<string, string>;
}

interface WorkerTwin {
  /** `${account}/${region}:${name}` -> value */
  parameters: Map<string, string>;
  /** `${account}/${region}` -> images */
  images: Map<string, Image[]>;
  /** managed policies that may serve as boundaries, by ARN */
  policies: Map<string, string>;
  /** `${account}/${roleName}` -> the role's path and boundary (roles made by CreateRole) */
  roles: Map<string, { path: string; boundary: string }>;
  /** `${account}/${profileName}` -> path */
  profilePaths: Map<string, string>;
  /** ClientToken -> instance id */
  tokens: Map<string, string>;
  /**
   * Instances whose user data schedules `shutdown -h +<minutes>` and that terminate on an
   * instance-initiated shutdown: instance id -> when they terminate themselves (simulated time, ms).
   */
  shutdownAt: Map<string, number>;
  /** what the seed made, for the launcher's conditions */
  analysisVpcs: Set<string>;
  workerGroups: Set<string>;
}

const twins = new WeakMap<World, WorkerTwin>();

export function workerTwin(world: World): WorkerTwin {
  let t = twins.get(world);
  if (!t) {
    t = {
      parameters: new Map(),
      images: new Map(),
      policies: new Map(),
      roles: new Map(),
      profilePaths: new Map(),
      tokens: new Map(),
      shutdownAt: new Map(),
      analysisVpcs: new Set(),
      workerGroups: new Set(),
    };
    twins.set(world, t);
  }
  return t;
}

/**
 * What a role allows: the seeded roles' patterns, or — for a role made by CreateRole — its inline policies,
 * statement by statement, within its permissions boundary (both must allow, nothing may deny).
 */
export function roleAllows(
  world: World,
  account: string,
  role: Role,
  action: string,
  resource: string,
): boolean {
  const meta = workerTwin(world).roles.get(`${account}/${role.name}`);
  if (!meta) return patternsAllow(role.allows, action, resource);
  let allowed = false;
  for (const text of Object.values(role.inlinePolicies)) {
    const policy = parsePolicy(text);
    if (typeof policy === 'string') continue;
    const verdict = evaluate(policy, action, resource);
    if (verdict === 'Deny') return false;
    if (verdict === 'Allow') allowed = true;
  }
  const boundary = parsePolicy(workerTwin(world).policies.get(meta.boundary) ?? '');
  return allowed && typeof boundary !== 'string' && evaluate(boundary, action, resource) === 'Allow';
}

const isLauncher = (ctx: CallContext) => ctx.caller.roleName === WORKER_NAMES.launcherRole;
const isWorker = (tags: Record<string, string>) => tags[WORKER_NAMES.roleTag] === WORKER_NAMES.roleTagValue;

/** What EC2 answers a call the caller's IAM conditions do not allow. */
function unauthorized(ctx: CallContext, why: string): never {
  return ctx.fail('UnauthorizedOperation', `You are not authorized to perform this operation. (${why})`, 403);
}

const key = (ctx: CallContext) => `${ctx.here.account}/${ctx.here.region}`;

function boundaryDocument(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: `arn:aws:s3:::${bucket}/CASE-*`,
      },
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObjectRetention'],
        Resource: `arn:aws:s3:::${bucket}/CASE-*/examination/*`,
      },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['ssm:UpdateInstanceInformation', 'ssmmessages:*', 'ec2messages:*'],
        Resource: '*',
      },
    ],
  });
}

/** The launcher's actions (deploy/constructs/examine-worker.ts; its conditions are checked by the handlers). */
const LAUNCHER_ACTIONS = [
  'ssm:GetParameter',
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:DeleteRole',
  'iam:CreateInstanceProfile',
  'iam:AddRoleToInstanceProfile',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:DeleteInstanceProfile',
  'iam:PassRole',
  'ec2:RunInstances',
  'ec2:CreateTags',
  'ec2:TerminateInstances',
  'ec2:DescribeInstances',
  'ssm:DescribeInstanceInformation',
  'ssm:SendCommand',
  'ssm:GetCommandInvocation',
  'ssm:CancelCommand',
];

/**
 * The forensics stack's worker side in the home region: the analysis VPC (isolated subnet, SSM interface
 * endpoints, S3 gateway endpoint), the worker group (HTTPS out only), a forensic AMI, the launch settings
 * and AMI parameters, the worker boundary and the launcher role.
 */
export function seedForensicWorker(
  world: World,
  org: OrgSettings,
  region: string,
  evidenceKeyArn: string,
  now: Date,
) {
  const t = workerTwin(world);
  const r = world.region(org.forensicsAccount, region);
  const vpcId = world.id('vpc');
  r.vpcs.set(vpcId, {
    vpcId,
    cidr: '10.250.0.0/16',
    isDefault: false,
    tags: { Name: 'forensics-bot analysis' },
  });
  const subnetId = world.id('subnet');
  r.subnets.set(subnetId, { subnetId, vpcId, cidr: '10.250.1.0/24', availabilityZone: `${region}a` });
  const groupOf = (name: string, ingress: SecurityGroupRule[], egress: SecurityGroupRule[]) => {
    const groupId = world.id('sg');
    r.securityGroups.set(groupId, {
      groupId,
      groupName: name,
      description: name,
      vpcId,
      tags: {},
      ingress: ingress.map((x) => ({ ruleId: world.id('sgr'), ...x })),
      egress: egress.map((x) => ({ ruleId: world.id('sgr'), ...x })),
    });
    return groupId;
  };
  const endpointGroup = groupOf(
    'forensics-bot analysis endpoints',
    [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.250.0.0/16' }],
    [],
  );
  const workerGroup = groupOf(
    'forensics-bot forensic workers',
    [],
    [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }],
  );
  for (const [index, service] of ['ssm', 'ssmmessages', 'ec2messages'].entries()) {
    const endpointId = world.id('vpce');
    const ip = `10.250.1.${200 + index}`;
    r.endpoints.set(endpointId, {
      vpcEndpointId: endpointId,
      vpcId,
      serviceName: `com.amazonaws.${region}.${service}`,
      type: 'Interface',
      subnetIds: [subnetId],
      groupIds: [endpointGroup],
      privateIps: [ip],
    });
  }
  const gatewayId = world.id('vpce');
  r.endpoints.set(gatewayId, {
    vpcEndpointId: gatewayId,
    vpcId,
    serviceName: `com.amazonaws.${region}.s3`,
    type: 'Gateway',
    subnetIds: [],
    groupIds: [],
    privateIps: [],
    prefixListId: region === 'us-east-1' ? 'pl-63a5400a' : 'pl-6da54004',
  });
  t.analysisVpcs.add(vpcId);
  t.workerGroups.add(workerGroup);
  const imageId = 'ami-0f0e1d2c3b4a59687';
  t.images.set(`${org.forensicsAccount}/${region}`, [
    { imageId, tags: { 'forensics-bot:ami': 'examine-worker', 'forensics-bot:version': 'sandbox' } },
  ]);
  const boundaryArn = `arn:aws:iam::${org.forensicsAccount}:policy/${WORKER_NAMES.boundaryPolicy}`;
  t.policies.set(boundaryArn, boundaryDocument(org.evidenceBucket));
  const param = (name: string, value: string) =>
    t.parameters.set(`${org.forensicsAccount}/${region}:${name}`, value);
  param(
    WORKER_NAMES.settingsParameter,
    JSON.stringify({
      subnetIds: [subnetId],
      securityGroupId: workerGroup,
      instanceType: 'm6i.xlarge',
      volumeGiB: 20,
      maxHours: 6,
      boundaryArn,
      kmsKeyId: evidenceKeyArn,
    }),
  );
  param(WORKER_NAMES.amiParameter, imageId);
  world.account(org.forensicsAccount).roles.set(WORKER_NAMES.launcherRole, {
    name: WORKER_NAMES.launcherRole,
    arn: `arn:aws:iam::${org.forensicsAccount}:role/${WORKER_NAMES.launcherRole}`,
    roleId: `AROA${world.token(17)}`,
    createdAt: now,
    trust: { accounts: [org.securityAccount], externalId: org.externalId },
    allows: { actions: LAUNCHER_ACTIONS, resources: ['*'] },
    inlinePolicies: {},
  });
  return { vpcId, subnetId, workerGroup, imageId, boundaryArn };
}
type SecurityGroupRule = { protocol: string; fromPort?: number; toPort?: number; cidr?: string };

const NAME_RE = /^[\w+=,.@-]{1,64}$/;
const PATH_RE = /^\/([\x21-\x7E]{0,510}\/)?$/;

function profileOf(ctx: CallContext, name: string | undefined) {
  const profile = name ? ctx.world.account(ctx.caller.account).instanceProfiles.get(name) : undefined;
  if (!profile) ctx.fail('NoSuchEntity', `Instance Profile ${name} cannot be found.`, 404);
  return profile!;
}

function roleOf(ctx: CallContext, name: string | undefined): Role {
  const role = name ? ctx.world.account(ctx.caller.account).roles.get(name) : undefined;
  if (!role) ctx.fail('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return role!;
}

/** The launcher may make or change roles only under the worker path, only with the worker boundary. */
function launcherMayManageRole(ctx: CallContext, path: string | undefined, boundary: string | undefined) {
  if (!isLauncher(ctx)) return;
  const expected = `arn:aws:iam::${ctx.caller.account}:policy/${WORKER_NAMES.boundaryPolicy}`;
  if (path !== WORKER_NAMES.rolePath || boundary !== expected)
    ctx.fail(
      'AccessDenied',
      `User: ${ctx.caller.arn} is not authorized to perform: ${ctx.command.replace(/Command$/, '')} (only under ${WORKER_NAMES.rolePath} with the permissions boundary ${WORKER_NAMES.boundaryPolicy})`,
      403,
    );
}

export const workerIamHandlers: HandlerTable = {
  CreateRoleCommand: handler<IAM.CreateRoleCommandInput, IAM.CreateRoleCommandOutput>((ctx, input) => {
    const t = workerTwin(ctx.world);
    if (!input.RoleName || !NAME_RE.test(input.RoleName))
      ctx.fail('ValidationError', 'The specified value for roleName is invalid.');
    const path = input.Path ?? '/';
    if (!PATH_RE.test(path)) ctx.fail('ValidationError', 'The specified value for path is invalid.');
    launcherMayManageRole(ctx, path, input.PermissionsBoundary);
    if (
      typeof parsePolicy(input.AssumeRolePolicyDocument ?? '') === 'string' &&
      !input.AssumeRolePolicyDocument?.includes('"Service"')
    )
      ctx.fail('MalformedPolicyDocument', 'The trust policy is malformed.');
    if (input.PermissionsBoundary && !t.policies.has(input.PermissionsBoundary))
      ctx.fail(
        'NoSuchEntity',
        `Scope ARN: ${input.PermissionsBoundary} does not exist or is not attachable.`,
        404,
      );
    const account = ctx.world.account(ctx.caller.account);
    if (account.roles.has(input.RoleName!))
      ctx.fail('EntityAlreadyExists', `Role with name ${input.RoleName} already exists.`, 409);
    const role: Role = {
      name: input.RoleName!,
      arn: `arn:aws:iam::${ctx.caller.account}:role${path}${input.RoleName}`,
      roleId: `AROA${ctx.world.token(17)}`,
      createdAt: ctx.now(),
      // assumed by EC2 for instances: no account may assume it with AssumeRole
      trust: { accounts: [] },
      allows: { actions: [], resources: [] },
      inlinePolicies: {},
    };
    account.roles.set(role.name, role);
    t.roles.set(`${ctx.caller.account}/${role.name}`, { path, boundary: input.PermissionsBoundary ?? '' });
    return {
      Role: {
        RoleName: role.name,
        Arn: role.arn,
        RoleId: role.roleId,
        Path: path,
        CreateDate: role.createdAt,
      },
    };
  }),

  DeleteRoleCommand: handler<IAM.DeleteRoleCommandInput, IAM.DeleteRoleCommandOutput>((ctx, input) => {
    const role = roleOf(ctx, input.RoleName);
    const account = ctx.world.account(ctx.caller.account);
    if (Object.keys(role.inlinePolicies).length > 0)
      ctx.fail('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    if ([...account.instanceProfiles.values()].some((p) => p.roleNames.includes(role.name)))
      ctx.fail('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
    account.roles.delete(role.name);
    workerTwin(ctx.world).roles.delete(`${ctx.caller.account}/${role.name}`);
    return {};
  }),

  CreateInstanceProfileCommand: handler<
    IAM.CreateInstanceProfileCommandInput,
    IAM.CreateInstanceProfileCommandOutput
  >((ctx, input) => {
    if (!input.InstanceProfileName || !/^[\w+=,.@-]{1,128}$/.test(input.InstanceProfileName))
      ctx.fail('ValidationError', 'The specified value for instanceProfileName is invalid.');
    const path = input.Path ?? '/';
    if (!PATH_RE.test(path)) ctx.fail('ValidationError', 'The specified value for path is invalid.');
    if (isLauncher(ctx) && path !== WORKER_NAMES.rolePath)
      ctx.fail(
        'AccessDenied',
        `User: ${ctx.caller.arn} is not authorized to perform: iam:CreateInstanceProfile`,
        403,
      );
    const account = ctx.world.account(ctx.caller.account);
    if (account.instanceProfiles.has(input.InstanceProfileName!))
      ctx.fail('EntityAlreadyExists', `Instance Profile ${input.InstanceProfileName} already exists.`, 409);
    const profile = {
      name: input.InstanceProfileName!,
      arn: `arn:aws:iam::${ctx.caller.account}:instance-profile${path}${input.InstanceProfileName}`,
      profileId: `AIPA${ctx.world.token(17)}`,
      roleNames: [],
      createdAt: ctx.now(),
    };
    account.instanceProfiles.set(profile.name, profile);
    workerTwin(ctx.world).profilePaths.set(`${ctx.caller.account}/${profile.name}`, path);
    return {
      InstanceProfile: {
        InstanceProfileName: profile.name,
        Arn: profile.arn,
        InstanceProfileId: profile.profileId,
        Path: path,
        CreateDate: profile.createdAt,
        Roles: [],
      },
    };
  }),

  AddRoleToInstanceProfileCommand: handler<
    IAM.AddRoleToInstanceProfileCommandInput,
    IAM.AddRoleToInstanceProfileCommandOutput
  >((ctx, input) => {
    const profile = profileOf(ctx, input.InstanceProfileName);
    const role = roleOf(ctx, input.RoleName);
    if (profile.roleNames.length > 0)
      ctx.fail('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', 409);
    profile.roleNames.push(role.name);
    return {};
  }),

  RemoveRoleFromInstanceProfileCommand: handler<
    IAM.RemoveRoleFromInstanceProfileCommandInput,
    IAM.RemoveRoleFromInstanceProfileCommandOutput
  >((ctx, input) => {
    const profile = profileOf(ctx, input.InstanceProfileName);
    if (!input.RoleName || !profile.roleNames.includes(input.RoleName))
      ctx.fail(
        'NoSuchEntity',
        `The role with name ${input.RoleName} cannot be found in ${profile.name}.`,
        404,
      );
    profile.roleNames = profile.roleNames.filter((n) => n !== input.RoleName);
    return {};
  }),

  DeleteInstanceProfileCommand: handler<
    IAM.DeleteInstanceProfileCommandInput,
    IAM.DeleteInstanceProfileCommandOutput
  >((ctx, input) => {
    const profile = profileOf(ctx, input.InstanceProfileName);
    if (profile.roleNames.length > 0)
      ctx.fail('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
    ctx.world.account(ctx.caller.account).instanceProfiles.delete(profile.name);
    return {};
  }),
};

export const workerSsmHandlers: HandlerTable = {
  GetParameterCommand: handler<SSM.GetParameterCommandInput, SSM.GetParameterCommandOutput>((ctx, input) => {
    const value = workerTwin(ctx.world).parameters.get(`${key(ctx)}:${input.Name ?? ''}`);
    if (value === undefined) ctx.fail('ParameterNotFound', `Parameter ${input.Name} not found.`, 400);
    return { Parameter: { Name: input.Name, Type: 'String', Value: value, Version: 1, DataType: 'text' } };
  }),
};

const INSTANCE_TYPE_RE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

export const workerEc2Handlers: HandlerTable = {
  RunInstancesCommand: handler<EC2.RunInstancesCommandInput, EC2.RunInstancesCommandOutput>((ctx, input) => {
    shutDownDue(ctx);
    const t = workerTwin(ctx.world);
    const r = ctx.here;
    if (input.ClientToken) {
      const earlier = t.tokens.get(`${key(ctx)}:${input.ClientToken}`);
      const instance = earlier ? r.instances.get(earlier) : undefined;
      if (instance)
        return {
          ReservationId: `r-${earlier!.slice(2)}`,
          OwnerId: r.account,
          Instances: [instanceView(r, instance)],
        };
    }
    if (!input.MinCount || !input.MaxCount)
      ctx.fail('MissingParameter', 'The request must contain the parameter MinCount and MaxCount');
    if (input.MinCount !== 1 || input.MaxCount !== 1)
      ctx.fail('InvalidParameterValue', 'The sandbox launches one instance a call');
    const image = (t.images.get(key(ctx)) ?? []).find((i) => i.imageId === input.ImageId);
    if (!image) ctx.fail('InvalidAMIID.NotFound', `The image id '[${input.ImageId}]' does not exist`);
    if (!input.InstanceType || !INSTANCE_TYPE_RE.test(input.InstanceType))
      ctx.fail('InvalidParameterValue', `Invalid value '${input.InstanceType}' for InstanceType.`);
    const subnet = input.SubnetId ? r.subnets.get(input.SubnetId) : undefined;
    if (!subnet) ctx.fail('InvalidSubnetID.NotFound', `The subnet ID '${input.SubnetId}' does not exist`);
    const groupIds = input.SecurityGroupIds ?? [];
    for (const id of groupIds) {
      const g = r.securityGroups.get(id);
      if (!g) ctx.fail('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      if (g!.vpcId !== subnet!.vpcId)
        ctx.fail(
          'InvalidParameter',
          `Security group ${id} and subnet ${subnet!.subnetId} belong to different networks.`,
        );
    }
    const requestTags: Record<string, string> = {};
    for (const spec of input.TagSpecifications ?? []) {
      if (!['instance', 'volume', 'network-interface'].includes(spec.ResourceType ?? ''))
        ctx.fail(
          'InvalidParameterValue',
          `'${spec.ResourceType}' is not a valid taggable resource type for this operation.`,
        );
      if (spec.ResourceType === 'instance') Object.assign(requestTags, listToTags(spec.Tags));
    }
    let profileArn: string | undefined;
    let roleName: string | undefined;
    if (input.IamInstanceProfile) {
      const account = ctx.world.account(r.account);
      const name = input.IamInstanceProfile.Name ?? input.IamInstanceProfile.Arn?.split('/').pop();
      const profile = name ? account.instanceProfiles.get(name) : undefined;
      // AWS answers the same for a profile that does not exist and one IAM has not propagated yet
      if (!profile || profile.roleNames.length === 0)
        ctx.fail(
          'InvalidParameterValue',
          `Value (${name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
        );
      profileArn = profile!.arn;
      roleName = profile!.roleNames[0];
    }
    if (isLauncher(ctx)) {
      if (image!.tags['forensics-bot:ami'] !== 'examine-worker')
        unauthorized(ctx, 'image not of the forensic AMI pipeline');
      if (!t.analysisVpcs.has(subnet!.vpcId)) unauthorized(ctx, 'subnet outside the analysis VPC');
      if (groupIds.some((g) => !t.workerGroups.has(g)))
        unauthorized(ctx, 'a security group other than the worker group');
      if (!isWorker(requestTags))
        unauthorized(ctx, `instance without the tag ${WORKER_NAMES.roleTag}=${WORKER_NAMES.roleTagValue}`);
      if (
        roleName &&
        workerTwin(ctx.world).roles.get(`${r.account}/${roleName}`)?.path !== WORKER_NAMES.rolePath
      )
        unauthorized(ctx, `iam:PassRole of a role outside ${WORKER_NAMES.rolePath}`);
    }
    const instanceId = ctx.world.id('i');
    const eniId = ctx.world.id('eni');
    const used = new Set([...r.enis.values()].map((e) => e.privateIp));
    const base = subnet!.cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
    let host = 10;
    while (used.has(`${base}.${host}`)) host += 1;
    r.enis.set(eniId, {
      eniId,
      subnetId: subnet!.subnetId,
      vpcId: subnet!.vpcId,
      availabilityZone: subnet!.availabilityZone,
      description: '',
      privateIp: `${base}.${host}`,
      macAddress: `0e:00:00:00:${(host >> 8).toString(16).padStart(2, '0')}:${(host & 255).toString(16).padStart(2, '0')}`,
      groupIds,
      instanceId,
      attachmentId: ctx.world.id('eni-attach'),
      deviceIndex: 0,
      interfaceType: 'interface',
      connections: { alive: false, tracked: true },
      tags: { ...requestTags },
    });
    const volumeId = ctx.world.id('vol');
    const root = (input.BlockDeviceMappings ?? []).find((b) => b.DeviceName === '/dev/xvda');
    r.volumes.set(volumeId, {
      volumeId,
      sizeGiB: root?.Ebs?.VolumeSize ?? 20,
      availabilityZone: subnet!.availabilityZone,
      encrypted: true,
      state: 'in-use',
      instanceId,
      deviceName: '/dev/xvda',
      tags: { ...requestTags },
    });
    const instance: Instance = {
      instanceId,
      imageId: image!.imageId,
      instanceType: input.InstanceType!,
      launchTime: ctx.now(),
      state: 'running',
      vpcId: subnet!.vpcId,
      subnetId: subnet!.subnetId,
      availabilityZone: subnet!.availabilityZone,
      eniIds: [eniId],
      tags: requestTags,
      disableApiTermination: input.DisableApiTermination ?? false,
      shutdownBehavior: input.InstanceInitiatedShutdownBehavior === 'terminate' ? 'terminate' : 'stop',
      rootDeviceName: '/dev/xvda',
      blockDevices: [
        { deviceName: '/dev/xvda', volumeId, deleteOnTermination: root?.Ebs?.DeleteOnTermination ?? true },
      ],
      memoryBytes: 16 * 1024 * 1024,
      kernelRelease: '6.1.0-28-cloud-amd64',
      // The AMI carries the agent; it registers when the instance profile's role lets it.
      ssmManaged:
        !!roleName &&
        roleAllows(
          ctx.world,
          r.account,
          ctx.world.account(r.account).roles.get(roleName)!,
          'ssm:UpdateInstanceInformation',
          '*',
        ),
      architecture: 'x86_64',
    };
    r.instances.set(instanceId, instance);
    if (profileArn) {
      const profile = ctx.world.account(r.account).instanceProfiles.get(profileArn.split('/').pop()!)!;
      const associationId = ctx.world.id('iip-assoc');
      r.associations.set(associationId, {
        associationId,
        instanceId,
        profileArn,
        profileId: profile.profileId,
        state: 'associated',
      });
    }
    if (input.ClientToken) t.tokens.set(`${key(ctx)}:${input.ClientToken}`, instanceId);
    // The worker's own lifetime guard: a shutdown the instance schedules at boot, with terminate on shutdown.
    const timer = /^\s*shutdown\s+-h\s+\+(\d+)\s*$/m.exec(
      Buffer.from(input.UserData ?? '', 'base64').toString('utf8'),
    );
    if (timer && instance.shutdownBehavior === 'terminate')
      t.shutdownAt.set(instanceId, ctx.clock.now() + Number(timer[1]) * 60_000);
    const view = instanceView(r, instance);
    // what RunInstances answers: the instance as it starts
    return {
      ReservationId: `r-${instanceId.slice(2)}`,
      OwnerId: r.account,
      Instances: [{ ...view, State: { Code: 0, Name: 'pending' } }],
    };
  }),

  TerminateInstancesCommand: handler<EC2.TerminateInstancesCommandInput, EC2.TerminateInstancesCommandOutput>(
    (ctx, input) => {
      shutDownDue(ctx);
      const ids = input.InstanceIds ?? [];
      if (ids.length === 0)
        ctx.fail('MissingParameter', 'The request must contain the parameter InstanceIds');
      const instances = ids.map((id) => requireInstance(ctx, id, false));
      for (const instance of instances) {
        if (isLauncher(ctx) && !isWorker(instance.tags))
          unauthorized(
            ctx,
            `${instance.instanceId} is not tagged ${WORKER_NAMES.roleTag}=${WORKER_NAMES.roleTagValue}`,
          );
        if (instance.disableApiTermination)
          ctx.fail(
            'OperationNotPermitted',
            `The instance '${instance.instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
          );
      }
      return {
        TerminatingInstances: instances.map((instance) => {
          const previous = instance.state;
          terminateInstance(ctx.world, ctx.here, instance.instanceId);
          return {
            InstanceId: instance.instanceId,
            PreviousState: { Name: previous, Code: previous === 'terminated' ? 48 : 16 },
            CurrentState: { Name: 'terminated', Code: 48 },
          };
        }),
      };
    },
  ),
};

/**
 * Instances whose scheduled shutdown has come terminate themselves, as EC2 does with
 * `InstanceInitiatedShutdownBehavior=terminate` (checked whenever the region's instances are looked at).
 */
export function shutDownDue(ctx: CallContext): void {
  const t = workerTwin(ctx.world);
  for (const [instanceId, at] of t.shutdownAt) {
    if (at > ctx.clock.now()) continue;
    const region = [...ctx.world.accounts.values()]
      .flatMap((a) => [...a.regions.values()])
      .find((r) => r.instances.has(instanceId));
    if (region) terminateInstance(ctx.world, region, instanceId);
    t.shutdownAt.delete(instanceId);
  }
}

/** The launcher may send commands only to workers, only the examine document. */
export function checkLauncherCommand(ctx: CallContext, document: string, instances: Instance[]): void {
  if (!isLauncher(ctx)) return;
  if (document !== EXAMINE_DOCUMENT || instances.some((i) => !isWorker(i.tags)))
    ctx.fail(
      'AccessDeniedException',
      `User: ${ctx.caller.arn} is not authorized to perform: ssm:SendCommand (the examine document on tagged workers only)`,
      400,
    );
}

const runs = new WeakMap<CommandInvocation, Promise<{ code: number; stdout: string; stderr: string }>>();
const settled = new WeakMap<CommandInvocation, { code: number; stdout: string; stderr: string }>();

/**
 * One poll of `ForensicsBot-Examine` once the agent has it: the first starts the real worker on this
 * machine (the sandbox's worker is the local machine) with the instance profile's credentials; later polls
 * answer InProgress until it ends, then its exit code and output, as the agent reports them.
 */
export function examineOnWorker(ctx: CallContext, inv: CommandInvocation, instance: Instance): void {
  const done = settled.get(inv);
  if (done) {
    Object.assign(inv, {
      status: done.code === 0 ? 'Success' : 'Failed',
      responseCode: done.code,
      stdout: `${inv.stdout}${done.stdout}`,
      stderr: `${inv.stderr}${done.stderr}`,
    });
    return;
  }
  if (runs.has(inv)) return;
  inv.stdout = `forensics-bot sandbox: the forensic worker ${instance.instanceId} is the local machine\n`;
  const env = Object.fromEntries(Object.entries(inv.parameters).map(([k, v]) => [`SSM_${k}`, v[0] ?? '']));
  const run = (async () => {
    const credentials = instanceCredentials(ctx.world, instance.instanceId, ctx.clock.now());
    const s3 = createAwsClient(S3Client, { region: ctx.here.region, credentials });
    const dir = mkdtempSync(join(tmpdir(), 'forensics-bot-worker-'));
    try {
      return await runWorkerCommand(env, s3, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })().catch((error: unknown) => ({ code: 1, stdout: '', stderr: `examine-worker: ${String(error)}\n` }));
  runs.set(inv, run);
  void run.then((result) => settled.set(inv, result));
}

/** Seeds the region state only; exported for tests that look at what the seed made. */
export type ForensicWorkerSeed = ReturnType<typeof seedForensicWorker>;
export type { RegionState };

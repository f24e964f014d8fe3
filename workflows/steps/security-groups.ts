import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  type IpPermission,
  RevokeSecurityGroupEgressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { MemberClients } from '../aws/member.js';
import type { VpcEndpoints } from './record-configuration.js';

/**
 * The bot's own security groups, one of each kind per VPC, created on first need, tagged, and reused:
 * - `allow-all`: everything in and out, so tracked connections become untracked before isolation;
 * - `isolation`: no rule at all;
 * - `isolation-endpoints`: only HTTPS out to the VPC's SSM and S3 endpoints (memory acquisition).
 */
import type { GroupKind } from '../../bot/core/case-model.js';

export type { GroupKind } from '../../bot/core/case-model.js';

export const GROUP_NAMES: Record<GroupKind, string> = {
  'allow-all': 'forensics-bot-allow-all',
  isolation: 'forensics-bot-isolation',
  'isolation-endpoints': 'forensics-bot-isolation-endpoints',
};
export const PURPOSE_TAG = 'forensics-bot:purpose';

const DESCRIPTIONS: Record<GroupKind, string> = {
  'allow-all': 'forensics-bot: all traffic, so connections become untracked before isolation',
  isolation: 'forensics-bot: network isolation, no traffic at all',
  'isolation-endpoints': 'forensics-bot: isolation except HTTPS to the VPC SSM/S3 endpoints',
};

const ALL_TRAFFIC: IpPermission = {
  IpProtocol: '-1',
  IpRanges: [{ CidrIp: '0.0.0.0/0' }],
  Ipv6Ranges: [{ CidrIpv6: '::/0' }],
};
const DEFAULT_EGRESS: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

/** The groups of the given kinds in a VPC, created when missing. One describe when they exist. */
export async function ensureGroups(
  clients: MemberClients,
  vpcId: string,
  kinds: GroupKind[],
  endpoints?: VpcEndpoints,
): Promise<Record<GroupKind, string | undefined>> {
  const existing = await groupsIn(clients, vpcId);
  const out: Record<GroupKind, string | undefined> = {
    'allow-all': undefined,
    isolation: undefined,
    'isolation-endpoints': undefined,
  };
  await Promise.all(
    kinds.map(async (kind) => {
      const found = existing.find((g) => g.GroupName === GROUP_NAMES[kind]);
      if (found?.GroupId) {
        out[kind] = found.GroupId;
        if (kind === 'isolation-endpoints' && endpoints)
          await addMissingEndpointRules(clients, found, endpoints);
        return;
      }
      out[kind] = await createGroup(clients, vpcId, kind, endpoints);
    }),
  );
  return out;
}

async function groupsIn(clients: MemberClients, vpcId: string): Promise<SecurityGroup[]> {
  const out = await clients
    .ec2()
    .send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  return (out.SecurityGroups ?? []).filter((g) => g.VpcId === undefined || g.VpcId === vpcId);
}

async function createGroup(
  clients: MemberClients,
  vpcId: string,
  kind: GroupKind,
  endpoints?: VpcEndpoints,
): Promise<string> {
  const ec2 = clients.ec2();
  let groupId: string | undefined;
  try {
    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: GROUP_NAMES[kind],
        Description: DESCRIPTIONS[kind],
        VpcId: vpcId,
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              { Key: 'Name', Value: GROUP_NAMES[kind] },
              { Key: PURPOSE_TAG, Value: kind },
              { Key: 'managed-by', Value: 'forensics-bot' },
            ],
          },
        ],
      }),
    );
    groupId = created.GroupId;
  } catch (error) {
    // Another case in the same VPC created it a moment ago: use theirs.
    if (error instanceof Error && error.name === 'InvalidGroup.Duplicate') {
      const again = (await groupsIn(clients, vpcId)).find((g) => g.GroupName === GROUP_NAMES[kind]);
      if (again?.GroupId) return again.GroupId;
    }
    throw error;
  }
  if (!groupId) throw new Error(`CreateSecurityGroup returned no id for ${GROUP_NAMES[kind]}`);
  if (kind === 'allow-all') {
    await Promise.all([
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [ALL_TRAFFIC] })),
      ec2
        .send(
          new AuthorizeSecurityGroupEgressCommand({
            GroupId: groupId,
            IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
          }),
        )
        .catch(duplicateIsFine),
    ]);
    return groupId;
  }
  // A new group allows all egress: take it away, then add back HTTPS to the endpoints when asked.
  await ec2
    .send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [DEFAULT_EGRESS] }))
    .catch(notFoundIsFine);
  if (kind === 'isolation-endpoints' && endpoints) {
    const rules = endpointRules(endpoints);
    // Another case in the same VPC that found the group a moment after its creation may have added
    // them already (addMissingEndpointRules): the rules being there is what is wanted.
    if (rules.length)
      await ec2
        .send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: rules }))
        .catch(duplicateIsFine);
  }
  return groupId;
}

/** HTTPS to the endpoints' security groups and to the S3 gateway's prefix lists. */
export function endpointRules(endpoints: VpcEndpoints): IpPermission[] {
  const rules: IpPermission[] = [];
  if (endpoints.interfaceGroups.length)
    rules.push({
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      UserIdGroupPairs: endpoints.interfaceGroups.map((GroupId) => ({
        GroupId,
        Description: 'VPC endpoint (HTTPS)',
      })),
    });
  if (endpoints.prefixLists.length)
    rules.push({
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      PrefixListIds: endpoints.prefixLists.map((PrefixListId) => ({
        PrefixListId,
        Description: 'S3 gateway endpoint',
      })),
    });
  return rules;
}

async function addMissingEndpointRules(
  clients: MemberClients,
  group: SecurityGroup,
  endpoints: VpcEndpoints,
) {
  const have = new Set<string>();
  for (const p of group.IpPermissionsEgress ?? []) {
    for (const pair of p.UserIdGroupPairs ?? []) if (pair.GroupId) have.add(pair.GroupId);
    for (const pl of p.PrefixListIds ?? []) if (pl.PrefixListId) have.add(pl.PrefixListId);
  }
  const missing: VpcEndpoints = {
    ...endpoints,
    interfaceGroups: endpoints.interfaceGroups.filter((g) => !have.has(g)),
    prefixLists: endpoints.prefixLists.filter((p) => !have.has(p)),
  };
  const rules = endpointRules(missing);
  if (rules.length)
    await clients
      .ec2()
      .send(new AuthorizeSecurityGroupEgressCommand({ GroupId: group.GroupId, IpPermissions: rules }))
      .catch(duplicateIsFine);
}

function duplicateIsFine(error: unknown) {
  if (error instanceof Error && error.name === 'InvalidPermission.Duplicate') return undefined;
  throw error;
}

function notFoundIsFine(error: unknown) {
  if (error instanceof Error && error.name === 'InvalidPermission.NotFound') return undefined;
  throw error;
}

/**
 * IAM (roles, instance profiles, inline policies) and the EC2 side of instance profiles (associations).
 * A profile named in EC2 calls must exist in the instance's account, as in AWS.
 */
import type * as EC2 from '@aws-sdk/client-ec2';
import type * as IAM from '@aws-sdk/client-iam';
import { applyFilters, byIds } from '../filters.js';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { parsePolicy } from '../policy.js';
import type { InstanceProfile, ProfileAssociation, Role } from '../world.js';
import { requireInstance } from './ec2-instances.js';

function roleView(role: Role): IAM.Role {
  return {
    Path: '/',
    RoleName: role.name,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createdAt,
    AssumeRolePolicyDocument: encodeURIComponent(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: role.trust.accounts.map((a) => `arn:aws:iam::${a}:root`) },
            Action: 'sts:AssumeRole',
            ...(role.trust.externalId
              ? { Condition: { StringEquals: { 'sts:ExternalId': role.trust.externalId } } }
              : {}),
          },
        ],
      }),
    ),
    MaxSessionDuration: 3600,
  };
}

function requireRole(ctx: CallContext, name: string | undefined): Role {
  const role = name ? ctx.world.account(ctx.caller.account).roles.get(name) : undefined;
  if (!role) ctx.fail('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return role!;
}

/** Finds an instance profile of the caller's account by ARN or name, failing as EC2 does. */
function profileFor(
  ctx: CallContext,
  spec: EC2.IamInstanceProfileSpecification | undefined,
): InstanceProfile {
  const profiles = ctx.world.account(ctx.caller.account).instanceProfiles;
  const profile = spec?.Arn
    ? [...profiles.values()].find((p) => p.arn === spec.Arn)
    : spec?.Name
      ? profiles.get(spec.Name)
      : undefined;
  if (!profile)
    ctx.fail(
      'InvalidParameterValue',
      `Value (${spec?.Arn ?? spec?.Name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
    );
  return profile!;
}

function associationView(a: ProfileAssociation): EC2.IamInstanceProfileAssociation {
  return {
    AssociationId: a.associationId,
    InstanceId: a.instanceId,
    IamInstanceProfile: { Arn: a.profileArn, Id: a.profileId },
    State: a.state,
  };
}

function associate(ctx: CallContext, instanceId: string, profile: InstanceProfile): ProfileAssociation {
  const association: ProfileAssociation = {
    associationId: ctx.world.id('iip-assoc'),
    instanceId,
    profileArn: profile.arn,
    profileId: profile.profileId,
    state: 'associated',
  };
  ctx.here.associations.set(association.associationId, association);
  return association;
}

function requireAssociation(ctx: CallContext, id: string | undefined): ProfileAssociation {
  const association = id ? ctx.here.associations.get(id) : undefined;
  if (association?.state !== 'associated')
    ctx.fail('InvalidAssociationID.NotFound', `An association with ID ${id} does not exist.`);
  return association!;
}

export const iamHandlers: HandlerTable = {
  GetRoleCommand: handler<IAM.GetRoleCommandInput, IAM.GetRoleCommandOutput>((ctx, input) => ({
    Role: roleView(requireRole(ctx, input.RoleName)),
  })),

  GetInstanceProfileCommand: handler<IAM.GetInstanceProfileCommandInput, IAM.GetInstanceProfileCommandOutput>(
    (ctx, input) => {
      const account = ctx.world.account(ctx.caller.account);
      const profile = input.InstanceProfileName
        ? account.instanceProfiles.get(input.InstanceProfileName)
        : undefined;
      if (!profile)
        ctx.fail('NoSuchEntity', `Instance Profile ${input.InstanceProfileName} cannot be found.`, 404);
      return {
        InstanceProfile: {
          Path: '/',
          InstanceProfileName: profile!.name,
          InstanceProfileId: profile!.profileId,
          Arn: profile!.arn,
          CreateDate: profile!.createdAt,
          Roles: profile!.roleNames
            .map((name) => account.roles.get(name))
            .filter((r) => r !== undefined)
            .map(roleView),
        },
      };
    },
  ),

  PutRolePolicyCommand: handler<IAM.PutRolePolicyCommandInput, IAM.PutRolePolicyCommandOutput>(
    (ctx, input) => {
      const role = requireRole(ctx, input.RoleName);
      if (!input.PolicyName || !/^[\w+=,.@-]{1,128}$/.test(input.PolicyName))
        ctx.fail('ValidationError', 'The specified value for policyName is invalid.');
      const parsed = parsePolicy(input.PolicyDocument ?? '');
      if (typeof parsed === 'string') ctx.fail('MalformedPolicyDocument', parsed);
      role.inlinePolicies[input.PolicyName!] = input.PolicyDocument!;
      return {};
    },
  ),

  DeleteRolePolicyCommand: handler<IAM.DeleteRolePolicyCommandInput, IAM.DeleteRolePolicyCommandOutput>(
    (ctx, input) => {
      const role = requireRole(ctx, input.RoleName);
      if (!input.PolicyName || !(input.PolicyName in role.inlinePolicies))
        ctx.fail('NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`, 404);
      delete role.inlinePolicies[input.PolicyName!];
      return {};
    },
  ),

  GetRolePolicyCommand: handler<IAM.GetRolePolicyCommandInput, IAM.GetRolePolicyCommandOutput>(
    (ctx, input) => {
      const role = requireRole(ctx, input.RoleName);
      const document = input.PolicyName ? role.inlinePolicies[input.PolicyName] : undefined;
      if (document === undefined)
        ctx.fail('NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`, 404);
      return {
        RoleName: role.name,
        PolicyName: input.PolicyName!,
        PolicyDocument: encodeURIComponent(document!),
      };
    },
  ),

  ListRolePoliciesCommand: handler<IAM.ListRolePoliciesCommandInput, IAM.ListRolePoliciesCommandOutput>(
    (ctx, input) => ({
      PolicyNames: Object.keys(requireRole(ctx, input.RoleName).inlinePolicies),
      IsTruncated: false,
    }),
  ),
};

export const ec2ProfileHandlers: HandlerTable = {
  DescribeIamInstanceProfileAssociationsCommand: handler<
    EC2.DescribeIamInstanceProfileAssociationsCommandInput,
    EC2.DescribeIamInstanceProfileAssociationsCommandOutput
  >((ctx, input) => {
    const found = byIds(
      ctx,
      ctx.here.associations,
      input.AssociationIds,
      (id) => ['InvalidAssociationID.NotFound', `An association with ID ${id} does not exist.`],
      (a) => a.state === 'associated',
    );
    const associations = applyFilters(ctx, found, input.Filters, {
      'instance-id': (a) => a.instanceId,
      state: (a) => a.state,
    });
    return { IamInstanceProfileAssociations: associations.map(associationView) };
  }),

  AssociateIamInstanceProfileCommand: handler<
    EC2.AssociateIamInstanceProfileCommandInput,
    EC2.AssociateIamInstanceProfileCommandOutput
  >((ctx, input) => {
    const instance = requireInstance(ctx, input.InstanceId);
    const profile = profileFor(ctx, input.IamInstanceProfile);
    if (
      [...ctx.here.associations.values()].some(
        (a) => a.instanceId === instance.instanceId && a.state === 'associated',
      )
    )
      ctx.fail('IncorrectState', `There is an existing association for instance ${instance.instanceId}`);
    return { IamInstanceProfileAssociation: associationView(associate(ctx, instance.instanceId, profile)) };
  }),

  ReplaceIamInstanceProfileAssociationCommand: handler<
    EC2.ReplaceIamInstanceProfileAssociationCommandInput,
    EC2.ReplaceIamInstanceProfileAssociationCommandOutput
  >((ctx, input) => {
    const current = requireAssociation(ctx, input.AssociationId);
    requireInstance(ctx, current.instanceId);
    const profile = profileFor(ctx, input.IamInstanceProfile);
    current.state = 'disassociated';
    return { IamInstanceProfileAssociation: associationView(associate(ctx, current.instanceId, profile)) };
  }),

  DisassociateIamInstanceProfileCommand: handler<
    EC2.DisassociateIamInstanceProfileCommandInput,
    EC2.DisassociateIamInstanceProfileCommandOutput
  >((ctx, input) => {
    const current = requireAssociation(ctx, input.AssociationId);
    current.state = 'disassociated';
    return { IamInstanceProfileAssociation: { ...associationView(current), State: 'disassociating' } };
  }),
};

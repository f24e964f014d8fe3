import {
  AssociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  ReplaceIamInstanceProfileAssociationCommand,
} from '@aws-sdk/client-ec2';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { recordSessionsRevoked, requireCase } from '../../bot/core/case-store.js';
import { type MemberClients, member } from '../aws/member.js';
import { forensicsSettings } from '../settings.js';
import { defineStep, scopeOf, TargetInput } from './step.js';

/** Inline policy name on the original role that revokes its older sessions. */
export const REVOKE_POLICY_NAME = 'ForensicsBot-RevokeOlderSessions';

/**
 * Takes the instance's AWS permissions away. `quarantine`: the SSM-only quarantine profile, while
 * memory is acquired; `deny-all`: the deny-all profile. The first call also revokes the original role's
 * sessions issued before now (an inline deny on `aws:TokenIssueTime`), so credentials already stolen
 * from the instance metadata stop working; sessions the role's other holders get afterwards work.
 */
export const restrictIam = defineStep({
  name: 'restrictIam',
  label: 'Instance permissions restricted',
  input: TargetInput.extend({ mode: z.enum(['quarantine', 'deny-all']) }),
  async run(input) {
    const clients = member(scopeOf(input));
    const settings = forensicsSettings();
    const profile = input.mode === 'quarantine' ? settings.QUARANTINE_PROFILE : settings.DENY_ALL_PROFILE;
    await useProfile(clients, input.instanceId, profile);
    const record = await requireCase(input.caseId);
    const config = record.originalConfig;
    const already = record.sessionsRevokedAt;
    let revoked: string[] = [];
    if (!already && config?.instanceProfile?.roles.length) {
      const now = new Date().toISOString();
      revoked = await revokeOlderSessions(clients, config.instanceProfile.roles, now);
      await recordSessionsRevoked(input.caseId, now, revoked);
    }
    return { profile, revoked, originalProfile: config?.instanceProfile?.name ?? null };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `instance profile ${out.profile}${out.originalProfile ? ` (was ${out.originalProfile})` : ''}${out.revoked.length ? `; older sessions of ${out.revoked.join(', ')} revoked` : ''}`,
  }),
});

/** Replaces (or associates) the instance profile; does nothing when it is already the one wanted. */
export async function useProfile(
  clients: MemberClients,
  instanceId: string,
  profileName: string,
): Promise<void> {
  const ec2 = clients.ec2();
  const out = await ec2.send(
    new DescribeIamInstanceProfileAssociationsCommand({
      Filters: [{ Name: 'instance-id', Values: [instanceId] }],
    }),
  );
  const current = (out.IamInstanceProfileAssociations ?? []).find(
    (a) => a.InstanceId === instanceId && (a.State === 'associated' || a.State === 'associating'),
  );
  if (current?.IamInstanceProfile?.Arn?.endsWith(`/${profileName}`)) return;
  if (current?.AssociationId) {
    await ec2.send(
      new ReplaceIamInstanceProfileAssociationCommand({
        AssociationId: current.AssociationId,
        IamInstanceProfile: { Name: profileName },
      }),
    );
  } else {
    await ec2.send(
      new AssociateIamInstanceProfileCommand({
        InstanceId: instanceId,
        IamInstanceProfile: { Name: profileName },
      }),
    );
  }
}

/** The inline deny that revokes sessions issued before `before` (the IAM console's "revoke sessions"). */
export function revokePolicy(before: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ForensicsBotRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before } },
      },
    ],
  };
}

async function revokeOlderSessions(
  clients: MemberClients,
  roles: string[],
  before: string,
): Promise<string[]> {
  await Promise.all(
    roles.map((RoleName) =>
      clients.iam().send(
        new PutRolePolicyCommand({
          RoleName,
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: JSON.stringify(revokePolicy(before)),
        }),
      ),
    ),
  );
  return roles;
}

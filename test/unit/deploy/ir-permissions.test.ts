import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { irPermissions, MEMBER_COMMANDS } from '../../../deploy/constructs/ir-permissions.js';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

const statements = (): Statement[] => {
  const stack = new Stack();
  return irPermissions({
    account: '333333333333',
    forensicsAccount: '222222222222',
    snapshotKeyArns: ['arn:aws:kms:*:222222222222:key/*'],
  }).map((s) => stack.resolve(s.toStatementJson()) as Statement);
};
const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
const allowed = () =>
  new Set(
    statements()
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => list(s.Action)),
  );

describe('Function: irPermissions', () => {
  it('allows every member-account call the workflow steps make', () => {
    // Prepare
    const actions = allowed();

    // Assess
    for (const [service, commands] of Object.entries(MEMBER_COMMANDS)) {
      for (const command of commands)
        expect(actions, `${service}:${command}`).toContain(`${service}:${command}`);
    }
  });

  it('allows nothing beyond those calls and what they need underneath (PassRole, KMS through EC2)', () => {
    // Prepare
    const expected = new Set(
      Object.entries(MEMBER_COMMANDS).flatMap(([s, cs]) => cs.map((c) => `${s}:${c}`)),
    );
    const underneath = new Set([
      'iam:PassRole',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:CreateGrant',
    ]);

    // Assess
    for (const action of allowed()) expect(expected.has(action) || underneath.has(action), action).toBe(true);
    for (const action of allowed()) expect(action).not.toContain('*');
  });

  it('changes rules only on security groups the bot created', () => {
    // Prepare
    const rules = statements().find((s) => list(s.Action).includes('ec2:RevokeSecurityGroupEgress'))!;
    const create = statements().find(
      (s) =>
        list(s.Action).includes('ec2:CreateSecurityGroup') && String(s.Resource).includes('security-group'),
    )!;

    // Assess
    expect(rules.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/managed-by': 'forensics-bot' } });
    expect(create.Condition).toEqual({ StringEquals: { 'aws:RequestTag/managed-by': 'forensics-bot' } });
  });

  it('shares snapshots with the forensics account only and runs only the capture document', () => {
    // Prepare
    const share = statements().find((s) => list(s.Action).includes('ec2:ModifySnapshotAttribute'))!;
    const send = statements().find((s) => list(s.Action).includes('ssm:SendCommand'))!;

    // Assess
    expect(share.Condition).toEqual({ StringEquals: { 'ec2:Add/userId': '222222222222' } });
    expect(list(send.Resource).filter((r) => r.includes(':document/'))).toEqual([
      'arn:aws:ssm:*:333333333333:document/ForensicsBot-CaptureMemory',
    ]);
  });

  it('never lets the role rewrite its own or the organization roles, and passes roles to EC2 only', () => {
    // Prepare
    const deny = statements().find((s) => s.Effect === 'Deny')!;
    const pass = statements().find((s) => list(s.Action).includes('iam:PassRole'))!;

    // Assess
    expect(list(deny.Action)).toEqual(['iam:PutRolePolicy', 'iam:DeleteRolePolicy']);
    expect(deny.Resource).toContain('arn:aws:iam::333333333333:role/IRAutomation');
    expect(deny.Resource).toContain('arn:aws:iam::333333333333:role/OrganizationAccountAccessRole');
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  });

  it('uses KMS keys only through EC2', () => {
    // Prepare
    const kms = statements().filter((s) =>
      list(s.Action).some((a) => a.startsWith('kms:') && a !== 'kms:DescribeKey'),
    );

    // Assess
    expect(kms.length).toBeGreaterThan(0);
    for (const s of kms)
      expect(s.Condition).toEqual({ StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } });
  });
});

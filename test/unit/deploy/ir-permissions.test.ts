import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../deploy/bundling.js';
import { INSTANCE_TAG_KEYS, irPermissions, MANAGED_TAG } from '../../../deploy/constructs/ir-permissions.js';
import { NAMES } from '../../../deploy/names.js';
import { CASE_TAG, STATUS_TAG } from '../../../workflows/steps/instance.js';
import { actionsIn, sdkCalls } from './sdk-calls.js';

type Statement = {
  Sid?: string;
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
const source = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

describe('Function: irPermissions', () => {
  it('allows exactly the member-account calls of the workflow steps and what AWS checks underneath', () => {
    // Prepare: every `new XxxCommand(` the steps send through member credentials, read from the source
    const used = actionsIn('member');

    // Act
    const granted = allowed();

    // Assess: nothing missing, nothing extra
    expect(used.size).toBeGreaterThan(30);
    expect([...granted].sort()).toEqual([...used].sort());
    for (const action of granted) expect(action).not.toContain('*');
  });

  it('finds the member calls by their client, not only by their name', () => {
    // Prepare
    const calls = sdkCalls();
    const accountsOf = (action: string) =>
      [...new Set(calls.filter((c) => c.action === action).flatMap((c) => c.accounts))].sort();

    // Assess: the snapshot copy into the forensics account and the manifest upload are not member calls
    expect(accountsOf('ec2:CopySnapshot')).toEqual(['forensics', 'member']);
    expect(accountsOf('s3:PutObject')).toEqual(['security']);
    expect(accountsOf('sts:AssumeRole')).toEqual(['security']);
    expect(actionsIn('member').has('s3:PutObject')).toBe(false);
  });

  it('changes rules only on security groups the bot created, with the tag the steps give them', () => {
    // Prepare
    const rules = statements().find((s) => list(s.Action).includes('ec2:RevokeSecurityGroupEgress'))!;
    const create = statements().find(
      (s) =>
        list(s.Action).includes('ec2:CreateSecurityGroup') && String(s.Resource).includes('security-group'),
    )!;

    // Assess
    expect(rules.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/managed-by': 'forensics-bot' } });
    expect(create.Condition).toEqual({ StringEquals: { 'aws:RequestTag/managed-by': 'forensics-bot' } });
    expect(source('workflows/steps/security-groups.ts')).toContain(
      `{ Key: '${MANAGED_TAG.key}', Value: '${MANAGED_TAG.value}' }`,
    );
  });

  it('tags instances only with the two keys the steps write', () => {
    // Prepare
    const tagging = statements().filter((s) => list(s.Action).includes('ec2:CreateTags'));
    const onInstances = tagging.find((s) => list(s.Resource).some((r) => r.includes(':instance/')))!;

    // Assess
    expect([...INSTANCE_TAG_KEYS].sort()).toEqual([CASE_TAG, STATUS_TAG].sort());
    expect(onInstances.Condition).toEqual({
      'ForAllValues:StringEquals': { 'aws:TagKeys': INSTANCE_TAG_KEYS },
    });
    for (const s of tagging.filter((t) => t !== onInstances))
      expect(s.Condition).toHaveProperty(['StringEquals', 'ec2:CreateAction']);
  });

  it('shares and deletes only snapshots of a case, and shares them with the forensics account only', () => {
    // Prepare
    const share = statements().find((s) => list(s.Action).includes('ec2:ModifySnapshotAttribute'))!;
    const remove = statements().find((s) => list(s.Action).includes('ec2:DeleteSnapshot'))!;

    // Assess: the steps tag every snapshot they make with the case id, which the conditions require
    expect(NAMES.caseTag).toBe(CASE_TAG);
    expect(source('workflows/steps/disk-snapshots.ts')).toMatch(/\{ Key: CASE_TAG, Value: caseId \}/);
    expect(share.Condition).toEqual({
      StringEquals: { 'ec2:Add/userId': '222222222222' },
      Null: { 'aws:ResourceTag/ir-case-id': 'false' },
    });
    expect(remove.Condition).toMatchObject({ Null: { 'aws:ResourceTag/ir-case-id': 'false' } });
  });

  it('runs only the capture and live-triage documents', () => {
    // Prepare
    const send = statements().find((s) => list(s.Action).includes('ssm:SendCommand'))!;

    // Assess
    expect(list(send.Resource).filter((r) => r.includes(':document/'))).toEqual([
      'arn:aws:ssm:*:333333333333:document/ForensicsBot-CaptureMemory',
      'arn:aws:ssm:*:333333333333:document/ForensicsBot-LiveTriage',
    ]);
  });

  it('never lets the role rewrite or pass its own or the organization roles, and passes roles to EC2 instances only', () => {
    // Prepare
    const denies = statements().filter((s) => s.Effect === 'Deny');
    const denyOf = (action: string) => denies.find((s) => list(s.Action).includes(action))!;
    const pass = statements().find((s) => s.Effect !== 'Deny' && list(s.Action).includes('iam:PassRole'))!;

    // Assess
    for (const action of ['iam:PutRolePolicy', 'iam:PassRole']) {
      expect(list(denyOf(action).Action)).toEqual([action]);
      expect(denyOf(action).Resource).toContain('arn:aws:iam::333333333333:role/IRAutomation');
      expect(denyOf(action).Resource).toContain(
        'arn:aws:iam::333333333333:role/OrganizationAccountAccessRole',
      );
      expect(denyOf(action).Resource).toContain('arn:aws:iam::333333333333:role/aws-reserved/*');
    }
    // the bot's own quarantine and deny-all roles may be passed, never rewritten
    expect(denyOf('iam:PutRolePolicy').Resource).toContain('arn:aws:iam::333333333333:role/ForensicsBot-*');
    expect(denyOf('iam:PassRole').Resource).not.toContain('arn:aws:iam::333333333333:role/ForensicsBot-*');
    expect(pass.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
      StringLike: { 'iam:AssociatedResourceARN': 'arn:aws:ec2:*:333333333333:instance/*' },
    });
  });

  it('uses KMS keys only through EC2', () => {
    // Prepare
    const kms = statements().filter((s) => list(s.Action).some((a) => a.startsWith('kms:')));

    // Assess
    expect(kms.length).toBeGreaterThan(0);
    for (const s of kms)
      expect(s.Condition).toEqual({ StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } });
  });
});

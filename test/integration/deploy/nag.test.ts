import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { MULTI_ACCOUNT, SINGLE_ACCOUNT, stageFor, synth, WITH_AVML } from './synth.js';

/** Every cdk-nag acknowledgement in the tree: where, which finding, why (CDK's own are not ours). */
function acknowledgements(root: IConstruct) {
  const found: { path: string; id: string; reason: string; scope: IConstruct }[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, '');
        if (rule.startsWith('AwsSolutions-')) found.push({ path: c.node.path, id: rule, reason, scope: c });
      }
    }
  }
  return found;
}

describe('Function: AwsSolutionsChecks on the app', () => {
  for (const [mode, input] of [
    ['multi-account', MULTI_ACCOUNT],
    ['single-account', SINGLE_ACCOUNT],
    [
      'every option',
      {
        ...MULTI_ACCOUNT,
        limeModulePrefix: 's3://lime-modules/kernels',
        extraSnapshotKeyArns:
          'arn:aws:kms:eu-west-1:222222222222:alias/forensics-bot-snapshots,arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        guardDutyDirect: false,
        securityHubActions: false,
        alarmEmail: 'secops@example.com',
      },
    ],
  ] as const) {
    it(`reports no unacknowledged finding (${mode})`, () => {
      // Prepare
      const { app } = synth(input);

      // Act
      const report = new AwsSolutionsChecks().validateScope(app);

      // Assess
      const findings = report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`),
      );
      expect(findings).toEqual([]);
    });
  }

  it('reports no unacknowledged finding (AVML deployed into the tools bucket)', async () => {
    // Prepare: CDK's BucketDeployment brings its own handler, role and asset
    const { app, forensics } = synth(WITH_AVML, { tools: await stageFor(WITH_AVML) });
    forensics.resourceCountIs('Custom::CDKBucketDeployment', 1);

    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`),
    );
    expect(findings).toEqual([]);
  });

  it('acknowledges findings on the resources themselves, never on the app or a whole stack', () => {
    // Prepare
    const { app } = synth(MULTI_ACCOUNT);

    // Act
    const acks = acknowledgements(app);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.scope === app || Stack.isStack(ack.scope), ack.path).toBe(false);
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
    }
  });

  it('gives every acknowledgement a reason of its own', () => {
    // Prepare
    const acks = acknowledgements(synth(MULTI_ACCOUNT).app);

    // Assess
    for (const ack of acks) expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
    // IAM5 needs the full finding id: a bare one would silence every future wildcard of the resource
    expect(acks.filter((a) => a.id === 'AwsSolutions-IAM5' || a.id === 'AwsSolutions-IAM4')).toEqual([]);
  });

  it('still finds a wildcard nobody acknowledged', () => {
    // Prepare: a fresh app with one more wildcard on the steps role
    const { stacks } = synth({ ...MULTI_ACCOUNT, region: 'eu-west-1' });
    stacks.security.functions.steps.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeImages'],
        resources: ['*', 'arn:aws:ec2:*:*:image/*'],
      }),
    );

    // Act
    const report = new AwsSolutionsChecks().validateScope(stacks.security);

    // Assess
    expect(report.violations.map((v) => v.ruleName)).toContain(
      'AwsSolutions-IAM5[Resource::arn:aws:ec2:*:*:image/*]',
    );
  });
});

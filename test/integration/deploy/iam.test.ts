import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { bundleHandler, HANDLERS, REPO_ROOT } from '../../../deploy/bundling.js';
import { NAMES } from '../../../deploy/names.js';
import { actionsIn, STEP_SERVICES, sdkActionsOf } from '../../unit/deploy/sdk-calls.js';
import { asList, MULTI_ACCOUNT, resources, SINGLE_ACCOUNT, synth } from './synth.js';

type Json = Record<string, unknown>;
type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
};

/** The logical id of the role named `name` in a template. */
function roleId(template: Template, name: string): string {
  const found = resources(template, 'AWS::IAM::Role').find(
    ([, r]) => (r.Properties as Json).RoleName === name,
  );
  if (!found) throw new Error(`no role ${name}`);
  return found[0];
}

/** Every statement a role's identity policies hold: inline ones and the AWS::IAM::Policy resources naming it. */
function roleStatements(template: Template, name: string): Statement[] {
  const id = roleId(template, name);
  const role = resources(template).find(([logicalId]) => logicalId === id)![1];
  const inline = asList(
    (role.Properties as Json).Policies as { PolicyDocument: { Statement: Statement[] } }[],
  );
  const attached = resources(template, 'AWS::IAM::Policy')
    .map(([, r]) => r.Properties as { Roles: Json[]; PolicyDocument: { Statement: Statement[] } })
    .filter((p) => p.Roles.some((r) => r.Ref === id));
  return [...inline, ...attached].flatMap((p) => p.PolicyDocument.Statement);
}

const allowedActions = (statements: Statement[], services?: Set<string>) =>
  new Set(
    statements
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => asList(s.Action))
      .filter((a) => !services || services.has(a.split(':')[0]!)),
  );

describe('Function: buildForensicsBot (IAM against the calls the steps make)', () => {
  const { security, forensics } = synth(MULTI_ACCOUNT);

  it("gives the forensics account's snapshot receiver exactly what the steps send through it", () => {
    // Prepare: the calls made with `forensics(…)` clients, read from workflows/steps
    const used = actionsIn('forensics');

    // Act
    const granted = allowedActions(roleStatements(forensics, NAMES.snapshotReceiverRole));

    // Assess
    expect(used.has('ec2:CopySnapshot')).toBe(true);
    expect([...granted].sort()).toEqual([...used].sort());
  });

  it('gives the steps role exactly the workflow calls made with its own credentials (S3, STS, KMS)', () => {
    // Prepare: `own()` and `sts()` calls; the bot's table, secrets and Step Functions are granted apart
    const used = actionsIn('security');

    // Act
    const granted = allowedActions(roleStatements(security, NAMES.stepsRole), STEP_SERVICES);

    // Assess
    expect(used.has('sts:AssumeRole')).toBe(true);
    expect([...granted].sort()).toEqual([...used].sort());
  });

  it("gives each function's role no AWS API action its own bundle never calls", () => {
    for (const handler of HANDLERS) {
      // Prepare: the SDK commands in the first-party code that went into the bundle (esbuild metafile)
      const files = Object.keys(bundleHandler(handler).metafile.inputs)
        .filter((i) => /^(bot|handlers|workflows)\//.test(i))
        .map((i) => join(REPO_ROOT, i));
      const callable = new Set([
        ...sdkActionsOf(files),
        ...(handler === 'steps' ? actionsIn('security') : []),
      ]);
      // The outbox drainer is the Outbox construct's (deploy/constructs/outbox.ts), not BotFunctions'.
      const prefix = handler === 'outbox' ? 'outboxdrainerrole' : `bot${handler}role`;
      const role = resources(security, 'AWS::IAM::Role').find(([id]) => id.toLowerCase().startsWith(prefix))!;
      const statements = resources(security, 'AWS::IAM::Policy')
        .map(([, r]) => r.Properties as { Roles: Json[]; PolicyDocument: { Statement: Statement[] } })
        .filter((p) => p.Roles.some((r) => r.Ref === role[0]))
        .flatMap((p) => p.PolicyDocument.Statement);

      // Act: what the role allows beyond logs, traces, its table and its dead-letter queue
      const granted = [...allowedActions(statements)].filter((a) => !/^(logs|xray|dynamodb|sqs):/.test(a));

      // Assess
      expect(granted.length, handler).toBeGreaterThan(0);
      for (const action of granted) expect(callable, `${handler}: ${action}`).toContain(action);
    }
  });

  it('gives the Slack function exactly the GuardDuty calls Dismiss makes: its own detector, any region (issue 14, item 5)', () => {
    // Prepare
    const id = resources(security, 'AWS::IAM::Role').find(([logicalId]) =>
      logicalId.toLowerCase().startsWith('botslackrole'),
    )![0];
    const statements = resources(security, 'AWS::IAM::Policy')
      .map(([, r]) => r.Properties as { Roles: Json[]; PolicyDocument: { Statement: Statement[] } })
      .filter((p) => p.Roles.some((r) => r.Ref === id))
      .flatMap((p) => p.PolicyDocument.Statement);

    // Act
    const guardDuty = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('guardduty:')));

    // Assess
    expect([...allowedActions(guardDuty)].sort()).toEqual([
      'guardduty:ArchiveFindings',
      'guardduty:ListDetectors',
    ]);
    expect(
      guardDuty.filter((s) => asList(s.Action).includes('guardduty:ArchiveFindings')).map((s) => s.Resource),
    ).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':guardduty:*:111111111111:detector/*']] },
    ]);
  });

  it('lets the quarantine profile write memory images under CASE-*/memory/ of the evidence buckets, with the key through S3 only', () => {
    // Prepare: the capture authenticates with the quarantine profile's own credentials (issue 15)
    const { member } = synth(MULTI_ACCOUNT);
    const role = roleStatements(member, NAMES.quarantineProfile);

    // Act: the statements on the evidence buckets (the LiME and tools reads are elsewhere)
    const evidence = role.filter((r) => JSON.stringify(r.Resource).includes('forensics-bot-evidence-'));
    const kms = role.filter((r) => asList(r.Action).some((a) => a.startsWith('kms:')));

    // Assess
    expect(evidence.flatMap((r) => asList(r.Action)).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:PutObject',
    ]);
    expect(JSON.stringify(evidence.map((r) => r.Resource))).toContain('/CASE-*/memory/*');
    expect(kms.length).toBeGreaterThan(0);
    for (const s of kms) expect(JSON.stringify(s.Condition)).toContain('kms:ViaService');
  });
});

describe('Function: buildForensicsBot (optional parameters reach IAM)', () => {
  it('lets the quarantine profile read LiME modules under the configured prefix only', () => {
    // Prepare
    const { member } = synth({ ...MULTI_ACCOUNT, limeModulePrefix: 's3://lime-modules/kernels' });
    const policies = resources(member, 'AWS::IAM::Policy').filter(([id]) => id.includes('LimeModules'));

    // Assess
    member.hasParameter('LimeModulePrefix', { Default: 's3://lime-modules/kernels' });
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0]!;
    expect(policy.Condition).toBe('ReadsLimeModules');
    const statement = (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument
      .Statement;
    expect(statement.map((s) => s.Action)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(statement[0]!.Resource)).toContain('{"Ref":"LimeModulePrefix"}');
    expect(JSON.stringify((policy.Properties as Json).Roles)).toContain('ProfilesQuarantineRole');
  });

  it("lets the quarantine profile read the tools bucket's avml/* (the pinned AVML builds) and no other object", () => {
    // Prepare
    const { member } = synth(MULTI_ACCOUNT);

    // Act
    const reads = roleStatements(member, NAMES.quarantineProfile).filter((s) => s.Sid === 'ReadCaptureTools');

    // Assess
    expect(reads).toEqual([
      {
        Sid: 'ReadCaptureTools',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':s3:::forensics-bot-tools-',
              { Ref: 'ForensicsAccountId' },
              '/avml/*',
            ],
          ],
        },
      },
    ]);
  });

  it("gives the steps role nothing on the forensics account's upload role, which is gone", () => {
    // Prepare
    const { security, forensics } = synth(MULTI_ACCOUNT);

    // Assess
    expect(JSON.stringify(security.toJSON())).not.toContain('EvidenceUpload');
    expect(JSON.stringify(forensics.toJSON())).not.toContain('EvidenceUpload');
  });

  it('hands the steps one snapshot key per region and lets the receiver use those keys only', () => {
    // Prepare
    const extra = [
      'arn:aws:kms:eu-west-1:222222222222:alias/forensics-bot-snapshots',
      'arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ];
    const { security, forensics } = synth({ ...MULTI_ACCOUNT, extraSnapshotKeyArns: extra.join(',') });
    const steps = resources(security, 'AWS::Lambda::Function').find(([id]) => id.startsWith('BotSteps'))![1];
    const env = ((steps.Properties as Json).Environment as { Variables: Json }).Variables;
    const receiver = roleStatements(forensics, NAMES.snapshotReceiverRole).filter((s) =>
      asList(s.Action).includes('kms:ReEncryptTo'),
    );

    // Assess
    expect(String(env.SNAPSHOT_KMS_KEY_ARN).split(',')).toEqual([
      'arn:aws:kms:us-east-1:222222222222:alias/forensics-bot-snapshots',
      ...extra,
    ]);
    const text = JSON.stringify(receiver);
    expect(text).toContain(extra[1]);
    expect(text).toContain('"kms:ResourceAliases":"alias/forensics-bot-snapshots"');
    expect(text).toContain('arn:aws:kms:eu-west-1:222222222222:key/*');
  });

  it('keeps single-account IAM inside the one account', () => {
    // Prepare
    const { security } = synth(SINGLE_ACCOUNT);
    const assume = roleStatements(security, NAMES.stepsRole).filter((s) =>
      asList(s.Action).includes('sts:AssumeRole'),
    );

    // Assess
    for (const s of assume)
      for (const r of asList(s.Resource as string[])) expect(r).toMatch(/^arn:aws:iam::333333333333:role\//);
  });
});

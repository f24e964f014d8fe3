import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { NAMES } from '../../../deploy/names.js';
import { EXAMINE_PARAMETERS } from '../../../workflows/examine-parameters.js';
import { WORKER_NAMES } from '../../../workflows/worker-names.js';
import { actionsIn } from '../../unit/deploy/sdk-calls.js';
import { asList, MULTI_ACCOUNT, resources, synth } from './synth.js';

type Json = Record<string, unknown>;
const props = (r: Json) => r.Properties as Json;
const PINNED = {
  ...MULTI_ACCOUNT,
  workerParentImage: 'ami-0123456789abcdef0',
  workerVolatility3Version: '2.26.0',
  workerVolatility3Sha256: 'a'.repeat(64),
  workerDwarf2jsonVersion: '0.8.0',
  workerDwarf2jsonSha256: 'b'.repeat(64),
};
const component = (template: ReturnType<typeof synth>['forensics'], name: string) =>
  String(
    props(resources(template, 'AWS::ImageBuilder::Component').find(([, r]) => props(r).Name === name)![1])
      .Data,
  );

describe('Function: buildForensicsBot (forensic AMI pipeline, issue 12 item 4)', () => {
  it('builds the worker AMI from the configured Debian 12 parent with the examination packages, the engine and its rules', () => {
    // Prepare
    const { forensics } = synth(PINNED);

    // Assess
    forensics.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', {
      ParentImage: 'ami-0123456789abcdef0',
      AdditionalInstanceConfiguration: { SystemsManagerAgent: { UninstallAfterBuild: false } },
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
    });
    const tools = component(forensics, 'forensics-bot-tools');
    for (const pkg of ['sleuthkit', 'yara', 'dc3dd', 'ewf-tools', 'nodejs']) expect(tools).toContain(pkg);
    const engine = component(forensics, 'forensics-bot-engine');
    expect(engine).toContain('S3Download');
    expect(engine).toMatch(/[0-9a-f]{64} {2}\/tmp\/forensics-bot-worker\.tgz\\" \| sha256sum -c -/);
    forensics.hasResourceProperties('AWS::ImageBuilder::ImagePipeline', {
      ImageTestsConfiguration: { ImageTestsEnabled: true, TimeoutMinutes: 60 },
      Schedule: Match.objectLike({ PipelineExecutionStartCondition: 'EXPRESSION_MATCH_ONLY' }),
    });
    forensics.hasResourceProperties('AWS::ImageBuilder::DistributionConfiguration', {
      Distributions: [
        Match.objectLike({
          AmiDistributionConfiguration: Match.objectLike({
            AmiTags: Match.objectLike({ 'forensics-bot:ami': 'examine-worker' }),
          }),
          SsmParameterConfigurations: [
            { ParameterName: NAMES.workerAmiParameter, DataType: 'aws:ec2:image' },
          ],
        }),
      ],
    });
    const rules = Object.keys((forensics.toJSON() as { Rules?: Json }).Rules ?? {});
    expect(rules.filter((k) => k.includes('WorkerParentImage'))).toEqual([]);
  });

  it('installs volatility3 and dwarf2json only as pinned, checking each download against its SHA-256', () => {
    // Prepare
    const pinned = component(synth(PINNED).forensics, 'forensics-bot-volatility');
    const unpinned = component(synth(MULTI_ACCOUNT).forensics, 'forensics-bot-volatility');

    // Assess
    expect(pinned).toContain('volatility3==2.26.0');
    expect(pinned).toContain(`${'a'.repeat(64)}  `);
    expect(pinned).toContain('dwarf2json/releases/download/v0.8.0/dwarf2json-linux-amd64');
    expect(pinned).toContain(`${'b'.repeat(64)}  /tmp/dwarf2json`);
    expect(unpinned).not.toContain('pip download');
    expect(unpinned).not.toContain('curl');
    expect(unpinned).toContain('volatility3: not pinned');
    expect(unpinned).toContain('dwarf2json: not pinned');
    Annotations.fromStack(synth(MULTI_ACCOUNT).stacks.forensics).hasWarning(
      '*',
      Match.stringLikeRegexp('workerVolatility3Version/workerVolatility3Sha256 not set'),
    );
  });

  it('fails the deploy naming workerParentImage when it is not set (the synth stays offline)', () => {
    // Prepare
    const template = synth(MULTI_ACCOUNT).forensics.toJSON() as {
      Rules: Record<string, { Assertions: { AssertDescription: string }[] }>;
      Parameters: Record<string, Json>;
    };

    // Assess
    const rule = Object.entries(template.Rules).find(([id]) => id.includes('WorkerParentImageSet'))![1];
    expect(rule.Assertions[0]!.AssertDescription).toMatch(/^workerParentImage is not set/);
    expect(Object.keys(template.Parameters).some((p) => p.includes('WorkerParentImage'))).toBe(true);
  });

  it('builds in a maintenance VPC of its own whose group lets only HTTP and HTTPS out and nothing in', () => {
    // Prepare
    const { forensics } = synth(MULTI_ACCOUNT);
    const infrastructure = props(
      resources(forensics, 'AWS::ImageBuilder::InfrastructureConfiguration')[0]![1],
    );
    const groupId = (asList(infrastructure.SecurityGroupIds)[0] as { 'Fn::GetAtt': string[] })[
      'Fn::GetAtt'
    ][0]!;
    const group = props(resources(forensics).find(([id]) => id === groupId)![1]);

    // Assess
    expect(infrastructure.TerminateInstanceOnFailure).toBe(true);
    expect(infrastructure.InstanceMetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
    });
    expect(JSON.stringify(infrastructure.SubnetId)).toContain('ForensicAmiMaintenanceVpc');
    expect(group.SecurityGroupIngress).toBeUndefined();
    expect(
      asList(group.SecurityGroupEgress as Json[])
        .map((e) => e.FromPort)
        .sort(),
    ).toEqual([443, 80]);
  });
});

describe('Function: buildForensicsBot (forensic worker, issue 12 item 4)', () => {
  const { forensics } = synth(MULTI_ACCOUNT);
  const launcher = props(
    resources(forensics, 'AWS::IAM::Role').find(
      ([, r]) => props(r).RoleName === NAMES.examineLauncherRole,
    )![1],
  );
  const statements = (launcher.Policies as { PolicyDocument: { Statement: Json[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;

  it('gives the launcher exactly what the worker steps send through it', () => {
    // Prepare: the calls made with `examiner(…)` clients (workflows/steps/examine-worker.ts), and the two
    // the shared Run Command poll makes with them (workflows/steps/ssm-command.ts, which the scan reads as
    // the member account's)
    const used = new Set([...actionsIn('examiner'), 'ssm:GetCommandInvocation', 'ssm:CancelCommand']);

    // Act
    const granted = new Set(statements.flatMap((s) => asList(s.Action as string[])));

    // Assess
    expect(used.has('ec2:RunInstances')).toBe(true);
    expect([...granted].sort()).toEqual([...used].sort());
  });

  it('lets only the steps role assume the launcher, with the ExternalId and inside the organization', () => {
    // Assess
    const trust = (launcher.AssumeRolePolicyDocument as { Statement: Json[] }).Statement;
    expect(trust).toEqual([
      expect.objectContaining({
        Principal: { AWS: 'arn:aws:iam::111111111111:role/ForensicsBot-Steps' },
        Condition: {
          StringEquals: {
            'sts:ExternalId': 'forensics-bot-test-external-id',
            'aws:PrincipalOrgID': 'o-exampleorg1',
          },
        },
      }),
    ]);
  });

  it('creates worker roles only under their path and only with the worker boundary', () => {
    // Assess
    const create = bySid('CaseRoleOnlyUnderTheBoundary');
    expect(create.Action).toEqual(['iam:CreateRole', 'iam:PutRolePolicy']);
    expect(JSON.stringify(create.Resource)).toContain(`:role${WORKER_NAMES.rolePath}*`);
    expect(JSON.stringify(create.Condition)).toContain('iam:PermissionsBoundary');
    expect(bySid('PassCaseRoleToEc2').Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    });
    for (const s of statements) {
      expect(asList(s.Action as string[])).not.toContain('iam:DeleteRolePermissionsBoundary');
      expect(asList(s.Action as string[])).not.toContain('iam:AttachRolePolicy');
    }
  });

  it('bounds every worker to reading case objects and writing their examination prefix', () => {
    // Prepare
    const boundary = props(
      resources(forensics, 'AWS::IAM::ManagedPolicy').find(
        ([, r]) => props(r).ManagedPolicyName === WORKER_NAMES.boundaryPolicy,
      )![1],
    );
    const s = (boundary.PolicyDocument as { Statement: Json[] }).Statement;

    // Assess
    const sids = Object.fromEntries(s.map((x) => [x.Sid, x]));
    expect(sids.ReadCaseEvidence!.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(JSON.stringify(sids.ReadCaseEvidence!.Resource)).toContain('/CASE-*');
    expect(sids.WriteExaminationOutputs!.Action).toEqual(['s3:PutObject', 's3:PutObjectRetention']);
    expect(JSON.stringify(sids.WriteExaminationOutputs!.Resource)).toContain('/CASE-*/examination/*');
    expect(
      s.flatMap((x) => asList(x.Action as string[])).filter((a) => /^(iam:|ec2:|s3:Delete)/.test(a)),
    ).toEqual([]);
  });

  it('launches only tagged workers from the pipeline AMIs into the analysis VPC, and terminates and commands only those', () => {
    // Assess
    expect(bySid('LaunchFromForensicAmi').Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/forensics-bot:ami': 'examine-worker' },
    });
    expect(JSON.stringify(bySid('LaunchIntoAnalysisSubnets').Condition)).toContain('AnalysisVpc');
    expect(bySid('LaunchTaggedWorkers').Condition).toEqual({
      StringEquals: { 'aws:RequestTag/forensics-bot:role': 'examine-worker' },
    });
    expect(bySid('TerminateWorkersOnly').Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/forensics-bot:role': 'examine-worker' },
    });
    expect(bySid('ExamineOnWorkersOnly').Condition).toEqual({
      StringEquals: { 'ssm:resourceTag/forensics-bot:role': 'examine-worker' },
    });
    expect(JSON.stringify(bySid('ExamineDocument').Resource)).toContain(`document/${NAMES.examineDocument}`);
  });

  it('gives the worker group no inbound rule and HTTPS out only', () => {
    // Prepare
    const group = resources(forensics, 'AWS::EC2::SecurityGroup')
      .map(([, r]) => props(r))
      .find((g) => String(g.GroupDescription).startsWith('forensics-bot: forensic workers'))!;

    // Assess
    expect(group.SecurityGroupIngress).toBeUndefined();
    expect(group.SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
  });

  it('declares the examine document with every parameter the steps send, each with its pattern', () => {
    // Prepare
    const doc = props(
      resources(forensics, 'AWS::SSM::Document').find(([, r]) => props(r).Name === NAMES.examineDocument)![1],
    );
    const parameters = (doc.Content as { parameters: Record<string, Json> }).parameters;

    // Assess
    expect(Object.keys(parameters).sort()).toEqual(Object.keys(EXAMINE_PARAMETERS).sort());
    for (const [name, p] of Object.entries(parameters)) {
      expect(p.allowedPattern, name).toBe(EXAMINE_PARAMETERS[name]!.pattern);
      expect(p.interpolationType, name).toBe('ENV_VAR');
    }
  });

  it('alarms when an instance has run for longer than a worker may live', () => {
    // Assess
    forensics.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Usage',
      MetricName: 'ResourceCount',
      EvaluationPeriods: 7,
      DatapointsToAlarm: 7,
      Period: 3600,
      Statistic: 'Minimum',
      AlarmActions: Match.anyValue(),
    });
  });
});

import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { caseTableDefinition, TABLE_KEYS } from '../../../bot/core/table.js';
import { loadDefinitions } from '../../../deploy/asl.js';
import { NAMES } from '../../../deploy/names.js';
import {
  AVML,
  asList,
  MULTI_ACCOUNT,
  resources,
  SINGLE_ACCOUNT,
  stageFor,
  statements,
  synth,
  WITH_AVML,
} from './synth.js';

type Json = Record<string, unknown>;
const props = (r: Json) => r.Properties as Json;

describe('Function: buildForensicsBot (security stack)', () => {
  const { security } = synth(MULTI_ACCOUNT);

  it('runs one function per handler on Node 22, arm64, with tracing and a log group', () => {
    // Act
    const functions = resources(security, 'AWS::Lambda::Function').map(([, r]) => props(r));

    // Assess
    // slack, findings, progress, steps, and the outbox drainer
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Handler).toBe('index.handler');
      expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.LoggingConfig).toMatchObject({ LogFormat: 'JSON' });
    }
  });

  it('exposes only the Slack function through a Function URL, with reserved concurrency', () => {
    // Assess
    security.resourceCountIs('AWS::Lambda::Url', 1);
    security.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    const [[, url]] = resources(security, 'AWS::Lambda::Url') as [[string, Json]];
    const target = (props(url).TargetFunctionArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    expect(target).toMatch(/^BotSlackFunction/);
    const slack = resources(security, 'AWS::Lambda::Function').find(([id]) => id === target)!;
    expect(props(slack[1]).ReservedConcurrentExecutions).toBe(10);
  });

  it('names the Slack secrets by ARN and gives read access only', () => {
    // Prepare
    const slack = resources(security, 'AWS::Lambda::Function').find(([id]) => id.startsWith('BotSlack'))!;
    const env = (props(slack[1]).Environment as { Variables: Json }).Variables;

    // Assess
    expect(env.SLACK_BOT_TOKEN_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^SlackSecretsBotToken/) });
    expect(env.SLACK_SIGNING_SECRET_SECRET_ARN).toEqual({
      Ref: expect.stringMatching(/^SlackSecretsSigningSecret/),
    });
    expect(env).not.toHaveProperty('SLACK_BOT_TOKEN');
    expect(env).not.toHaveProperty('SLACK_SIGNING_SECRET');
    const secretActions = statements(security)
      .filter((s) => JSON.stringify(s.statement.Resource ?? '').includes('SlackSecrets'))
      .flatMap((s) => asList(s.statement.Action as string | string[]));
    expect(new Set(secretActions)).toEqual(new Set(['secretsmanager:GetSecretValue']));
  });

  it('mirrors caseTableDefinition: keys, index, TTL, point-in-time recovery and encryption', () => {
    // Prepare
    const definition = caseTableDefinition('x');

    // Assess
    security.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: definition.KeySchema,
      AttributeDefinitions: Match.arrayWith(definition.AttributeDefinitions!),
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'gsi1', KeySchema: definition.GlobalSecondaryIndexes![0]!.KeySchema }),
      ],
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('sends GuardDuty findings at or above the threshold, and archived ones at any severity, to the findings function', () => {
    // Assess
    security.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: {
          $or: [
            { severity: [{ numeric: ['>=', 7] }], service: { archived: [false] } },
            { service: { archived: [true] } },
          ],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BotFindings'), 'Arn'] } })],
    });
  });

  it('sends NEW (or NOTIFIED, which the bot sets), active Security Hub findings of HIGH or CRITICAL severity, and closed ones at any severity', () => {
    // Assess
    security.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.securityhub'],
        'detail-type': ['Security Hub Findings - Imported'],
        detail: {
          findings: {
            $or: [
              {
                Severity: { Label: ['HIGH', 'CRITICAL'] },
                Workflow: { Status: ['NEW', 'NOTIFIED'] },
                RecordState: ['ACTIVE'],
              },
              { Workflow: { Status: ['RESOLVED', 'SUPPRESSED'] } },
              { RecordState: ['ARCHIVED'] },
            ],
          },
        },
      },
    });
  });

  it('sends new Security Hub (OCSF) findings of High, Critical or Fatal severity, and closed ones, to the findings function', () => {
    // Assess
    security.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.securityhub'],
        'detail-type': ['Findings Imported V2'],
        detail: {
          findings: {
            $or: [{ severity_id: [4, 5, 6], status_id: [1] }, { status_id: [3, 4, 5] }, { activity_id: [3] }],
          },
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BotFindings'), 'Arn'] } })],
    });
  });

  it('creates the Analyze and Contain custom actions and listens to those two only', () => {
    // Assess
    security.hasResourceProperties('AWS::SecurityHub::ActionTarget', { Id: 'ForensicsAnalyze' });
    security.hasResourceProperties('AWS::SecurityHub::ActionTarget', { Id: 'ForensicsContain' });
    security.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['Security Hub Findings - Custom Action'],
        resources: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('AnalyzeAction'), 'ActionTargetArn'] },
          { 'Fn::GetAtt': [Match.stringLikeRegexp('ContainAction'), 'ActionTargetArn'] },
        ],
      },
    });
  });

  it('listens to SecurityIncidentStatus changes to Analyze or Contain on EC2 instances only', () => {
    // Assess
    security.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.tag'],
        'detail-type': ['Tag Change on Resource'],
        detail: {
          'changed-tag-keys': ['SecurityIncidentStatus'],
          service: ['ec2'],
          'resource-type': ['instance'],
          tags: { SecurityIncidentStatus: ['Analyze', 'Contain'] },
        },
      },
    });
  });

  it('lets only the organization put events on the default bus', () => {
    // Assess
    security.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      Statement: Match.objectLike({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
      }),
    });
  });

  it('retries undeliverable events into encrypted, TLS-only dead-letter queues that alarm', () => {
    // Prepare
    const queues = resources(security, 'AWS::SQS::Queue');
    const queuePolicies = resources(security, 'AWS::SQS::QueuePolicy').map(([, r]) => JSON.stringify(r));
    const alarms = resources(security, 'AWS::CloudWatch::Alarm').map(([, r]) => props(r));

    // Assess
    expect(queues.length).toBeGreaterThanOrEqual(2);
    for (const [id, queue] of queues) {
      expect(props(queue).SqsManagedSseEnabled).toBe(true);
      expect(queuePolicies.some((p) => p.includes(id) && p.includes('"aws:SecureTransport":"false"'))).toBe(
        true,
      );
      expect(alarms.some((a) => JSON.stringify(a.Dimensions ?? '').includes(id))).toBe(true);
    }
    for (const [, rule] of resources(security, 'AWS::Events::Rule')) {
      for (const target of props(rule).Targets as Json[]) expect(target.DeadLetterConfig).toBeDefined();
    }
  });

  it('alarms on errors of every function', () => {
    // Prepare
    const alarms = resources(security, 'AWS::CloudWatch::Alarm').map(([, r]) => props(r));

    // Assess
    for (const [id] of resources(security, 'AWS::Lambda::Function')) {
      expect(alarms.some((a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(id))).toBe(
        true,
      );
    }
  });

  it('gives the steps function the fixed role name the other accounts trust', () => {
    // Assess
    security.hasResourceProperties('AWS::IAM::Role', { RoleName: NAMES.stepsRole });
  });

  it('lets the steps role assume IRAutomation only inside the organization', () => {
    // Prepare
    const assume = statements(security).filter((s) =>
      asList(s.statement.Action as string[]).includes('sts:AssumeRole'),
    );

    // Assess
    const member = assume.find((s) =>
      String(JSON.stringify(s.statement.Resource)).includes(':role/IRAutomation'),
    )!;
    expect(member.statement.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-exampleorg1' } });
  });
});

describe('Function: buildForensicsBot (state machines)', () => {
  const { security } = synth(MULTI_ACCOUNT);
  const definitions = loadDefinitions();
  const machines = resources(security, 'AWS::StepFunctions::StateMachine').map(([, r]) => props(r));

  it('deploys every definition in workflows/definitions, inline', () => {
    // Assess
    expect(definitions.length).toBeGreaterThan(0);
    expect(machines.map((m) => m.StateMachineName).sort()).toEqual(
      definitions.map((d) => `ForensicsBot-${d.pascal}`).sort(),
    );
    for (const m of machines) expect(m).not.toHaveProperty('DefinitionS3Location');
  });

  it('leaves no placeholder unresolved: every one has its substitution', () => {
    // Assess
    for (const m of machines) {
      const text = m.DefinitionString as string;
      const substitutions = Object.keys(m.DefinitionSubstitutions as Json);
      const used = [...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((x) => x[1]);
      expect(
        used.filter((u) => !substitutions.includes(u!)),
        String(m.StateMachineName),
      ).toEqual([]);
    }
  });

  it('lets each state machine invoke the steps function and start its children, nothing more', () => {
    // Prepare
    const roleOf = (m: Json) => (m.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string;
    const policies = resources(security, 'AWS::IAM::Policy');
    const known = new Set([
      'lambda:InvokeFunction',
      'states:StartExecution',
      'states:DescribeExecution',
      'states:StopExecution',
      'events:PutTargets',
      'events:PutRule',
      'events:DescribeRule',
    ]);
    // what Step Functions itself needs for logs and X-Ray ("*" only for these)
    const service =
      /^(logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets))$/;

    for (const m of machines) {
      const role = roleOf(m);
      const own = policies.filter(([, p]) =>
        JSON.stringify((props(p).Roles as unknown[]) ?? []).includes(role),
      );
      const stmts = own.flatMap(([, p]) => (props(p).PolicyDocument as { Statement: Json[] }).Statement);
      for (const st of stmts) {
        for (const action of asList(st.Action as string[])) {
          if (st.Resource === '*') expect(action, `${m.StateMachineName} ${action}`).toMatch(service);
          else expect(known.has(action), `${m.StateMachineName} ${action}`).toBe(true);
        }
      }
      const invoke = stmts.filter((st) => asList(st.Action as string[]).includes('lambda:InvokeFunction'));
      expect(invoke).toHaveLength(1);
      expect(JSON.stringify(invoke[0]!.Resource)).toMatch(/^\{"Fn::GetAtt":\["BotStepsFunction/);
      const children = Object.keys(m.DefinitionSubstitutions as Json).filter((k) =>
        k.endsWith('StateMachineArn'),
      );
      const start = stmts.filter((st) => asList(st.Action as string[]).includes('states:StartExecution'));
      expect(start.flatMap((st) => asList(st.Resource as unknown[])).length).toBe(children.length);
    }
  });

  it('lets only the Slack function approve; the steps may only fail an expired approval', () => {
    // Prepare
    const holders = (action: string) =>
      statements(security).filter((s) => asList(s.statement.Action as string[]).includes(action));

    // Assess
    expect(holders('states:SendTaskSuccess').map((s) => s.logicalId)).toEqual([
      expect.stringMatching(/^BotSlackRole/),
    ]);
    expect(
      holders('states:SendTaskFailure')
        .map((s) => s.logicalId)
        .sort(),
    ).toEqual([expect.stringMatching(/^BotSlackRole/), expect.stringMatching(/^BotStepsRole/)]);
    for (const s of holders('states:SendTaskFailure')) {
      expect(JSON.stringify(s.statement.Resource)).toContain('stateMachine:ForensicsBot-Case');
    }
  });

  it('follows status changes of its own state machines only', () => {
    // Assess
    security.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: Match.arrayWith([
            {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':states:us-east-1:111111111111:stateMachine:ForensicsBot-Case',
                ],
              ],
            },
          ]),
          status: Match.anyValue(),
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BotProgress'), 'Arn'] } })],
    });
  });
});

describe('Function: buildForensicsBot (forensics stack)', () => {
  const { forensics } = synth(MULTI_ACCOUNT);

  it('keeps evidence under Object Lock, versioned, encrypted with its own key, private', () => {
    // Assess
    forensics.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'forensics-bot-evidence-222222222222-us-east-1',
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }),
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }] }),
        ]),
      },
    });
  });

  it('refuses plain HTTP on every bucket', () => {
    // Prepare
    const buckets = resources(forensics, 'AWS::S3::Bucket').map(([id]) => id);
    const policies = resources(forensics, 'AWS::S3::BucketPolicy').map(([, r]) => JSON.stringify(r));

    // Assess: evidence, its access logs, tools
    expect(buckets).toHaveLength(3);
    for (const id of buckets) {
      expect(
        policies.some((p) => p.includes(`"Ref":"${id}"`) && p.includes('"aws:SecureTransport":"false"')),
      ).toBe(true);
    }
  });

  it('rotates both keys and lets member IRAutomation roles use the snapshot key only through EC2', () => {
    // Prepare
    const keys = resources(forensics, 'AWS::KMS::Key').map(([, r]) => props(r));
    const snapshotKey = statements(forensics).find(
      (s) => s.statement.Sid === 'MemberIRAutomationCopiesSnapshots',
    )!;

    // Assess
    expect(keys.every((k) => k.EnableKeyRotation === true)).toBe(true);
    expect(snapshotKey.statement.Condition).toEqual({
      StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' },
      ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/IRAutomation' },
      StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' },
    });
  });

  it('lets the security account steps role assume the snapshot role, and nobody else', () => {
    // Prepare
    const roles = resources(forensics, 'AWS::IAM::Role')
      .map(([, r]) => props(r))
      .filter((r) => typeof r.RoleName === 'string' && r.RoleName.startsWith('ForensicsBot-'));

    // Assess: the memory upload role is gone (the quarantine profile uploads with its own credentials);
    // the steps assume the snapshot receiver and, for the forensic workers (issue 12, item 4), the launcher
    expect(roles.map((r) => r.RoleName).sort()).toEqual(
      [NAMES.examineLauncherRole, NAMES.snapshotReceiverRole].sort(),
    );
    for (const role of roles) {
      const trust = (role.AssumeRolePolicyDocument as { Statement: Json[] }).Statement;
      expect(trust).toHaveLength(1);
      expect(trust[0]!.Principal).toEqual({ AWS: 'arn:aws:iam::111111111111:role/ForensicsBot-Steps' });
      expect(trust[0]!.Condition).toEqual({
        StringEquals: {
          'sts:ExternalId': 'forensics-bot-test-external-id',
          'aws:PrincipalOrgID': 'o-exampleorg1',
        },
      });
    }
  });

  it('builds the analysis VPC without any route out, with SSM and S3 endpoints', () => {
    // Prepare
    const endpoints = resources(forensics, 'AWS::EC2::VPCEndpoint').map(([, r]) =>
      JSON.stringify(props(r).ServiceName),
    );

    // The forensics stack has a second VPC since issue 12 (item 4): the AMI pipeline's maintenance VPC, whose
    // builds need a way out. What is held is the analysis VPC's: no gateway of any kind, no route out.
    const analysisVpc = resources(forensics, 'AWS::EC2::VPC').find(([id]) => id.startsWith('Analysis'))![0];
    const inAnalysisVpc = (r: Json) =>
      JSON.stringify(props(r).VpcId) === JSON.stringify({ Ref: analysisVpc });
    const analysisTables = new Set(
      resources(forensics, 'AWS::EC2::RouteTable')
        .filter(([, r]) => inAnalysisVpc(r))
        .map(([id]) => id),
    );

    // Assess
    expect(
      resources(forensics, 'AWS::EC2::VPCGatewayAttachment').filter(([, r]) => inAnalysisVpc(r)),
    ).toEqual([]);
    forensics.resourceCountIs('AWS::EC2::NatGateway', 0);
    forensics.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 0);
    expect(analysisTables.size).toBeGreaterThan(0);
    for (const [, route] of resources(forensics, 'AWS::EC2::Route')) {
      if (!analysisTables.has((props(route).RouteTableId as { Ref: string }).Ref)) continue;
      expect(props(route).GatewayId ?? props(route).NatGatewayId).toBeUndefined();
    }
    for (const service of ['.ssm', '.ssmmessages', '.ec2messages', '.s3']) {
      expect(endpoints.some((e) => e.includes(service))).toBe(true);
    }
    const flowLogged = resources(forensics, 'AWS::EC2::FlowLog').map(([, r]) =>
      JSON.stringify(props(r).ResourceId),
    );
    expect(flowLogged).toContain(JSON.stringify({ Ref: analysisVpc }));
  });
});

describe('Function: buildForensicsBot (tools bucket)', () => {
  const QUARANTINE_ROLES = {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/ForensicsBot-Quarantine']],
  };
  const { forensics } = synth(MULTI_ACCOUNT);
  const toolsBucket = () =>
    resources(forensics, 'AWS::S3::Bucket').find(
      ([, r]) => props(r).BucketName === 'forensics-bot-tools-222222222222',
    )!;
  const policyOf = (template: typeof forensics, bucketId: string) =>
    resources(template, 'AWS::S3::BucketPolicy')
      .map(([, r]) => props(r))
      .filter((p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: bucketId }))
      .flatMap((p) => (p.PolicyDocument as { Statement: Json[] }).Statement);

  it('keeps the AVML builds in a private, TLS-only, versioned, SSE-S3 bucket with access logs', () => {
    // Assess
    expect(props(toolsBucket()[1])).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: expect.anything(), LogFilePrefix: 'tools/' },
    });
    expect(toolsBucket()[1].DeletionPolicy).toBe('Retain');
  });

  it("lets exactly the organization's quarantine roles read avml/*, and nobody anything else", () => {
    // Prepare
    const [id] = toolsBucket();

    // Act
    const policy = policyOf(forensics, id);

    // Assess: TLS only, and one grant
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/avml/*']] };
    expect(policy).toEqual([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      {
        Sid: 'QuarantineProfilesReadAvml',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 's3:GetObject',
        Resource: objects,
        Condition: {
          ArnLike: { 'aws:PrincipalArn': QUARANTINE_ROLES },
          StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' },
        },
      },
    ]);
  });

  it('admits only the account’s own quarantine role in single-account mode', () => {
    // Prepare
    const single = synth(SINGLE_ACCOUNT).forensics;
    const [id] = resources(single, 'AWS::S3::Bucket').find(
      ([, r]) => props(r).BucketName === 'forensics-bot-tools-333333333333',
    )!;

    // Act
    const grant = policyOf(single, id).find((s) => s.Sid === 'QuarantineProfilesReadAvml')!;

    // Assess
    expect(grant.Condition).toEqual({
      ArnLike: { 'aws:PrincipalArn': QUARANTINE_ROLES },
      StringEquals: { 'aws:PrincipalAccount': '333333333333' },
    });
  });

  it('deploys nothing without AVML, and warns with the commands that put the builds there', () => {
    // Prepare
    const { stacks } = synth(MULTI_ACCOUNT);

    // Assess
    forensics.resourceCountIs('Custom::CDKBucketDeployment', 0);
    const warnings = Annotations.fromStack(stacks.forensics).findWarning(
      '/ForensicsBot-Forensics/Tools',
      Match.stringLikeRegexp('memory capture fails'),
    );
    expect(warnings).toHaveLength(1);
    const message = String(warnings[0]!.entry.data);
    expect(message).toContain(
      'aws s3 cp avml-x86_64 s3://forensics-bot-tools-222222222222/avml/avml-x86_64 && aws s3 cp avml-aarch64 s3://forensics-bot-tools-222222222222/avml/avml-aarch64',
    );
    expect(message).toContain('avmlSha256X86_64 and avmlSha256Aarch64');
  });

  it('deploys the staged, pinned builds under avml/ and keeps builds put there by hand', async () => {
    // Prepare
    const tools = await stageFor(WITH_AVML);

    // Act
    const { forensics: template, stacks } = synth(WITH_AVML, { tools });

    // Assess
    const [id] = resources(template, 'AWS::S3::Bucket').find(
      ([, r]) => props(r).BucketName === 'forensics-bot-tools-222222222222',
    )!;
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: id },
      DestinationBucketKeyPrefix: 'avml/',
      Prune: false,
      UserMetadata: { 'avml-version': '0.14.0' },
    });
    expect(tools!.files.map((f) => [f.fileName, f.sha256])).toEqual([
      ['avml-x86_64', AVML.x86_64.sha256],
      ['avml-aarch64', AVML.aarch64.sha256],
    ]);
    expect(
      Annotations.fromStack(stacks.forensics).findWarning(
        '*',
        Match.stringLikeRegexp('memory capture fails'),
      ),
    ).toEqual([]);
  });

  it('refuses to build with a configured AVML source that was not staged', () => {
    // Act / Assess
    expect(() => synth(WITH_AVML)).toThrow(/avml-x86_64 is configured \(.*\) but not staged/);
  });
});

describe('Function: buildForensicsBot (member stack)', () => {
  const { member } = synth(MULTI_ACCOUNT);
  const irRole = () =>
    resources(member, 'AWS::IAM::Role')
      .map(([, r]) => r)
      .find((r) => props(r).RoleName === NAMES.irRole)!;

  it('trusts only the steps role, with the ExternalId and inside the organization', () => {
    // Prepare
    const trust = (props(irRole()).AssumeRolePolicyDocument as { Statement: Json[] }).Statement;

    // Assess
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: {
          'sts:ExternalId': { Ref: 'ExternalId' },
          'aws:PrincipalOrgID': { Ref: 'OrganizationId' },
        },
      },
    });
    expect(JSON.stringify(trust[0]!.Principal)).toContain(':role/ForensicsBot-Steps');
    expect(JSON.stringify(trust[0]!.Principal)).toContain('{"Ref":"SecurityAccountId"}');
  });

  it('hard-codes no account: every account id comes from a parameter', () => {
    // Prepare
    const template = member.toJSON() as { Resources: Json; Outputs?: Json; Conditions?: Json };
    const text = JSON.stringify({ r: template.Resources, o: template.Outputs, c: template.Conditions });

    // Assess
    expect(text).not.toMatch(/\d{12}/);
    member.hasParameter('SecurityAccountId', { Default: '111111111111' });
    member.hasParameter('ExternalId', { NoEcho: true });
  });

  it('deploys as a StackSet into accounts never bootstrapped for CDK, from a template small enough to pass inline', () => {
    // Prepare
    const template = member.toJSON() as { Parameters: Json; Rules?: Json; Resources: Json };

    // Assess: no bootstrap version check, no asset to publish first
    expect(template.Parameters).not.toHaveProperty('BootstrapVersion');
    expect(template.Rules ?? {}).toEqual({});
    expect(JSON.stringify(template.Resources)).not.toContain('cdk-hnb659fds');
    // `aws cloudformation create-stack-set --template-body` takes at most 51,200 bytes (as cdk.out writes it)
    expect(Buffer.byteLength(JSON.stringify(template, undefined, 1))).toBeLessThan(51_200);
  });

  it('creates IAM only in the home region (StackSet instances elsewhere skip it)', () => {
    // Assess
    for (const type of ['AWS::IAM::Role', 'AWS::IAM::InstanceProfile', 'AWS::IAM::Policy']) {
      for (const [, r] of resources(member, type))
        expect(['IsHomeRegion', 'ForwardsTags', 'ReadsLimeModules']).toContain(r.Condition);
    }
    expect(irRole().Condition).toBe('IsHomeRegion');
    // the LiME read permission is a policy on the quarantine role: home region only, like the role
    const conditions = (member.toJSON() as { Conditions: Json }).Conditions;
    expect(JSON.stringify(conditions.ReadsLimeModules)).toContain('{"Condition":"IsHomeRegion"}');
  });

  it('offers the deny-all and the SSM-only quarantine instance profiles', () => {
    // Prepare
    const roles = resources(member, 'AWS::IAM::Role').map(([, r]) => props(r));
    const denyAll = roles.find((r) => r.RoleName === NAMES.denyAllProfile)!;
    const quarantine = roles.find((r) => r.RoleName === NAMES.quarantineProfile)!;
    const actionsOf = (role: Json) =>
      (role.Policies as { PolicyDocument: { Statement: Json[] } }[]).flatMap((p) =>
        p.PolicyDocument.Statement.flatMap((s) => asList(s.Action as string[])),
      );

    // Assess
    member.hasResourceProperties('AWS::IAM::InstanceProfile', {
      InstanceProfileName: 'ForensicsBot-DenyAll',
    });
    member.hasResourceProperties('AWS::IAM::InstanceProfile', {
      InstanceProfileName: 'ForensicsBot-Quarantine',
    });
    expect(JSON.stringify(denyAll.Policies)).toContain('"Effect":"Deny"');
    expect(actionsOf(quarantine).every((a) => /^(ssm|ssmmessages|ec2messages):/.test(a))).toBe(true);
  });

  it('ships the memory-capture script as the ForensicsBot-CaptureMemory command document', () => {
    // Assess
    member.hasResourceProperties('AWS::SSM::Document', {
      Name: 'ForensicsBot-CaptureMemory',
      DocumentType: 'Command',
      Content: Match.objectLike({
        schemaVersion: '2.2',
        parameters: Match.objectLike({
          CaseId: Match.objectLike({
            allowedPattern: Match.stringLikeRegexp('CASE'),
            interpolationType: 'ENV_VAR',
          }),
          KmsKeyId: Match.objectLike({ interpolationType: 'ENV_VAR' }),
          ToolsUri: Match.objectLike({ interpolationType: 'ENV_VAR' }),
          AvmlSha256: Match.objectLike({ allowedPattern: '^[0-9a-f]{64}$' }),
        }),
        mainSteps: [Match.objectLike({ action: 'aws:runShellScript' })],
      }),
    });
  });

  it('declares no credential parameter, and ships the script without its comment lines', () => {
    // Assess
    const [document] = Object.values(
      member.findResources('AWS::SSM::Document', { Properties: { Name: 'ForensicsBot-CaptureMemory' } }),
    ) as {
      Properties: { Content: { parameters: object; mainSteps: { inputs: { runCommand: string[] } }[] } };
    }[];
    expect(Object.keys(document!.Properties.Content.parameters).join(' ')).not.toMatch(
      /Secret|Token|AccessKey/,
    );
    const lines = document!.Properties.Content.mainSteps[0]!.inputs.runCommand;
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines.slice(1).filter((l) => /^\s*#/.test(l))).toEqual([]);
    expect(lines.join('\n')).toContain('finish_upload');
  });

  it('ships live-triage.sh as the ForensicsBot-LiveTriage command document in a stack of its own, without its comment lines', () => {
    // Assess: the member template has no room for it (51,200 bytes inline)
    const { memberTriage } = synth(MULTI_ACCOUNT);
    member.resourcePropertiesCountIs('AWS::SSM::Document', { Name: 'ForensicsBot-LiveTriage' }, 0);
    const template = memberTriage.toJSON() as { Parameters?: Json; Rules?: Json; Resources: Json };
    expect(Object.keys(template.Parameters ?? {})).toEqual([]);
    expect(template.Rules ?? {}).toEqual({});
    expect(Buffer.byteLength(JSON.stringify(template, undefined, 1))).toBeLessThan(51_200);
    const [document] = Object.values(
      memberTriage.findResources('AWS::SSM::Document', { Properties: { Name: 'ForensicsBot-LiveTriage' } }),
    ) as {
      Properties: {
        DocumentType: string;
        Content: { parameters: Record<string, object>; mainSteps: { inputs: { runCommand: string[] } }[] };
      };
    }[];
    expect(document!.Properties.DocumentType).toBe('Command');
    expect(Object.keys(document!.Properties.Content.parameters).sort()).toEqual([
      'Bucket',
      'CaseId',
      'InstanceProfile',
      'Key',
      'KmsKeyId',
      'Region',
    ]);
    const lines = document!.Properties.Content.mainSteps[0]!.inputs.runCommand;
    expect(lines.slice(1).filter((l) => /^\s*#/.test(l))).toEqual([]);
    expect(lines.join('\n')).toContain('collect_processes');
  });

  it('forwards SecurityIncidentStatus changes to the security account bus', () => {
    // Assess
    member.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.tag'],
        detail: Match.objectLike({ 'changed-tag-keys': ['SecurityIncidentStatus'] }),
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::Join': ['', Match.arrayWith([Match.objectLike({ Ref: 'SecurityAccountId' })])] },
          RoleArn: Match.anyValue(),
        }),
      ],
    });
  });
});

describe('Function: buildForensicsBot (every template)', () => {
  const all = [synth(MULTI_ACCOUNT), synth(SINGLE_ACCOUNT)].flatMap((s) => [
    s.security,
    s.forensics,
    s.member,
  ]);

  it('never allows a "*" principal without a condition', () => {
    // Act
    const open = all.flatMap((t) =>
      statements(t).filter(({ statement }) => {
        const principal = JSON.stringify(statement.Principal ?? '');
        const star = principal === '"*"' || principal.includes('"AWS":"*"');
        return statement.Effect === 'Allow' && star && !statement.Condition;
      }),
    );
    const lambdaOpen = all.flatMap((t) =>
      resources(t, 'AWS::Lambda::Permission').filter(
        ([, r]) =>
          props(r).Principal === '*' && !props(r).FunctionUrlAuthType && !props(r).InvokedViaFunctionUrl,
      ),
    );

    // Assess
    expect(open).toEqual([]);
    expect(lambdaOpen).toEqual([]);
  });
});

describe('Function: buildForensicsBot (single-account mode)', () => {
  const { stacks, forensics, security, member } = synth(SINGLE_ACCOUNT);

  it('deploys the three stacks into one account', () => {
    // Assess
    expect(stacks.security.account).toBe('333333333333');
    expect(stacks.forensics.account).toBe('333333333333');
    member.hasParameter('SecurityAccountId', { Default: '333333333333' });
    member.hasParameter('ForensicsAccountId', { Default: '333333333333' });
  });

  it('needs no organization: no bus policy, and key access tied to the account IRAutomation role', () => {
    // Prepare
    const snapshotKey = statements(forensics).find(
      (s) => s.statement.Sid === 'MemberIRAutomationCopiesSnapshots',
    )!;

    // Assess
    security.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    expect(member.toJSON().Parameters).not.toHaveProperty('OrganizationId');
    expect(snapshotKey.statement.Condition).toMatchObject({
      ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::333333333333:role/IRAutomation' },
    });
  });
});

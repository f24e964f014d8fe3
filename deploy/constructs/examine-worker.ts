import { type CfnElement, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EXAMINE_PARAMETERS } from '../../workflows/examine-parameters.js';
import { WORKER_NAMES } from '../../workflows/worker-names.js';
import { NAMES } from '../names.js';
import { acknowledge } from '../nag.js';
import type { AlarmTopic } from './alarms.js';
import { ScriptDocument } from './capture-memory-document.js';
import { WORKER_AMI_TAG } from './forensic-ami.js';

export interface ExamineWorkerProps {
  readonly vpc: ec2.IVpc;
  readonly vpcCidr: string;
  readonly evidenceBucket: s3.IBucket;
  readonly evidenceKey: kms.IKey;
  readonly stepsRoleArn: string;
  readonly externalId: string;
  readonly organizationId?: string;
  readonly instanceType: string;
  readonly volumeGiB: number;
  readonly maxHours: number;
  readonly alarms: AlarmTopic;
}

/**
 * The forensic worker of a case (issue 12, item 4), what the steps need to run it in the analysis VPC:
 *
 * - `ForensicsBot-ExamineLauncher`, the role the steps assume here (ExternalId, organization): it creates the
 *   case's own worker role under `/forensics-bot/worker/` — only with the permissions boundary below, so no
 *   worker can ever do more than it — gives it the case's inline policy (read `CASE-…/*`, write
 *   `CASE-…/examination/*`), starts the worker from an AMI of the pipeline (tag `forensics-bot:ami`) into the
 *   analysis VPC's subnets with the worker group, tagged with its case, runs the `ForensicsBot-Examine`
 *   document on it, and terminates it and deletes its role;
 * - the boundary `forensics-bot-worker-boundary`: at most reading case objects, writing under a case's
 *   `examination/` prefix (locked, SSE-KMS with the evidence key) and the SSM agent's own calls;
 * - the worker group: no inbound rule; HTTPS out (the only destinations the VPC routes are its SSM interface
 *   endpoints and the S3 gateway endpoint: it has no route out);
 * - the launch settings as an SSM parameter the steps read (subnets, group, type, volume, lifetime);
 * - the lifetime alarm: the steps start every worker with `InstanceInitiatedShutdownBehavior=terminate` and
 *   a shutdown timer in its user data (the worker terminates itself after `maxHours` whatever the workflow
 *   does); this alarm, on the account's running On-Demand vCPUs, fires when some instance has run without a
 *   break for longer than that — no worker should, so a stuck one is never missed (overlapping cases can
 *   raise it too: look at the instances tagged `forensics-bot:role=examine-worker`).
 */
export class ExamineWorker extends Construct {
  readonly launcher: iam.Role;
  readonly boundary: iam.ManagedPolicy;
  readonly securityGroup: ec2.SecurityGroup;
  readonly document: ScriptDocument;
  readonly settings: ssm.StringParameter;
  readonly lifetimeAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ExamineWorkerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arn = (service: string, resource: string, region = stack.region) =>
      `arn:${stack.partition}:${service}:${region}:${stack.account}:${resource}`;
    // How cdk-nag writes a resource in its finding ids (literal account and region when the stack has them).
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const bucketId = stack.getLogicalId(props.evidenceBucket.node.defaultChild as CfnElement);
    const nag = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;
    const caseObjects = props.evidenceBucket.arnForObjects('CASE-*');
    const examinationObjects = props.evidenceBucket.arnForObjects('CASE-*/examination/*');

    this.securityGroup = new ec2.SecurityGroup(this, 'WorkerGroup', {
      vpc: props.vpc,
      description: 'forensics-bot: forensic workers, no inbound; HTTPS to the SSM and S3 endpoints only',
      allowAllOutbound: false,
    });
    // The S3 gateway endpoint's addresses are S3's public ranges (a prefix list looked up per region, which
    // would make the synth go online); the VPC routes nothing else out, so 443 anywhere reaches only the
    // endpoints.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to the VPC endpoints (no route out of the VPC)',
    );

    this.boundary = new iam.ManagedPolicy(this, 'Boundary', {
      managedPolicyName: WORKER_NAMES.boundaryPolicy,
      description: 'forensics-bot: the most a forensic worker role may ever do (its permissions boundary)',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadCaseEvidence',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [caseObjects],
        }),
        new iam.PolicyStatement({
          sid: 'WriteExaminationOutputs',
          actions: ['s3:PutObject', 's3:PutObjectRetention'],
          resources: [examinationObjects],
        }),
        new iam.PolicyStatement({
          sid: 'EvidenceKeyThroughS3',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.evidenceKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'SsmAgent',
          actions: [
            'ssm:UpdateInstanceInformation',
            'ssmmessages:CreateControlChannel',
            'ssmmessages:CreateDataChannel',
            'ssmmessages:OpenControlChannel',
            'ssmmessages:OpenDataChannel',
            'ec2messages:AcknowledgeMessage',
            'ec2messages:DeleteMessage',
            'ec2messages:FailMessage',
            'ec2messages:GetEndpoint',
            'ec2messages:GetMessages',
            'ec2messages:SendReply',
          ],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(this.boundary, {
      [nag(`<${bucketId}.Arn>/CASE-*`)]:
        'a boundary, not a grant: the most any worker role may read is case objects; each worker role its own inline policy narrows to its one case',
      [nag(`<${bucketId}.Arn>/CASE-*/examination/*`)]:
        "a boundary, not a grant: the most any worker may write is a case's examination prefix; each worker role narrows it to its own case",
      'AwsSolutions-IAM5[Resource::*]':
        'the SSM agent calls (ssm:UpdateInstanceInformation, ssmmessages, ec2messages) are authorized on the instance itself; AWS documents them with "*" (AmazonSSMManagedInstanceCore)',
    });

    this.document = new ScriptDocument(this, 'Document', {
      name: NAMES.examineDocument,
      file: /examine/i,
      parameters: EXAMINE_PARAMETERS,
      description:
        'forensics-bot: examine the case evidence on this forensic worker and upload the outputs, locked, beside it',
      stepName: 'examine',
      // the worker's own lifetime bounds it anyway
      timeoutSeconds: props.maxHours * 3600,
    });

    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds;
    this.settings = new ssm.StringParameter(this, 'Settings', {
      parameterName: WORKER_NAMES.settingsParameter,
      description: 'forensics-bot: where and how the steps launch a forensic worker (JSON)',
      stringValue: stack.toJsonString({
        subnetIds: subnets,
        securityGroupId: this.securityGroup.securityGroupId,
        instanceType: props.instanceType,
        volumeGiB: props.volumeGiB,
        maxHours: props.maxHours,
        boundaryArn: this.boundary.managedPolicyArn,
        kmsKeyId: props.evidenceKey.keyArn,
      }),
    });

    const orgCondition = props.organizationId ? { 'aws:PrincipalOrgID': props.organizationId } : {};
    const roles = `arn:${stack.partition}:iam::${stack.account}:role${WORKER_NAMES.rolePath}*`;
    const profiles = `arn:${stack.partition}:iam::${stack.account}:instance-profile${WORKER_NAMES.rolePath}*`;
    const workerTag = { [`aws:ResourceTag/${WORKER_NAMES.roleTag}`]: WORKER_NAMES.roleTagValue };
    this.launcher = new iam.Role(this, 'Launcher', {
      roleName: NAMES.examineLauncherRole,
      description: 'forensics-bot: starts, drives and terminates the forensic worker of a case',
      assumedBy: new iam.ArnPrincipal(props.stepsRoleArn).withConditions({
        StringEquals: { 'sts:ExternalId': props.externalId, ...orgCondition },
      }),
      inlinePolicies: {
        worker: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ReadLaunchSettings',
              actions: ['ssm:GetParameter'],
              resources: [
                arn('ssm', `parameter${WORKER_NAMES.settingsParameter}`),
                arn('ssm', `parameter${NAMES.workerAmiParameter}`),
              ],
            }),
            new iam.PolicyStatement({
              sid: 'CaseRoleOnlyUnderTheBoundary',
              actions: ['iam:CreateRole', 'iam:PutRolePolicy'],
              resources: [roles],
              conditions: { StringEquals: { 'iam:PermissionsBoundary': this.boundary.managedPolicyArn } },
            }),
            new iam.PolicyStatement({
              sid: 'CaseRoleCleanUp',
              actions: ['iam:DeleteRolePolicy', 'iam:DeleteRole'],
              resources: [roles],
            }),
            new iam.PolicyStatement({
              sid: 'CaseInstanceProfile',
              actions: [
                'iam:CreateInstanceProfile',
                'iam:AddRoleToInstanceProfile',
                'iam:RemoveRoleFromInstanceProfile',
                'iam:DeleteInstanceProfile',
              ],
              resources: [profiles],
            }),
            new iam.PolicyStatement({
              sid: 'PassCaseRoleToEc2',
              actions: ['iam:PassRole'],
              resources: [roles],
              conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
            }),
            new iam.PolicyStatement({
              sid: 'LaunchFromForensicAmi',
              actions: ['ec2:RunInstances'],
              resources: [`arn:${stack.partition}:ec2:${stack.region}::image/*`],
              conditions: {
                StringEquals: { [`aws:ResourceTag/${WORKER_AMI_TAG.key}`]: WORKER_AMI_TAG.value },
              },
            }),
            new iam.PolicyStatement({
              sid: 'LaunchIntoAnalysisSubnets',
              actions: ['ec2:RunInstances'],
              resources: [arn('ec2', 'subnet/*')],
              conditions: { StringEquals: { 'ec2:Vpc': arn('ec2', `vpc/${props.vpc.vpcId}`) } },
            }),
            new iam.PolicyStatement({
              sid: 'LaunchWithWorkerGroup',
              actions: ['ec2:RunInstances'],
              resources: [arn('ec2', `security-group/${this.securityGroup.securityGroupId}`)],
            }),
            new iam.PolicyStatement({
              sid: 'LaunchEncryptedVolumesAndInterfaces',
              actions: ['ec2:RunInstances'],
              resources: [arn('ec2', 'network-interface/*'), arn('ec2', 'volume/*')],
            }),
            new iam.PolicyStatement({
              sid: 'LaunchTaggedWorkers',
              actions: ['ec2:RunInstances'],
              resources: [arn('ec2', 'instance/*')],
              conditions: {
                StringEquals: { [`aws:RequestTag/${WORKER_NAMES.roleTag}`]: WORKER_NAMES.roleTagValue },
              },
            }),
            new iam.PolicyStatement({
              sid: 'TagOnLaunchOnly',
              actions: ['ec2:CreateTags'],
              resources: [
                arn('ec2', 'instance/*'),
                arn('ec2', 'volume/*'),
                arn('ec2', 'network-interface/*'),
              ],
              conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
            }),
            new iam.PolicyStatement({
              sid: 'TerminateWorkersOnly',
              actions: ['ec2:TerminateInstances'],
              resources: [arn('ec2', 'instance/*')],
              conditions: { StringEquals: workerTag },
            }),
            new iam.PolicyStatement({
              sid: 'ExamineOnWorkersOnly',
              actions: ['ssm:SendCommand'],
              resources: [arn('ec2', 'instance/*')],
              conditions: {
                StringEquals: {
                  [`ssm:resourceTag/${WORKER_NAMES.roleTag}`]: WORKER_NAMES.roleTagValue,
                },
              },
            }),
            new iam.PolicyStatement({
              sid: 'ExamineDocument',
              actions: ['ssm:SendCommand'],
              resources: [arn('ssm', `document/${NAMES.examineDocument}`)],
            }),
            new iam.PolicyStatement({
              sid: 'Describe',
              actions: ['ec2:DescribeInstances', 'ssm:DescribeInstanceInformation'],
              resources: ['*'],
            }),
            new iam.PolicyStatement({
              sid: 'FollowCommands',
              actions: ['ssm:GetCommandInvocation', 'ssm:CancelCommand'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    acknowledge(this.launcher, {
      'AwsSolutions-IAM5[Resource::*]':
        'ec2:DescribeInstances and ssm:DescribeInstanceInformation support no resource-level permissions; ssm:GetCommandInvocation and ssm:CancelCommand are used only on the command ids this role sent (SendCommand is limited to tagged workers and the examine document)',
      [nag(`arn:<AWS::Partition>:iam::${account}:role${WORKER_NAMES.rolePath}*`)]:
        "each case's worker role is created at run time under this path, only with the worker boundary (CreateRole and PutRolePolicy require it), and passed to EC2 only",
      [nag(`arn:<AWS::Partition>:iam::${account}:instance-profile${WORKER_NAMES.rolePath}*`)]:
        "each case's worker instance profile is created at run time under this path and deleted with its worker",
      [nag(`arn:<AWS::Partition>:ec2:${region}::image/*`)]:
        'the AMI id changes with every pipeline build; RunInstances is limited to images tagged forensics-bot:ami=examine-worker',
      [nag(`arn:<AWS::Partition>:ec2:${region}:${account}:subnet/*`)]:
        'subnets are limited to the analysis VPC (ec2:Vpc), which has no route out',
      [nag(`arn:<AWS::Partition>:ec2:${region}:${account}:network-interface/*`)]:
        'the interface and volumes a launch creates have no id before it',
      [nag(`arn:<AWS::Partition>:ec2:${region}:${account}:volume/*`)]:
        'the volumes a launch creates have no id before it; the AMI is encrypted, so are they',
      [nag(`arn:<AWS::Partition>:ec2:${region}:${account}:instance/*`)]:
        'workers are created at run time: launched only with the forensics-bot:role=examine-worker tag, terminated and sent commands only when they carry it',
    });

    // Minimum over each hour of the account's running On-Demand standard vCPUs: above 0 for every hour of
    // maxHours + 1 means no moment without a running instance for longer than a worker may live.
    const vcpus = new cloudwatch.Metric({
      namespace: 'AWS/Usage',
      metricName: 'ResourceCount',
      dimensionsMap: { Service: 'EC2', Type: 'Resource', Resource: 'vCPU', Class: 'Standard/OnDemand' },
      statistic: 'Minimum',
      period: Duration.hours(1),
    });
    this.lifetimeAlarm = vcpus.createAlarm(this, 'LifetimeAlarm', {
      alarmDescription: `forensics-bot: an instance has run in the forensics account for more than ${props.maxHours} h without a break; a forensic worker terminates itself by then (look at instances tagged ${WORKER_NAMES.roleTag}=${WORKER_NAMES.roleTagValue})`,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: props.maxHours + 1,
      datapointsToAlarm: props.maxHours + 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.lifetimeAlarm.addAlarmAction(props.alarms.action);
  }
}

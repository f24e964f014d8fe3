import { buildIdentity } from '../version.js';
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { autoResponseEnvironment, autoResponseWarnings } from '../../bot/intake/auto-response.js';
import type { DeployConfig } from '../config.js';
import { AVML_PREFIX, NAMES, evidenceBucketName, roleArn, toolsBucketName } from '../names.js';
import { acknowledge } from '../nag.js';
import { type AlarmTopic, DeadLetterQueue } from './alarms.js';
import { BotFunction } from './bot-function.js';
import { LIVE_TRIAGE } from './capture-memory-document.js';
import type { SlackSecrets } from './slack-secrets.js';

export interface BotFunctionsProps {
  readonly config: DeployConfig;
  readonly table: dynamodb.ITable;
  readonly secrets: SlackSecrets;
  readonly alarms: AlarmTopic;
  /** ARN of the case state machine (started by Slack clicks, slash commands and tag/custom-action intake). */
  readonly caseStateMachineArn: string;
  /** ARN of the release state machine, when there is one. */
  readonly releaseStateMachineArn?: string;
  /** The examine workflow: a close starts the clean-up of the case's forensic worker there. */
  readonly examineStateMachineArn?: string;
  /** State machines that wait for a task token the Slack function answers (approvals). */
  readonly approvalStateMachineArns: string[];
}

/**
 * The four Lambda functions and exactly what each may do:
 * - `slack` (Function URL, no IAM auth: Slack signs every request and Bolt verifies the signature;
 *   reserved concurrency): the table, the Slack secrets, StartExecution of the case/release workflows,
 *   the approval task answers, and BatchUpdateFindings (Dismiss).
 * - `findings` (EventBridge): the table, the Slack secrets, StartExecution of the case workflow (tag and
 *   custom-action requests), and BatchUpdateFindings on this account's Security Hub.
 * - `progress` (EventBridge): the table and the Slack secrets.
 * - `steps` (invoked by the state machines): the table, the Slack secrets, AssumeRole of the member
 *   `IRAutomation` roles and of the forensics account's snapshot role, the evidence bucket,
 *   and SendTaskFailure on the approval task (an approval that expired).
 */
export class BotFunctions extends Construct {
  readonly slack: BotFunction;
  readonly findings: BotFunction;
  readonly progress: BotFunction;
  readonly steps: BotFunction;
  readonly functionUrl: lambda.FunctionUrl;
  readonly findingsDeadLetterQueue: DeadLetterQueue;
  readonly progressDeadLetterQueue: DeadLetterQueue;
  /** What every function is told (table, Slack secrets, channels, approval timing), for the outbox drainer. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: BotFunctionsProps) {
    super(scope, id);
    const { config } = props;
    const forensicsAccount = config.forensicsAccount;
    const common: Record<string, string> = {
      CASE_TABLE: props.table.tableName,
      ...props.secrets.environment,
      ALERTS_CHANNEL: config.alertsChannel,
      COMMANDERS_CHANNEL: config.commandersChannel,
      RESPONDERS_GROUP: config.respondersGroup,
      COMMANDERS_GROUP: config.commandersGroup,
      CASE_STATE_MACHINE_ARN: props.caseStateMachineArn,
      ...(props.releaseStateMachineArn ? { RELEASE_STATE_MACHINE_ARN: props.releaseStateMachineArn } : {}),
      ...(props.examineStateMachineArn ? { EXAMINE_STATE_MACHINE_ARN: props.examineStateMachineArn } : {}),
      ...(config.defaultAccount ? { DEFAULT_ACCOUNT: config.defaultAccount } : {}),
      // one value for the approval card (Slack) and the workflow's reminder and expiry (steps)
      APPROVAL_REMIND_MINUTES: String(config.approvalRemindMinutes),
      APPROVAL_EXPIRE_MINUTES: String(config.approvalExpireMinutes),
      FOUR_EYES: String(config.fourEyes),
      CONTAIN_TAG_APPROVAL: config.containTagApproval ? 'required' : 'not-required',
      MIN_SEVERITY: config.alertsMinSeverity,
      ...(config.channelRoutes ? { CHANNEL_ROUTES: config.channelRoutes } : {}),
      // the ids of the Security Hub custom actions this stack creates (intake-rules.ts)
      ANALYZE_ACTION_ID: NAMES.analyzeAction,
      CONTAIN_ACTION_ID: NAMES.containAction,
      POWERTOOLS_SERVICE_NAME: 'forensics-bot',
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      LOG_LEVEL: config.logLevel,
    };
    this.environment = common;
    // findings acts on the rules, slack lists them (/forensics rules), both validate them at cold start;
    // only these two get them (up to 2 KB of Lambda's 4 KB; the steps' environment is the largest)
    const withRules: Record<string, string> = {
      ...common,
      AUTO_RESPONSE: autoResponseEnvironment(config.autoResponse),
      ...(config.allowUnattendedContainment ? { ALLOW_UNATTENDED_CONTAINMENT: 'true' } : {}),
    };
    // a rule that may match findings it can never act on is allowed, but the deployment should know
    for (const warning of autoResponseWarnings(config.autoResponse))
      Annotations.of(this).addWarningV2('forensics-bot:autoResponse', `autoResponse: ${warning}`);
    const alarms = props.alarms;

    this.slack = new BotFunction(this, 'Slack', {
      handler: 'slack',
      description: 'forensics-bot: Slack interactions and /forensics (Function URL)',
      environment: withRules,
      // Slack wants an answer within 3 s; a request that is not done in 10 s will not be seen anyway.
      timeout: Duration.seconds(10),
      memorySize: 1024,
      reservedConcurrency: config.slackConcurrency,
      alarms,
    });
    this.functionUrl = this.slack.function.addFunctionUrl({
      // Slack cannot sign with SigV4; every request carries Slack's signature, which Bolt verifies.
      authType: lambda.FunctionUrlAuthType.NONE,
    });

    this.findingsDeadLetterQueue = new DeadLetterQueue(this, 'FindingsDeadLetters', {
      purpose: 'a finding or case request',
      alarms,
    });
    this.findings = new BotFunction(this, 'Findings', {
      handler: 'findings',
      description: 'forensics-bot: GuardDuty / Security Hub findings and case requests -> Slack cards',
      environment: withRules,
      timeout: Duration.seconds(60),
      memorySize: 512,
      deadLetterQueue: this.findingsDeadLetterQueue.queue,
      alarms,
    });

    this.progressDeadLetterQueue = new DeadLetterQueue(this, 'ProgressDeadLetters', {
      purpose: 'a workflow status change',
      alarms,
    });
    this.progress = new BotFunction(this, 'Progress', {
      handler: 'progress',
      description: 'forensics-bot: workflow status changes -> case record, card and thread',
      environment: common,
      timeout: Duration.seconds(60),
      memorySize: 512,
      deadLetterQueue: this.progressDeadLetterQueue.queue,
      alarms,
    });

    const region = Stack.of(this).region;
    const identity = buildIdentity(this.node.tryGetContext('commit'));
    this.steps = new BotFunction(this, 'Steps', {
      handler: 'steps',
      description: 'forensics-bot: one workflow step (containment, acquisition, evidence)',
      roleName: NAMES.stepsRole,
      environment: {
        ...common,
        IR_ROLE_NAME: NAMES.irRole,
        IR_EXTERNAL_ID: config.externalId,
        EVIDENCE_BUCKET: evidenceBucketName(forensicsAccount, region),
        FORENSICS_ACCOUNT: forensicsAccount,
        // one key per region (workflows/settings.ts): the stack's own in the home region, then the team's
        SNAPSHOT_KMS_KEY_ARN: [
          `arn:aws:kms:${region}:${forensicsAccount}:${NAMES.snapshotKeyAlias}`,
          ...config.extraSnapshotKeyArns,
        ].join(','),
        FORENSICS_KMS_KEY_ARN: `arn:aws:kms:${region}:${forensicsAccount}:${NAMES.evidenceKeyAlias}`,
        FORENSICS_ROLE_ARN: roleArn(forensicsAccount, NAMES.snapshotReceiverRole),
        QUARANTINE_PROFILE: NAMES.quarantineProfile,
        DENY_ALL_PROFILE: NAMES.denyAllProfile,
        MEMORY_DOCUMENT: NAMES.captureMemoryDocument,
        // The live-triage document of the MemberTriage stack, and the command timeout it declares (the step
        // sends the same, so SSM's and the document's clocks agree).
        TRIAGE_DOCUMENT: LIVE_TRIAGE.name,
        TRIAGE_COMMAND_TIMEOUT_SECONDS: String(LIVE_TRIAGE.timeoutSeconds),
        ...(config.limeModulePrefix ? { LIME_MODULE_PREFIX: config.limeModulePrefix } : {}),
        // the pinned AVML builds (the forensics stack's tools bucket, home region) and their SHA-256
        TOOLS_URI: `s3://${toolsBucketName(forensicsAccount)}/${AVML_PREFIX}`,
        ...(config.avmlSha256X86_64 ? { AVML_SHA256_X86_64: config.avmlSha256X86_64 } : {}),
        ...(config.avmlSha256Aarch64 ? { AVML_SHA256_AARCH64: config.avmlSha256Aarch64 } : {}),
        // the manifest's tool identity: this package's version and the commit the stack was synthesized from
        // The examination runs on the case's forensic worker in the forensics account (issue 12, item 4),
        // never in this function (neither the tools nor the time); the launcher role is assumed there.
        EXAMINE_WORKER: 'ec2',
        EXAMINE_ROLE_ARN: roleArn(forensicsAccount, NAMES.examineLauncherRole),
        FORENSICS_BOT_VERSION: identity.version,
        FORENSICS_BOT_COMMIT: identity.commit,
      },
      // A step polls SSM or snapshots for a bounded time; the state machine loops for longer waits.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      alarms,
    });

    for (const fn of [this.slack, this.findings, this.progress, this.steps]) {
      this.grantTable(fn.role, props.table);
      props.secrets.grantRead(fn.role);
    }
    this.grantStepsRole(config, region);

    const startable = [
      props.caseStateMachineArn,
      props.releaseStateMachineArn,
      props.examineStateMachineArn,
    ].filter((a): a is string => !!a);
    this.slack.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: startable }),
    );
    // Closing a case stops its workflow (executions of the case state machine only).
    this.slack.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:StopExecution'],
        resources: [`${props.caseStateMachineArn.replace(':stateMachine:', ':execution:')}:*`],
      }),
    );
    const stack = Stack.of(this);
    const literal = (v: string, token: string) => (Token.isUnresolved(v) ? token : v);
    acknowledge(this.slack.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${literal(stack.region, '<AWS::Region>')}:${literal(stack.account, '<AWS::AccountId>')}:execution:${props.caseStateMachineArn.split(':').pop()}:*]`]:
        '/forensics close stops the case workflow; execution names are case ids chosen at run time, the state machine is fixed',
    });
    if (props.approvalStateMachineArns.length > 0) {
      this.slack.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: props.approvalStateMachineArns,
        }),
      );
    }
    this.findings.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.caseStateMachineArn] }),
    );
    // findings: workflow status NOTIFIED and a note with the card's link; slack: Dismiss suppresses
    const hub = `arn:${Stack.of(this).partition}:securityhub:${region}:${Stack.of(this).account}:hub/default`;
    for (const fn of [this.findings, this.slack]) {
      fn.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['securityhub:BatchUpdateFindings'], resources: [hub] }),
      );
    }
    // slack: Dismiss archives a GuardDuty-direct finding with the security account's own detector in the
    // finding's region (GuardDuty's delegated administrator; ListDetectors takes no resource)
    this.slack.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['guardduty:ArchiveFindings'],
        resources: [`arn:${Stack.of(this).partition}:guardduty:*:${Stack.of(this).account}:detector/*`],
      }),
    );
    this.slack.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['guardduty:ListDetectors'], resources: ['*'] }),
    );
    acknowledge(this.slack.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:*:${literal(stack.account, '<AWS::AccountId>')}:detector/*]`]:
        "Dismiss archives a finding in the finding's own region with the security account's detector there; detector ids differ per region and are listed at run time",
    });
    if (props.approvalStateMachineArns.length > 0) {
      // an approval nobody answered expires from the workflow's own reminder loop (ApprovalExpired)
      this.steps.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:SendTaskFailure'],
          resources: props.approvalStateMachineArns,
        }),
      );
    }
  }

  /** Item reads and writes on the table and its index; no scans, no table administration. */
  private grantTable(role: iam.IRole, table: dynamodb.ITable): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:GetItem',
          // an incident card reads its member cases in one request (bot/incidents/progress.ts)
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:ConditionCheckItem',
        ],
        resources: [table.tableArn, `${table.tableArn}/index/gsi1`],
      }),
    );
    // The audit trail is append-only by IAM: no function may update or delete an item whose partition
    // key is an audit partition (`AUDIT#…`). IAM cannot require the conditional put that refuses an
    // overwrite (no condition key carries ConditionExpression): the code always sends it, and the
    // manifest records the trail's hash, so a changed trail shows.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
      }),
    );
  }

  /** Cross-account reach of the steps: assume the roles the other stacks create, use the evidence bucket. */
  private grantStepsRole(config: DeployConfig, region: string): void {
    const role = this.steps.role;
    const forensics = config.forensicsAccount;
    const orgCondition = config.organizationId
      ? { StringEquals: { 'aws:ResourceOrgID': config.organizationId } }
      : undefined;
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::arn:aws:iam::*:role/${NAMES.irRole}]`]:
        'member accounts are not known at deploy time (the member stack is a StackSet across the organization): the resource is fixed to the IRAutomation role name, aws:ResourceOrgID keeps it inside the organization, and each role demands the ExternalId',
      [`AwsSolutions-IAM5[Resource::arn:aws:s3:::${evidenceBucketName(forensics, region)}/CASE-*]`]:
        'evidence objects live under one prefix per case (`<caseId>/`), created at run time; the role may touch case objects only, not the rest of the bucket',
      [`AwsSolutions-IAM5[Resource::arn:aws:kms:${region}:${forensics}:key/*]`]:
        'the evidence key is created by the forensics account stack, so its key id is unknown here; scoped to that account and region, used only through S3, and its key policy names this role',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeMemberIRAutomation',
        actions: ['sts:AssumeRole'],
        resources: config.singleAccount
          ? [roleArn(config.securityAccount, NAMES.irRole)]
          : [`arn:aws:iam::*:role/${NAMES.irRole}`],
        conditions: orgCondition,
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeSnapshotReceiver',
        actions: ['sts:AssumeRole'],
        resources: [roleArn(forensics, NAMES.snapshotReceiverRole)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeExamineLauncher',
        // the forensic worker of a case (issue 12, item 4): started, driven and terminated through it
        actions: ['sts:AssumeRole'],
        resources: [roleArn(forensics, NAMES.examineLauncherRole)],
      }),
    );
    const bucketArn = `arn:aws:s3:::${evidenceBucketName(forensics, region)}`;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceObjects',
        // PutObject: the case manifest, the raw disk images (multipart) and their indexes; PutObjectRetention:
        // each is written with its Object Lock (S3 asks for it when a write carries lock headers);
        // GetObject(Version): the memory image's exact version re-read and hashed
        // (workflows/steps/verify-evidence.ts); GetObjectRetention: S3 shows its lock only with it
        actions: [
          's3:PutObject',
          's3:PutObjectRetention',
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectRetention',
        ],
        resources: [`${bucketArn}/CASE-*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceListing',
        // without it, HeadObject of a missing image answers 403 instead of 404; versions: a memory image
        // must be the only version under its key
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': ['CASE-*'] } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceKeyThroughS3',
        // SSE-KMS of the manifest upload (one PutObject); Decrypt: reading a memory image back to hash it
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        // The key id is not known here (another account's stack makes it); across accounts the key
        // policy must also allow the call, and the forensics stack's evidence key policy names this role.
        resources: [`arn:aws:kms:${region}:${forensics}:key/*`],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
    );
  }
}

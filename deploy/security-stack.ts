import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { loadDefinitions, type WorkflowDefinition } from './asl.js';
import type { DeployConfig } from './config.js';
import { AlarmTopic } from './constructs/alarms.js';
import { BotFunctions } from './constructs/bot-functions.js';
import { Outbox } from './constructs/outbox.js';
import { CaseTable } from './constructs/case-table.js';
import { IntakeRules } from './constructs/intake-rules.js';
import { SlackSecrets } from './constructs/slack-secrets.js';
import { Workflow, workflowArn } from './constructs/workflows.js';

export interface SecurityStackProps extends StackProps {
  readonly config: DeployConfig;
  /** State machine definitions (default: `workflows/definitions/*.asl.json`). */
  readonly definitions?: WorkflowDefinition[];
}

/**
 * The security account: the bot's four functions, the case table, the Slack secrets, the state machines,
 * the intake rules and the alarms. Everything the other accounts must name (the steps role, the event
 * bus) has a fixed name, so their stacks need no reference into this one.
 */
export class SecurityStack extends Stack {
  readonly functions: BotFunctions;
  readonly outbox: Outbox;
  readonly workflows: Record<string, Workflow> = {};
  readonly table: CaseTable;
  readonly intake: IntakeRules;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const definitions = props.definitions ?? loadDefinitions();
    const arnOf = (name: string) => {
      const def = definitions.find((d) => d.name === name);
      return def ? workflowArn(this, def.pascal) : undefined;
    };
    // The bot starts `case` (and `release`); any definition with a task token waits for Slack's answer.
    const caseArn = arnOf('case') ?? workflowArn(this, 'Case');
    const approvalArns = definitions
      .filter((d) => d.text.includes('.waitForTaskToken'))
      .map((d) => workflowArn(this, d.pascal));

    const alarms = new AlarmTopic(this, 'Alarms', { email: config.alarmEmail });
    this.table = new CaseTable(this, 'Cases');
    const secrets = new SlackSecrets(this, 'SlackSecrets');
    this.functions = new BotFunctions(this, 'Bot', {
      config,
      table: this.table.table,
      secrets,
      alarms,
      caseStateMachineArn: caseArn,
      releaseStateMachineArn: arnOf('release'),
      examineStateMachineArn: arnOf('examine'),
      approvalStateMachineArns: approvalArns,
    });

    // Steps and the progress handler say things about cases through the outbox; its drainer posts them.
    this.outbox = new Outbox(this, 'Outbox', {
      table: this.table.table,
      secrets,
      alarms,
      environment: this.functions.environment,
      senders: [this.functions.steps, this.functions.progress],
    });

    const substitutions: Record<string, string> = {
      StepsFunctionArn: this.functions.steps.function.functionArn,
      ...Object.fromEntries(
        definitions.map((d) => [`${d.pascal}StateMachineArn`, workflowArn(this, d.pascal)]),
      ),
    };
    for (const definition of definitions) {
      this.workflows[definition.name] = new Workflow(this, `${definition.pascal}Workflow`, {
        definition,
        substitutions,
        functions: [this.functions.steps.function],
        alarms,
      });
    }
    // Children first: a parent's StartExecution names them by ARN, which must exist when it runs.
    for (const parent of definitions) {
      for (const child of definitions) {
        if (child !== parent && parent.text.includes(`\${${child.pascal}StateMachineArn}`)) {
          this.workflows[parent.name]!.node.addDependency(this.workflows[child.name]!);
        }
      }
    }

    this.intake = new IntakeRules(this, 'Intake', {
      findingsFunction: this.functions.findings.function,
      progressFunction: this.functions.progress.function,
      findingsDeadLetterQueue: this.functions.findingsDeadLetterQueue.queue,
      progressDeadLetterQueue: this.functions.progressDeadLetterQueue.queue,
      minSeverity: config.alertsMinSeverity,
      stateMachineArns: definitions.map((d) => workflowArn(this, d.pascal)),
      securityHubActions: config.securityHubActions,
      guardDutyDirect: config.guardDutyDirect,
      organizationId: config.singleAccount ? undefined : config.organizationId,
    });

    new CfnOutput(this, 'SlackRequestUrl', {
      description: 'Request URL for the Slack app (manifest.yml: interactivity and the /forensics command)',
      // the Function URL ends with "/"; manifest.yml names the path /slack/events
      value: `${this.functions.functionUrl.url}slack/events`,
    });
    new CfnOutput(this, 'SlackBotTokenSecretArn', { value: secrets.botToken.secretArn });
    new CfnOutput(this, 'SlackSigningSecretSecretArn', { value: secrets.signingSecret.secretArn });
    new CfnOutput(this, 'StepsRoleArn', { value: this.functions.steps.role.roleArn });
    // names for logs and for recycling the functions after the Slack secrets are first stored
    for (const [name, fn] of Object.entries({
      Slack: this.functions.slack,
      Findings: this.functions.findings,
      Progress: this.functions.progress,
      Steps: this.functions.steps,
      OutboxDrainer: this.outbox.drainer,
    })) {
      new CfnOutput(this, `${name}FunctionName`, { value: fn.function.functionName });
    }
    new CfnOutput(this, 'CaseTableName', { value: this.table.table.tableName });
  }
}

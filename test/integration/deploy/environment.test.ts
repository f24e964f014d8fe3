import { afterEach, describe, expect, it } from 'vitest';
import {
  approvalSettings,
  authSettings,
  commandSettings,
  workflowSettings,
} from '../../../bot/cases/settings.js';
import { slackSettings, tableSettings, workspaceSettings } from '../../../bot/config.js';
import { intakeSettings } from '../../../bot/intake/settings.js';
import { forensicsSettings } from '../../../workflows/settings.js';
import { MULTI_ACCOUNT, resources, synth } from './synth.js';

type Json = Record<string, unknown>;

/** A template value as the function would see it: references become plausible ARNs and names. */
function resolve(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(key, p)).join(sep);
  }
  if ('Ref' in v) {
    const ref = v.Ref as string;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return 'us-east-1';
    if (ref === 'AWS::AccountId') return '111111111111';
    if (key.endsWith('SECRET_ARN'))
      return `arn:aws:secretsmanager:us-east-1:111111111111:secret:${ref}-AbCdEf`;
    return `forensics-bot-${ref.toLowerCase()}`;
  }
  if ('Fn::GetAtt' in v)
    return `arn:aws:lambda:us-east-1:111111111111:function:${(v['Fn::GetAtt'] as string[])[0]}`;
  throw new Error(`${key}: cannot resolve ${JSON.stringify(value)}`);
}

function environmentOf(prefix: string): Record<string, string> {
  const { security } = synth(MULTI_ACCOUNT);
  const [, fn] = resources(security, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))!;
  const vars = ((fn.Properties as Json).Environment as { Variables: Json }).Variables;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolve(k, v)]));
}

const ALL = [
  tableSettings,
  slackSettings,
  workspaceSettings,
  workflowSettings,
  approvalSettings,
  commandSettings,
  authSettings,
  intakeSettings,
  forensicsSettings,
];
const saved = { ...process.env };

/** Runs the settings with exactly the function's environment (plus what Lambda itself sets). */
function withEnvironment<T>(env: Record<string, string>, read: () => T): T {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, { AWS_REGION: 'us-east-1' }, env);
  for (const s of ALL) s.reset();
  return read();
}

afterEach(() => {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, saved);
  for (const s of ALL) s.reset();
});

describe('Function: the functions environment', () => {
  it('satisfies every setting the Slack, findings and progress functions read', () => {
    for (const prefix of ['BotSlack', 'BotFindings', 'BotProgress']) {
      // Act
      const read = withEnvironment(environmentOf(prefix), () => ({
        table: tableSettings(),
        slack: slackSettings(),
        workspace: workspaceSettings(),
        workflows: workflowSettings(),
        approvals: approvalSettings(),
        intake: intakeSettings(),
      }));

      // Assess
      expect(read.slack.SLACK_BOT_TOKEN_SECRET_ARN, prefix).toMatch(/^arn:aws:secretsmanager:/);
      expect(read.slack.SLACK_BOT_TOKEN, prefix).toBeUndefined();
      expect(read.workspace).toEqual({
        ALERTS_CHANNEL: 'C0ALERTS',
        COMMANDERS_CHANNEL: 'C0COMMANDERS',
        RESPONDERS_GROUP: 'S0RESPONDERS',
        COMMANDERS_GROUP: 'S0COMMANDERS',
      });
      expect(read.workflows.CASE_STATE_MACHINE_ARN).toBe(
        'arn:aws:states:us-east-1:111111111111:stateMachine:ForensicsBot-Case',
      );
      expect(read.workflows.RELEASE_STATE_MACHINE_ARN).toBe(
        'arn:aws:states:us-east-1:111111111111:stateMachine:ForensicsBot-Release',
      );
      expect(read.intake.MIN_SEVERITY).toBe('HIGH');
    }
  });

  it('satisfies every setting the steps read, pointing at the forensics account', () => {
    // Act
    const read = withEnvironment(environmentOf('BotSteps'), () => forensicsSettings());

    // Assess
    expect(read).toMatchObject({
      IR_ROLE_NAME: 'IRAutomation',
      IR_EXTERNAL_ID: 'forensics-bot-test-external-id',
      EVIDENCE_BUCKET: 'forensics-bot-evidence-222222222222-us-east-1',
      FORENSICS_ACCOUNT: '222222222222',
      SNAPSHOT_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:222222222222:alias/forensics-bot-snapshots',
      EVIDENCE_UPLOAD_ROLE_ARN: 'arn:aws:iam::222222222222:role/ForensicsBot-EvidenceUpload',
      FORENSICS_ROLE_ARN: 'arn:aws:iam::222222222222:role/ForensicsBot-SnapshotReceiver',
      QUARANTINE_PROFILE: 'ForensicsBot-Quarantine',
      DENY_ALL_PROFILE: 'ForensicsBot-DenyAll',
      MEMORY_DOCUMENT: 'ForensicsBot-CaptureMemory',
    });
  });
});

/**
 * The Slack side under test: LocalSlack as the Web API, dynalite as the case table, handlers/slack.ts
 * as Slack's Function URL, and a small Step Functions recorder (an onAwsClientCreated hook) that
 * answers StartExecution / SendTaskSuccess / SendTaskFailure the way AWS does for those calls.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { FunctionUrlEvent } from '../../../sandbox/slack/function-url.js';
import { LocalSlack } from '../../../sandbox/slack/local-slack.js';
import { formEncode, interactionBody } from '../../../sandbox/slack/payloads.js';
import { onAwsClientCreated } from '../../../bot/core/aws-clients.js';
import { resetRoleCache } from '../../../bot/auth.js';
import {
  approvalSettings,
  authSettings,
  commandSettings,
  workflowSettings,
} from '../../../bot/core/settings.js';
import { slackSettings, workspaceSettings } from '../../../bot/core/config.js';
import type { Finding } from '../../../bot/core/finding.js';
import { resetSlackWebClient } from '../../../bot/slack/client.js';
import { resetSlackSecrets } from '../../../bot/slack/secrets.js';
import { resetWorkflowClient } from '../../../bot/workflow-client.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { fingerprintOf, getFingerprint } from '../../../bot/intake/fingerprints.js';
import { intakeSettings } from '../../../bot/intake/settings.js';
import { resetSlackPosts } from '../../../bot/intake/slack-posts.js';
import { handler as findingsHandler } from '../../../handlers/findings.js';
import { handler, resetSlackHandler } from '../../../handlers/slack.js';
import { loadEvent } from '../../support/events.js';
import { useCaseTable } from '../../support/table.js';

export const CASE_SM = 'arn:aws:states:us-east-1:111111111111:stateMachine:forensics-case';
export const RELEASE_SM = 'arn:aws:states:us-east-1:111111111111:stateMachine:forensics-release';

/** The detector the harness's GuardDuty answers ListDetectors with (the administrator's, in every region). */
export const ADMIN_DETECTOR = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';

export interface SfnCall {
  command: string;
  input: Record<string, any>;
  /** The client's region (recorded for Security Hub and GuardDuty: a finding is updated in its own region). */
  region?: string;
}

/** Answers SFN commands like AWS: a second StartExecution with the same name fails ExecutionAlreadyExists. */
export function installSfnRecorder(): {
  calls: SfnCall[];
  uninstall: () => void;
  /** Called with each StartExecution input as it arrives (to observe what exists at that moment). */
  onStart?: (input: Record<string, any>) => void;
} {
  const calls: SfnCall[] = [];
  const recorder: { onStart?: (input: Record<string, any>) => void } = {};
  const names = new Set<string>();
  const uninstall = onAwsClientCreated((client) => {
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        if (context.clientName === 'SFNClient') {
          const command = String(context.commandName).replace(/Command$/, '');
          calls.push({ command, input: structuredClone(args.input) });
          if (command === 'StartExecution') {
            recorder.onStart?.(args.input);
            const arn = `${args.input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${args.input.name}`;
            if (names.has(arn))
              throw Object.assign(new Error('Execution already exists'), { name: 'ExecutionAlreadyExists' });
            names.add(arn);
            return { output: { executionArn: arn, startDate: new Date(), $metadata: {} }, response: {} };
          }
          return { output: { $metadata: {} }, response: {} };
        }
        if (context.clientName === 'GuardDutyClient') {
          const command = String(context.commandName).replace(/Command$/, '');
          calls.push({ command, input: structuredClone(args.input), region: await client.config.region() });
          // the security account's own detector in that region (GuardDuty's delegated administrator)
          const output = command === 'ListDetectors' ? { DetectorIds: [ADMIN_DETECTOR] } : {};
          return { output: { ...output, $metadata: {} }, response: {} };
        }
        if (context.clientName === 'SecurityHubClient') {
          calls.push({
            command: String(context.commandName).replace(/Command$/, ''),
            input: structuredClone(args.input),
            region: await client.config.region(),
          });
          return {
            output: {
              ProcessedFindings: args.input.FindingIdentifiers,
              UnprocessedFindings: [],
              $metadata: {},
            },
            response: {},
          };
        }
        return next(args);
      },
      { step: 'initialize', name: 'testSfnRecorder' },
    );
  });
  resetWorkflowClient();
  return Object.assign(recorder, { calls, uninstall });
}

/** Points every setting at the local Slack and forgets every cache built from settings. */
export function configure(slack: LocalSlack, extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    ALERTS_CHANNEL: 'C0ALERTS',
    COMMANDERS_CHANNEL: 'C0COMMANDERS',
    RESPONDERS_GROUP: 'S0RESPONDERS',
    COMMANDERS_GROUP: 'S0COMMANDERS',
    CASE_STATE_MACHINE_ARN: CASE_SM,
    RELEASE_STATE_MACHINE_ARN: RELEASE_SM,
    DEFAULT_ACCOUNT: '333333333333',
    FOUR_EYES: 'true',
    // Tests post many cards within seconds: a channel budget no test reaches (storms are intake's tests).
    STORM_MAX_POSTS: '1000',
    STORM_MAX_UPDATES: '1000',
    ...extra,
  });
  for (const s of [
    slackSettings,
    workspaceSettings,
    workflowSettings,
    approvalSettings,
    commandSettings,
    authSettings,
    intakeSettings,
  ])
    s.reset();
  resetSlackSecrets();
  resetSlackPosts();
  resetSlackWebClient();
  resetSlackHandler();
  resetRoleCache();
  resetWorkflowClient();
}

let serial = 0;
/** The EventBridge event each finding of `ec2Finding` was normalized from: what `postFindingCard` delivers. */
const eventOf = new WeakMap<Finding, unknown>();

/**
 * An EC2 finding as intake normalizes it (each call a different finding and instance unless one is given):
 * a GuardDuty "SSH brute force" event in member account 333333333333, us-east-1, normalized by intake's own
 * code, so the finding a test holds is the one intake stores.
 */
export function ec2Finding(instanceId?: string): Finding {
  serial++;
  const id = instanceId ?? `i-0${String(serial).padStart(16, '0')}`;
  const findingId = `${Date.now().toString(16)}${String(serial).padStart(8, '0')}`;
  const event = loadEvent('guardduty', 'guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed');
  Object.assign(event, { id: randomUUID(), account: '333333333333', region: 'us-east-1' });
  Object.assign(event.detail, {
    id: findingId,
    arn: `arn:aws:guardduty:us-east-1:333333333333:detector/d1/finding/${findingId}`,
    accountId: '333333333333',
    region: 'us-east-1',
    severity: 8,
    title: `198.51.100.7 is performing SSH brute force attacks against ${id}`,
  });
  Object.assign(event.detail.resource.instanceDetails, {
    instanceId: id,
    tags: [{ key: 'Name', value: 'web-1' }],
  });
  const { findings } = normalizeEvent(event, {
    analyzeActionId: intakeSettings().ANALYZE_ACTION_ID,
    containActionId: intakeSettings().CONTAIN_ACTION_ID,
  });
  if (findings.length !== 1)
    throw new Error(`the GuardDuty sample normalized to ${findings.length} findings`);
  eventOf.set(findings[0]!, event);
  return findings[0]!;
}

/**
 * A GuardDuty Runtime finding on an EC2 instance as the new Security Hub sends it (OCSF, `Findings Imported
 * V2`, the public sample in test/events/securityhub-v2/), in member account 333333333333 and `region`,
 * normalized by intake's own code.
 */
export function ocsfFinding(region = 'eu-west-1'): Finding {
  serial++;
  const id = `i-0${String(serial).padStart(16, '0')}`;
  const gdId = `${Date.now().toString(16)}${String(serial).padStart(8, '0')}`.padEnd(32, '0');
  const raw = loadEvent(
    'securityhub-v2',
    'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_and_cspm-control.cruxstack-slack-go',
  )[0];
  raw.cloud = { ...raw.cloud, region, account: { ...raw.cloud.account, uid: '333333333333' } };
  raw.metadata.product.uid = `arn:aws:securityhub:${region}::productv2/aws/guardduty`;
  raw.finding_info.uid = `arn:aws:guardduty:${region}:333333333333:detector/d1/finding/${gdId}`;
  raw.finding_info.uid_alt = gdId;
  Object.assign(raw, { severity: 'High', severity_id: 4 });
  Object.assign(raw.resources[0], { uid: id, name: id, region });
  raw.resources[0].data.instance_id = id;
  const event = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Findings Imported V2',
    source: 'aws.securityhub',
    account: '333333333333',
    time: new Date().toISOString(),
    region,
    resources: [raw.metadata.uid],
    detail: { findings: [raw] },
  };
  const { findings } = normalizeEvent(event);
  if (findings.length !== 1) throw new Error(`the OCSF sample normalized to ${findings.length} findings`);
  eventOf.set(findings[0]!, event);
  return findings[0]!;
}

/**
 * Delivers the finding's event to handlers/findings.ts (intake records the delivery under the finding's
 * fingerprint and posts the card in the alerts channel); returns the card's ts. A click on the card finds
 * the finding the way it does in production: by the fingerprint its buttons carry.
 */
export async function postFindingCard(finding: Finding): Promise<string> {
  const event = eventOf.get(finding);
  if (!event) throw new Error('postFindingCard takes a finding made by ec2Finding or ocsfFinding');
  await findingsHandler(event);
  const record = await getFingerprint(fingerprintOf(finding));
  if (record?.status !== 'posted' || record.channel !== 'C0ALERTS' || !record.ts)
    throw new Error(`intake did not post the card in C0ALERTS: ${JSON.stringify(record)}`);
  return record.ts;
}

/** A signed request handed to handlers/slack.ts as a Function URL event; the parsed result. */
export async function deliver(
  slack: LocalSlack,
  body: string,
  opts: { headers?: Record<string, string>; timestamp?: number; event?: (e: FunctionUrlEvent) => void } = {},
) {
  const request = slack.request(body, opts.timestamp);
  Object.assign(request.headers, opts.headers ?? {});
  return slack.deliver(async (event, context) => {
    opts.event?.(event);
    return handler(event, context);
  }, request);
}

/** The view_submission Slack sends when this user submits that opened view with these input values. */
export function viewSubmissionBody(
  view: Record<string, any>,
  user: { id: string; name: string },
  values: Record<string, Record<string, string>>,
): string {
  const state = {
    values: Object.fromEntries(
      Object.entries(values).map(([block, actions]) => [
        block,
        Object.fromEntries(
          Object.entries(actions).map(([a, v]) => [a, { type: 'plain_text_input', value: v }]),
        ),
      ]),
    ),
  };
  const payload = {
    type: 'view_submission',
    team: { id: 'T0SANDBOX', domain: 'forensics-sandbox' },
    user: { id: user.id, username: user.name, name: user.name, team_id: 'T0SANDBOX' },
    api_app_id: 'A0FORENSIC',
    token: 'sandbox-verification-token',
    trigger_id: `${Date.now()}.1.trigger`,
    view: { ...view, state },
    response_urls: [],
  };
  return interactionBody(payload);
}

export { formEncode, handler, interactionBody, LocalSlack };

/**
 * The Slack side of a test file: a case table, the local Slack started and configured (plus `extra`
 * settings), and the Step Functions recorder; all stopped after the file.
 */
export function useSlackSide(extra: Record<string, string> = {}) {
  useCaseTable();
  const side = {
    slack: new LocalSlack(),
    sfn: undefined as unknown as ReturnType<typeof installSfnRecorder>,
  };
  beforeAll(async () => {
    await side.slack.start();
    configure(side.slack, extra);
    side.sfn = installSfnRecorder();
  });
  afterAll(async () => {
    side.sfn.uninstall();
    await side.slack.stop();
  });
  return side;
}

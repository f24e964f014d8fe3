/**
 * One outbreak, end to end (issue 13 "Performance"): `instances` instances across the two member accounts,
 * named by one GuardDuty attack sequence (the composed CompromisedInstanceGroup event, sandbox/outbreak.ts)
 * and contained as **one incident with one approval**: the sequence's card through handlers/findings.ts,
 * alice's "Contain all" and carol's one Approve as signed requests through handlers/slack.ts (Bolt), each
 * instance's case workflow (ASL in the local Step Functions, the real steps and progress handler), the
 * members' lines through the outbox (the simulated SQS FIFO queue and the real drainer, which delivers
 * them as redraws of the incident card) into the local Slack, with or without Slack's rate limits. The
 * organization runs on the **real** clock: every AWS call sleeps `latencyMs`, because Slack's limits are
 * in wall time and only a real clock lets them delay (or not) the containment.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { getCase } from '../bot/core/case-store.js';
import { workspaceSettings } from '../bot/core/config.js';
import { WebClientEvent } from '@slack/web-api';
import type { IncidentRecord } from '../bot/incidents/model.js';
import { getIncident } from '../bot/incidents/store.js';
import { drainerSlack } from '../bot/outbox/slack-delivery.js';
import { readOutbox } from '../bot/outbox/store.js';
import { intakeSettings } from '../bot/intake/settings.js';
import { resetSlackPosts } from '../bot/intake/slack-posts.js';
import { handler as findingsHandler } from '../handlers/findings.js';
import { handler as outboxHandler } from '../handlers/outbox.js';
import { handler as progressHandler } from '../handlers/progress.js';
import { resetSlackHandler, handler as slackHandler } from '../handlers/slack.js';
import { handler as stepsHandler } from '../handlers/steps.js';
import { SimulatedOrganization } from '../sandbox/aws/index.js';
import { startSandboxOutbox } from '../sandbox/aws/services/sqs-event-source.js';
import type { World } from '../sandbox/aws/world.js';
import { SANDBOX, workflowVariables } from '../sandbox/environment.js';
import { attackSequenceEvent, cloneInstances, OUTBREAK_TEMPLATES } from '../sandbox/outbreak.js';
import { LocalSlack } from '../sandbox/slack/local-slack.js';
import { LocalStepFunctions } from '../sandbox/stepfunctions/local-sfn.js';
import { GROUP_NAMES } from '../workflows/steps/security-groups.js';
import { resetColdStartState } from '../test/support/process-state.js';
import { createCaseTable } from '../test/support/table.js';

export const ACCOUNTS = ['333333333333', '444444444444'] as const;
const REGION = 'us-east-1';

export interface OutbreakOptions {
  instances: number;
  latencyMs: number;
  rateLimits: boolean;
}

export interface OutbreakResult {
  options: OutbreakOptions;
  statuses: Record<string, number>;
  /** The error and cause of each workflow that did not succeed. */
  failures: string[];
  /** ms from the start of the workflows to the last instance isolated. */
  lastIsolatedMs: number;
  medianIsolatedMs: number;
  /** ms from the start to the last workflow's end. */
  lastWorkflowEndMs: number;
  /** ms from the start to the last case line in Slack. */
  lastLineMs: number;
  linesSaid: number;
  linesDelivered: number;
  linesLost: number;
  linesRepeated: number;
  /** Web API calls the bot made from the start (answered ones; 429s apart). */
  slackCalls: Record<string, number>;
  rateLimited: number;
  /** EC2 calls the twin refused with RequestLimitExceeded (its per-account, per-action buckets); retried. */
  ec2Throttled: number;
  drainerBatches: number;
  /** ms the approval click took to answer (the decision reaching every member). */
  approvalAnsweredMs: number;
  /** ms the Contain all click took to answer (the cases opened, their workflows started; Slack limits off). */
  containAllAnsweredMs: number;
  wallMs: number;
}

/** Whether every ENI of the instance is in one of the bot's isolation groups. */
function isolatedProbe(world: World, account: string, instanceId: string) {
  const r = world.region(account, REGION);
  return () => {
    const instance = r.instances.get(instanceId)!;
    return instance.eniIds.every((id) => {
      const groups = r.enis.get(id)?.groupIds ?? [];
      const names = groups.map((g) => r.securityGroups.get(g)?.groupName);
      return (
        names.length === 1 &&
        (names[0] === GROUP_NAMES.isolation || names[0] === GROUP_NAMES['isolation-endpoints'])
      );
    });
  };
}

export async function runOutbreak(options: OutbreakOptions): Promise<OutbreakResult> {
  const wallStarted = performance.now();
  const slack = new LocalSlack();
  const { apiUrl } = await slack.start();
  process.env.CASE_TABLE = await createCaseTable(
    `outbreak-${options.rateLimits ? 'limits' : 'free'}-${Date.now()}`,
  );
  // EC2's request limits per account, region and action are on: 50 instances contained at once meet them.
  const org = new SimulatedOrganization({ clock: 'real', ec2RequestLimits: true }).seedDefault().install();
  Object.assign(process.env, workflowVariables(org, apiUrl), { DISK_IMAGE: 'off', FOUR_EYES: 'true' });
  resetColdStartState();
  // Each run has its own local Slack (its own port): the Slack handler's and intake's clients start anew.
  intakeSettings.reset();
  resetSlackHandler();
  resetSlackPosts();

  const half = Math.ceil(options.instances / 2);
  const targets = [
    ...cloneInstances(org.world, ACCOUNTS[0], OUTBREAK_TEMPLATES[0].instanceId, half, 0xbe0000),
    ...cloneInstances(
      org.world,
      ACCOUNTS[1],
      OUTBREAK_TEMPLATES[1].instanceId,
      options.instances - half,
      0xbf0000,
    ),
  ];

  let drainerBatches = 0;
  const countingHandler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    drainerBatches += 1;
    return outboxHandler(event);
  };
  const outbox = await startSandboxOutbox({
    visibilityTimeoutSeconds: 30,
    handler: countingHandler,
    onError: (error) => console.error('[outbreak] drainer:', error),
  });
  const sfn = new LocalStepFunctions({
    stepHandler: stepsHandler,
    waitSeconds: 0,
    retryIntervalMs: 5,
    onStatusChange: async (event: unknown) => {
      await progressHandler(event);
    },
  });
  const alertsChannel = workspaceSettings().ALERTS_CHANNEL;
  const commandersChannel = workspaceSettings().COMMANDERS_CHANNEL;
  try {
    // Before the clock, with Slack's limits off: the sequence's card, alice's "Contain all" (the cases
    // opened, their workflows started) and every member waiting at its approval gate under one approval
    // card — the intake's and the request's cost, not containment's.
    await findingsHandler(attackSequenceEvent(targets, SANDBOX.securityAccount) as never);
    const card = slack.messages(alertsChannel).at(-1);
    if (!card) throw new Error('the attack sequence got no card');
    const containAllStarted = performance.now();
    await slack.click(slackHandler, {
      user: 'alice',
      channel: alertsChannel,
      ts: card.ts,
      actionId: 'incident.contain_all',
    });
    const containAllAnsweredMs = performance.now() - containAllStarted;
    const id = /INC-\d{8}-[0-9A-Z]{4}/.exec(
      JSON.stringify(slack.messages(alertsChannel).at(-1)?.blocks),
    )?.[0];
    const incident: IncidentRecord | undefined = id ? await getIncident(id) : undefined;
    if (!incident || incident.members.length !== targets.length)
      throw new Error(`Contain all did not open one incident over ${targets.length} instances`);
    const members = incident.members.map((m) => m.caseId);
    await until(async () => {
      const records = await Promise.all(members.map((c) => getCase(c)));
      return records.every((r) => r?.status === 'awaiting-approval');
    }, 300_000);
    // The first member at its gate posts the card (the others wait for it): it may come a moment later.
    await until(async () => !!(await getIncident(incident.id))?.slack.approvalTs, 60_000);
    const approval = slack
      .messages(commandersChannel)
      .find((m) => JSON.stringify(m.blocks).includes(incident.id));
    if (!approval) throw new Error('the incident has no approval card');
    await outbox.source.drained();
    slack.setRealisticRateLimits(options.rateLimits);
    org.setFaults({ latencyMs: options.latencyMs });
    let rateLimited = 0;
    const callsBefore = slack.calls.length;
    const probes = targets.map((t) => isolatedProbe(org.world, t.account, t.instanceId));
    const isolatedAt: (number | undefined)[] = targets.map(() => undefined);
    const handle = org.handle.bind(org);
    let started = performance.now();
    org.handle = async (...args) => {
      try {
        return await handle(...args);
      } finally {
        probes.forEach((probe, i) => {
          if (isolatedAt[i] === undefined && probe()) isolatedAt[i] = performance.now() - started;
        });
      }
    };
    (await drainerSlack()).on(WebClientEvent.RATE_LIMITED, () => {
      rateLimited += 1;
    });
    // The clock starts as carol presses Approve: one decision for every member.
    started = performance.now();
    await slack.click(slackHandler, {
      user: 'carol',
      channel: commandersChannel,
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    const approvalAnsweredMs = performance.now() - started;
    const ends: number[] = [];
    const executions = await Promise.all(
      members.map(async (caseId) => {
        const record = await getCase(caseId);
        const execution = await sfn.waitFor(record!.executionArn!);
        ends.push(performance.now() - started);
        return execution;
      }),
    );
    await outbox.source.drained(600_000);

    // Every line said of a member is delivered (its outbox cursor reached its end, its card redrawn since);
    // the cursor moves only forward, once per line, so a line is never delivered twice.
    let said = 0;
    let delivered = 0;
    let stale = 0;
    for (const caseId of members) {
      const box = await readOutbox(caseId);
      said += box?.lines.length ?? 0;
      delivered += box?.delivered ?? 0;
      if (box?.cardStale || box?.posting) stale += 1;
    }
    const finalCard = JSON.stringify(
      slack.messages(alertsChannel).find((m) => m.ts === card.ts)?.blocks ?? [],
    );
    const shownEnded = (finalCard.match(/evidence secured|evidence incomplete|:x: failed/g) ?? []).length;
    if (shownEnded < members.length)
      throw new Error(`the incident card shows ${shownEnded} of ${members.length} instances ended`);
    const windowCalls = slack.calls.slice(callsBefore);
    const lastWrite = windowCalls
      .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
      .at(-1);
    const slackCalls: Record<string, number> = {};
    for (const c of windowCalls) slackCalls[c.method] = (slackCalls[c.method] ?? 0) + 1;
    const statuses: Record<string, number> = {};
    for (const e of executions) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
    const isolated = isolatedAt.filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    if (isolated.length !== targets.length)
      throw new Error(`${targets.length - isolated.length} instances were never isolated`);
    const startedEpoch = Date.now() - (performance.now() - started);
    return {
      options,
      statuses,
      failures: executions
        .filter((e) => e.status !== 'SUCCEEDED')
        .map((e) => `${e.name}: ${e.error ?? ''} ${String(e.cause ?? '').slice(0, 400)}`),
      lastIsolatedMs: isolated.at(-1)!,
      medianIsolatedMs: isolated[Math.floor(isolated.length / 2)]!,
      lastWorkflowEndMs: Math.max(...ends),
      lastLineMs: lastWrite ? lastWrite.at - startedEpoch : 0,
      linesSaid: said,
      linesDelivered: delivered,
      linesLost: said - delivered + stale,
      linesRepeated: 0,
      slackCalls,
      rateLimited,
      ec2Throttled: org.calls.filter((c) => c.outcome === 'RequestLimitExceeded').length,
      drainerBatches,
      approvalAnsweredMs,
      containAllAnsweredMs,
      wallMs: performance.now() - wallStarted,
    };
  } finally {
    sfn.stop();
    await outbox.stop();
    org.uninstall();
    await slack.stop();
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the outbreak did not reach its approval in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One outbreak, end to end (issue 13 "Performance"): `instances` instances across the two member accounts,
 * each with its case announced in the alerts channel, contained at once by the real case workflow (ASL in
 * the local Step Functions, the real steps and progress handler), the case lines through the outbox (the
 * simulated SQS FIFO queue and the real drainer) into the local Slack, with or without Slack's rate
 * limits. The organization runs on the **real** clock: every AWS call sleeps `latencyMs`, because Slack's
 * limits are in wall time and only a real clock lets them delay (or not) the containment.
 *
 * One incident with one approval for many instances does not exist yet (issue 13, item 2): each case is
 * started without approval (`Approval: not-required`, as a Contain tag starts it), all in the same turn.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { announceCase } from '../bot/cases/service.js';
import type { CaseRecord } from '../bot/core/case-model.js';
import { openCase } from '../bot/core/case-store.js';
import { workspaceSettings } from '../bot/core/config.js';
import { WebClientEvent } from '@slack/web-api';
import { drainerSlack } from '../bot/outbox/slack-delivery.js';
import { readOutbox } from '../bot/outbox/store.js';
import { startWithoutDisks } from './support/containment-run.js';
import { handler as outboxHandler } from '../handlers/outbox.js';
import { handler as progressHandler } from '../handlers/progress.js';
import { handler as stepsHandler } from '../handlers/steps.js';
import { SEEDED, SimulatedOrganization } from '../sandbox/aws/index.js';
import { startSandboxOutbox } from '../sandbox/aws/services/sqs-event-source.js';
import type { World } from '../sandbox/aws/world.js';
import { workflowVariables } from '../sandbox/environment.js';
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
  drainerBatches: number;
  wallMs: number;
}

/** Copies of a seeded instance (same subnet, groups, profile), so that many instances can be contained. */
function cloneInstances(
  world: World,
  account: string,
  templateId: string,
  count: number,
  base: number,
): string[] {
  const r = world.region(account, REGION);
  const template = r.instances.get(templateId);
  if (!template) throw new Error(`no seeded ${templateId} in ${account}`);
  const association = [...r.associations.values()].find(
    (a) => a.instanceId === templateId && a.state === 'associated',
  );
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const instanceId = `i-${(base + n).toString(16).padStart(17, '0')}`;
    const eniIds = template.eniIds.map((id) => {
      const eni = r.enis.get(id)!;
      const eniId = world.id('eni');
      r.enis.set(eniId, {
        ...eni,
        groupIds: [...eni.groupIds],
        connections: { ...eni.connections },
        tags: {},
        eniId,
        instanceId,
        attachmentId: world.id('eni-attach'),
        privateIp: eni.privateIp.replace(/\.\d+$/, `.${100 + n}`),
        autoPublicIp: undefined,
      });
      return eniId;
    });
    const blockDevices = template.blockDevices.map((d) => {
      const volume = r.volumes.get(d.volumeId)!;
      const volumeId = world.id('vol');
      // The content object is shared (read-only here: disk acquisition is off in this run).
      r.volumes.set(volumeId, { ...volume, volumeId, instanceId, tags: { ...volume.tags } });
      return { ...d, volumeId };
    });
    const tags: Record<string, string> = {
      ...template.tags,
      Name: `outbreak-${account.slice(0, 3)}-${n + 1}`,
    };
    delete tags['aws:autoscaling:groupName'];
    r.instances.set(instanceId, { ...template, instanceId, eniIds, blockDevices, tags });
    if (association) {
      const associationId = world.id('iip-assoc');
      r.associations.set(associationId, { ...association, associationId, instanceId });
    }
    ids.push(instanceId);
  }
  return ids;
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
  const org = new SimulatedOrganization({ clock: 'real' }).seedDefault().install();
  Object.assign(process.env, workflowVariables(org, apiUrl), { DISK_IMAGE: 'off' });
  resetColdStartState();

  const half = Math.ceil(options.instances / 2);
  const targets = [
    ...cloneInstances(org.world, ACCOUNTS[0], SEEDED.instances.autoScaledPeer, half, 0xbe0000).map((id) => ({
      account: ACCOUNTS[0],
      instanceId: id,
    })),
    ...cloneInstances(
      org.world,
      ACCOUNTS[1],
      SEEDED.instances.secondAccount,
      options.instances - half,
      0xbf0000,
    ).map((id) => ({ account: ACCOUNTS[1], instanceId: id })),
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
  try {
    // The cases are opened and announced before the clock starts, with Slack's limits off: one card
    // and one opening line per case are the intake's cost, not containment's.
    const records: CaseRecord[] = [];
    for (const target of targets) {
      const { record } = await openCase({
        severity: { label: 'HIGH', score: 8 },
        title: `Outbreak: ${target.instanceId}`,
        findingIds: [`outbreak-${target.instanceId}`],
        target: { account: target.account, region: REGION, instanceId: target.instanceId },
        actions: ['contain'],
        trigger: 'slack-button',
        requester: { userId: 'U0ALICE', name: 'alice' },
      });
      records.push(await announceCase(record));
    }
    await outbox.source.drained();
    slack.setRealisticRateLimits(options.rateLimits);
    org.setFaults({ latencyMs: options.latencyMs });
    let rateLimited = 0;
    const callsBefore = slack.calls.length;
    const probes = targets.map((t) => isolatedProbe(org.world, t.account, t.instanceId));
    const isolatedAt: (number | undefined)[] = targets.map(() => undefined);
    const started = performance.now();
    const handle = org.handle.bind(org);
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
    const ends: number[] = [];
    const executions = await Promise.all(
      records.map(async (record) => {
        const { executionArn } = startWithoutDisks(sfn, record, 'not-required');
        const execution = await sfn.waitFor(executionArn);
        ends.push(performance.now() - started);
        return execution;
      }),
    );
    await outbox.source.drained(600_000);

    // Every line said is in its thread once, in order; a line missing or repeated is counted.
    let said = 0;
    let delivered = 0;
    let lost = 0;
    let repeated = 0;
    const alerts = slack.messages(workspaceSettings().ALERTS_CHANNEL);
    for (const record of records) {
      const expected = ((await readOutbox(record.id))?.lines ?? []).flatMap((l) => (l.text ? [l.text] : []));
      const root = alerts.find((m) => m.ts === record.slack.threadTs);
      const got = (root?.replies ?? []).slice(1).flatMap((m) => m.text.split('\n'));
      said += expected.length;
      delivered += got.length;
      const seen = new Map<string, number>();
      for (const line of got) seen.set(line, (seen.get(line) ?? 0) + 1);
      for (const line of new Set(expected)) {
        const want = expected.filter((l) => l === line).length;
        const have = seen.get(line) ?? 0;
        if (have < want) lost += want - have;
        if (have > want) repeated += have - want;
      }
      if (lost === 0 && repeated === 0 && JSON.stringify(got) !== JSON.stringify(expected))
        throw new Error(`${record.id}: its lines arrived out of order`);
    }
    const windowCalls = slack.calls.slice(callsBefore);
    const lastPost = windowCalls.filter((c) => c.method === 'chat.postMessage').at(-1);
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
      lastLineMs: lastPost ? lastPost.at - startedEpoch : 0,
      linesSaid: said,
      linesDelivered: delivered,
      linesLost: lost,
      linesRepeated: repeated,
      slackCalls,
      rateLimited,
      drainerBatches,
      wallMs: performance.now() - wallStarted,
    };
  } finally {
    sfn.stop();
    await outbox.stop();
    org.uninstall();
    await slack.stop();
  }
}

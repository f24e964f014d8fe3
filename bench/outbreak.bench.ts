/**
 * Outbreak (issue 13 "Performance"): 50 instances across two member accounts, one GuardDuty attack
 * sequence, contained as one incident with one approval, 100 ms of AWS latency per call (real clock),
 * with Slack's rate limits on and then off. The containment must not notice Slack: the time from the
 * approval to the last isolated instance with limits on, as a ratio to the run without (target ≤ 1.1);
 * every member line delivered (0 lost); the last Slack write within 30 s of the last workflow's end; the
 * Slack calls it took. See `outbreak-run.ts` for how one run is made.
 */
import { loadavg } from 'node:os';
import { startDynalite } from '../sandbox/dynamo.js';
import { runOutbreak, type OutbreakResult } from './outbreak-run.js';
import type { BenchResult, Figure } from './types.js';

const INSTANCES = Number(process.env.OUTBREAK_INSTANCES ?? 50);
const LATENCY_MS = 100;

export default async function run(): Promise<BenchResult> {
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIAFORENSICSBENCH00';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret-not-real';
  process.env.AWS_REGION ??= 'us-east-1';
  const dynalite = await startDynalite({ separateProcess: true });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynalite.endpoint;
  try {
    // A small run first, not reported: the first run in a process also pays for loading and compiling
    // every module the steps use, which would be charged to whichever run came first.
    await runOutbreak({ instances: 4, latencyMs: LATENCY_MS, rateLimits: false });
    const free = await runOutbreak({ instances: INSTANCES, latencyMs: LATENCY_MS, rateLimits: false });
    const limited = await runOutbreak({ instances: INSTANCES, latencyMs: LATENCY_MS, rateLimits: true });
    for (const r of [free, limited])
      if ((r.statuses.SUCCEEDED ?? 0) !== INSTANCES)
        throw new Error(
          `Not every workflow succeeded: ${JSON.stringify(r.statuses)} ${r.failures.join(' | ')}`,
        );
    const s = (ms: number) => ms / 1000;
    const calls = (r: OutbreakResult) => Object.values(r.slackCalls).reduce((a, b) => a + b, 0);
    const figures: Figure[] = [
      {
        name: 'ratio limits on / off: approval -> last instance isolated',
        value: limited.lastIsolatedMs / free.lastIsolatedMs,
        unit: 'x',
        target: '<= 1.1',
      },
      { name: 'limits on: approval -> last instance isolated', value: s(limited.lastIsolatedMs), unit: 's' },
      {
        name: 'limits on: the approval click answered (one decision, every member)',
        value: s(limited.approvalAnsweredMs),
        unit: 's',
        target: '< 3 s (Slack)',
      },
      { name: 'limits off: approval -> last instance isolated', value: s(free.lastIsolatedMs), unit: 's' },
      {
        name: 'limits off: the approval click answered',
        value: s(free.approvalAnsweredMs),
        unit: 's',
      },
      {
        name: 'the Contain all click answered (cases opened and started; before the clock)',
        value: s(limited.containAllAnsweredMs),
        unit: 's',
        target: '< 3 s (Slack)',
      },
      { name: 'limits on: median instance isolated', value: s(limited.medianIsolatedMs), unit: 's' },
      { name: 'limits off: median instance isolated', value: s(free.medianIsolatedMs), unit: 's' },
      { name: 'limits on: last workflow ended', value: s(limited.lastWorkflowEndMs), unit: 's' },
      { name: 'limits off: last workflow ended', value: s(free.lastWorkflowEndMs), unit: 's' },
      {
        name: 'limits on: last Slack write after the last workflow ended',
        value: s(limited.lastLineMs - limited.lastWorkflowEndMs),
        unit: 's',
        target: '<= 30 s',
      },
      {
        name: 'limits off: last Slack write after the last workflow ended',
        value: s(free.lastLineMs - free.lastWorkflowEndMs),
        unit: 's',
      },
      { name: 'limits on: lines lost', value: limited.linesLost, unit: 'lines', target: '0' },
      { name: 'limits on: lines repeated', value: limited.linesRepeated, unit: 'lines', target: '0' },
      { name: 'limits off: lines lost', value: free.linesLost, unit: 'lines', target: '0' },
      { name: 'lines said (limits on)', value: limited.linesSaid, unit: 'lines' },
      { name: 'limits on: Slack calls', value: calls(limited), unit: 'calls' },
      {
        name: 'limits on: chat.postMessage calls',
        value: limited.slackCalls['chat.postMessage'] ?? 0,
        unit: 'calls',
      },
      { name: 'limits on: 429s answered', value: limited.rateLimited, unit: 'responses' },
      {
        name: 'limits on: EC2 calls throttled (RequestLimitExceeded, retried)',
        value: limited.ec2Throttled,
        unit: 'calls',
      },
      {
        name: 'limits off: EC2 calls throttled (RequestLimitExceeded, retried)',
        value: free.ec2Throttled,
        unit: 'calls',
      },
      { name: 'limits off: Slack calls', value: calls(free), unit: 'calls' },
      {
        name: 'limits off: chat.postMessage calls',
        value: free.slackCalls['chat.postMessage'] ?? 0,
        unit: 'calls',
      },
    ];
    return {
      name: 'outbreak',
      figures,
      notes: [
        `${INSTANCES} instances (${Math.ceil(INSTANCES / 2)} in 333333333333, ${INSTANCES - Math.ceil(INSTANCES / 2)} in 444444444444, us-east-1), ${LATENCY_MS} ms per AWS call on the real clock (each call sleeps), memory captured and disks snapshotted (DISK_IMAGE=off: no raw images), FOUR_EYES on. One attack sequence over all of them through handlers/findings.ts; alice's Contain all and carol's one Approve as signed requests through handlers/slack.ts; one case and one workflow per instance (Approval: required, each waiting at its own gate for the incident's one decision).`,
        "Before the clock, with Slack limits off: the sequence's card, the Contain all click (cases opened, workflows started, the incident card drawn) and every member waiting at its approval gate under the one approval card. The clock starts as carol presses Approve; then the limits (chat.postMessage: burst 3, then 1 per second per channel; chat.update Tier 3) are on. Members have no threads: their lines are delivered as redraws of the one incident card (coalesced per drainer batch); the incident thread gets the decision and the closing summary.",
        'Lines lost = member lines whose outbox cursor did not reach them, plus members whose card was still stale at the end; a line is never delivered twice (the cursor moves forward once per line).',
        `Slack calls counted from the start: answered calls (429s apart), limits on: ${JSON.stringify(limited.slackCalls)}; off: ${JSON.stringify(free.slackCalls)}. Drainer batches: on ${limited.drainerBatches}, off ${free.drainerBatches}.`,
        `Member lines: on ${limited.linesDelivered}/${limited.linesSaid} delivered, off ${free.linesDelivered}/${free.linesSaid}. Approval click answered in ${s(limited.approvalAnsweredMs).toFixed(2)} s (on) / ${s(free.approvalAnsweredMs).toFixed(2)} s (off).`,
        `Wall time: off ${s(free.wallMs).toFixed(1)} s, on ${s(limited.wallMs).toFixed(1)} s. Load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')}.`,
      ],
    };
  } finally {
    await dynalite.close();
  }
}

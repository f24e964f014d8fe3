/**
 * Containment speed (issue 4 "Performance"): from a commander's approval to the instance's network
 * isolated, and to contained, with 100 ms of simulated latency per AWS call — beside the order of AWS's
 * Automated Forensic Orchestrator for Amazon EC2, whose memory-acquisition state machine triggers
 * isolation only once the memory capture is complete.
 *
 * Each figure comes from a real run (see `support/containment-run.ts`): the case workflow's ASL in the
 * local Step Functions, the real steps, the simulated organization on a virtual clock. The orchestrator's
 * order is the same workflow on the same instance with its VPC's SSM/S3 endpoints removed, which makes the
 * workflow capture memory before containing (disk snapshots are off in every run).
 */
import { loadavg } from 'node:os';
import { SEEDED } from '../sandbox/aws/index.js';
import { LocalSlack } from '../sandbox/slack/local-slack.js';
import { startDynalite } from '../sandbox/dynamo.js';
import { type Mark, type RunOptions, type RunResult, runApprovedCase } from './support/containment-run.js';
import type { BenchResult, Figure } from './types.js';

const LATENCY_MS = 100;
const TARGET_S = 3;

export default async function run(): Promise<BenchResult> {
  const started = performance.now();
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIAFORENSICSBENCH00';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret-not-real';
  process.env.AWS_REGION ??= 'us-east-1';
  const dynalite = await startDynalite();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynalite.endpoint;
  const slack = new LocalSlack();
  const { apiUrl } = await slack.start();

  const runs: RunResult[] = [];
  const once = async (options: Omit<RunOptions, 'latencyMs'>) => {
    const result = await runApprovedCase(apiUrl, { ...options, latencyMs: LATENCY_MS });
    if (result.status !== 'SUCCEEDED' || !result.isolated || !result.contained)
      throw new Error(
        `${options.order} run on ${options.instanceId} ended ${result.status} (isolated: ${!!result.isolated}, contained: ${!!result.contained})`,
      );
    runs.push(result);
    return result;
  };
  try {
    const demo = SEEDED.instances.demo;
    const ours = await once({ instanceId: demo, order: 'contain-first', pollWaits: true });
    const orchestrator = await once({ instanceId: demo, order: 'memory-first', pollWaits: true });
    const orchestratorApiOnly = await once({ instanceId: demo, order: 'memory-first', pollWaits: false });
    const autoScaled = await once({
      instanceId: SEEDED.instances.autoScaled,
      order: 'contain-first',
      pollWaits: true,
    });
    const multiEni = await once({
      instanceId: SEEDED.instances.multiEni,
      order: 'contain-first',
      pollWaits: true,
    });
    if (ours.memoryFirst || !orchestrator.memoryFirst || !orchestratorApiOnly.memoryFirst)
      throw new Error('The runs did not take the orders they were set up for');

    const s = (m: Mark | undefined) => (m?.ms ?? Number.NaN) / 1000;
    const target = `< ${TARGET_S} s`;
    const figures: Figure[] = [
      { name: 'ours: approval -> network isolated', value: s(ours.isolated), unit: 's (simulated)', target },
      { name: 'ours: approval -> contained', value: s(ours.contained), unit: 's (simulated)' },
      { name: 'ours: serial AWS calls to isolation', value: ours.isolated!.serial, unit: 'calls' },
      { name: 'ours: serial AWS calls to contained', value: ours.contained!.serial, unit: 'calls' },
      {
        name: 'ours: approval -> fully isolated (endpoints closed after memory capture)',
        value: s(ours.fullyIsolated),
        unit: 's (simulated)',
      },
      {
        name: 'orchestrator order: approval -> network isolated',
        value: s(orchestrator.isolated),
        unit: 's (simulated)',
        target,
      },
      {
        name: 'orchestrator order: approval -> contained',
        value: s(orchestrator.contained),
        unit: 's (simulated)',
      },
      {
        name: 'orchestrator order: serial AWS calls to isolation',
        value: orchestrator.isolated!.serial,
        unit: 'calls',
      },
      {
        name: 'orchestrator order, AWS latency only (capture takes no time): approval -> isolated',
        value: s(orchestratorApiOnly.isolated),
        unit: 's (simulated)',
      },
      {
        name: 'ratio orchestrator / ours: time to isolation',
        value: orchestrator.isolated!.ms / ours.isolated!.ms,
        unit: 'x',
      },
      {
        name: 'ratio orchestrator (AWS latency only) / ours: time to isolation',
        value: orchestratorApiOnly.isolated!.ms / ours.isolated!.ms,
        unit: 'x',
      },
      {
        name: 'ratio orchestrator / ours: serial AWS calls to isolation',
        value: orchestrator.isolated!.serial / ours.isolated!.serial,
        unit: 'x',
      },
      {
        name: 'ours, Auto Scaling + target group + classic LB instance: approval -> isolated',
        value: s(autoScaled.isolated),
        unit: 's (simulated)',
        target,
      },
      {
        name: 'ours, three-ENI instance with an Elastic IP: approval -> isolated',
        value: s(multiEni.isolated),
        unit: 's (simulated)',
        target,
      },
      { name: 'wall time of the five runs', value: (performance.now() - started) / 1000, unit: 's' },
    ];
    return {
      name: 'containment',
      figures,
      notes: [
        `${LATENCY_MS} ms simulated latency per AWS call (virtual clock: simulated time is the critical path of the calls, nothing sleeps). Times start at the commander's approval (decideApproval -> SendTaskSuccess); "isolated" is the first answered call after which every ENI of the instance is in the bot's isolation group (with or without the endpoint rules), "contained" adds the deny/quarantine profile, older role sessions revoked, out of Auto Scaling and load balancers, and the Contained tag; both are read from the simulated state after each call.`,
        `Serial AWS calls: the longest chain of calls that waited for each other (the organization's depth counter), counted from the approval. Ours isolates the instance ${ours.options.instanceId} (web server, Elastic IP) in a VPC with SSM/S3 endpoints; the first case in a VPC creates the isolation groups.`,
        `Orchestrator order: the same instance with its VPC's endpoints removed, so the case workflow captures memory, then contains — as the orchestrator's memory-acquisition state machine runs "Perform Memory Forensics Acquisition", polls until complete, then "Trigger Forensic Isolation". Its disk acquisition is a separate state machine, so disk snapshots are off in every run here.`,
        `Memory capture model: the simulated SSM command completes on poll ${polls(orchestrator)}, and each poll follows the workflow's Wait of MEMORY_POLL_SECONDS (${orchestrator.pollSeconds} s), counted in simulated time (${orchestrator.waitedMs / 1000} s waited before isolation). A real capture lasts as long as streaming the instance's RAM to S3 and grows with it; the "AWS latency only" run sets the waits to zero: the lower bound for any capture.`,
        `Calls from approval to isolation, ours: ${describeCalls(ours)}.`,
        `Calls from approval to isolation, orchestrator order: ${describeCalls(orchestrator)}.`,
        `Steps after approval, ours: ${describeSteps(ours)}.`,
        `Steps after approval, orchestrator order: ${describeSteps(orchestrator)}.`,
        ...runs.map(
          (r) =>
            `Run ${r.options.order}${r.options.pollWaits ? '' : ' (no poll waits)'} on ${r.options.instanceId}: ${(r.wallMs / 1000).toFixed(1)} s wall clock, workflow ended ${s(r.finished).toFixed(1)} s (simulated) after approval.`,
        ),
        `Load average when it ended: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')}.`,
      ],
    };
  } finally {
    await slack.stop();
    await dynalite.close();
  }
}

function polls(r: RunResult): number {
  return r.steps.filter((step) => step.step === 'pollMemoryCapture').length;
}

function describeCalls(r: RunResult): string {
  return Object.entries(r.callsToIsolation)
    .map(([command, n]) => `${command} x${n}`)
    .join(', ');
}

function describeSteps(r: RunResult): string {
  return r.steps
    .map(
      (step) =>
        `${step.step} ${(step.startMs / 1000).toFixed(1)}-${(step.endMs / 1000).toFixed(1)} s (${step.calls} call${step.calls === 1 ? '' : 's'})`,
    )
    .join(', ');
}

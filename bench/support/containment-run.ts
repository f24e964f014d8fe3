/**
 * One approved case, end to end, against a fresh simulated organization: the real case workflow (ASL) run
 * by the local Step Functions with the real steps, the case table in dynalite, the local Slack, and a
 * commander's approval through `decideApproval` (SendTaskSuccess). Every AWS call takes `latencyMs` of
 * simulated time (virtual clock: nothing sleeps), and after each answered call the organization's state
 * is read to stamp, in simulated time and serial-call depth, the first moment the instance is isolated,
 * contained, and fully isolated.
 */
import { decideApproval } from '../../bot/cases/approval.js';
import type { CaseRecord } from '../../bot/core/case-model.js';
import { openCase } from '../../bot/core/case-store.js';
import { caseWorkflowInput } from '../../bot/workflow-client.js';
import { handler as stepsHandler } from '../../handlers/steps.js';
import { SimulatedOrganization } from '../../sandbox/aws/index.js';
import { workflowVariables } from '../../sandbox/environment.js';
import type { CallRecord } from '../../sandbox/aws/index.js';
import { LocalStepFunctions } from '../../sandbox/stepfunctions/local-sfn.js';
import { forensicsSettings } from '../../workflows/settings.js';
import { REVOKE_POLICY_NAME } from '../../workflows/steps/restrict-iam.js';
import { GROUP_NAMES } from '../../workflows/steps/security-groups.js';
import { resetColdStartState } from '../../test/support/process-state.js';
import { createCaseTable } from '../../test/support/table.js';

export const MEMBER = '333333333333';
export const REGION = 'us-east-1';

export interface RunOptions {
  instanceId: string;
  /** Simulated time each AWS call takes. */
  latencyMs: number;
  /**
   * `contain-first`: the instance's VPC keeps its SSM/S3 endpoints, so the workflow contains first (keeping
   * HTTPS to the endpoints) and captures memory afterwards. `memory-first`: the VPC's endpoints are removed
   * before the case, so the same workflow captures memory before it contains — the orchestrator's order.
   */
  order: 'contain-first' | 'memory-first';
  /**
   * Whether the memory workflow's Wait states (`MEMORY_POLL_SECONDS` before each poll) take simulated
   * time. Off: only AWS call latency counts, as if the capture itself took no time (a lower bound).
   */
  pollWaits: boolean;
}

/** A moment in the run, counted from the approval. */
export interface Mark {
  /** Simulated ms since the approval. */
  ms: number;
  /** Serial AWS calls (longest chain of calls that waited for each other) since the approval. */
  serial: number;
  /** AWS calls answered since the approval. */
  calls: number;
}

export interface StepSpan {
  step: string;
  startMs: number;
  endMs: number;
  /** AWS calls answered while the step ran (steps run one at a time on the paths measured). */
  calls: number;
}

export interface RunResult {
  options: RunOptions;
  status: string;
  /** The plan recorded for the case: whether memory went first. */
  memoryFirst: boolean;
  isolated?: Mark;
  contained?: Mark;
  fullyIsolated?: Mark;
  /** The case workflow ended. */
  finished: Mark;
  /** Steps after the approval, in order, with their simulated times (ms since the approval). */
  steps: StepSpan[];
  /** AWS calls after the approval, by command, until isolation. */
  callsToIsolation: Record<string, number>;
  /** Simulated ms spent in Wait states after the approval. */
  waitedMs: number;
  /** The memory workflow's Wait before each poll (`MEMORY_POLL_SECONDS`). */
  pollSeconds: number;
  wallMs: number;
}

const COMMANDER = { userId: 'U0CAROL', name: 'carol' };

/** Runs one approved case and returns when its workflow has ended (DynamoDB at AWS_ENDPOINT_URL_DYNAMODB). */
export async function runApprovedCase(slackApiUrl: string, options: RunOptions): Promise<RunResult> {
  const wallStarted = performance.now();
  // A table per run: a case is per instance, and each run starts a new one on a new organization.
  process.env.CASE_TABLE = await createCaseTable(`containment-${options.order}-${Date.now()}`);
  const org = new SimulatedOrganization().seedDefault().install();
  org.setFaults({ latencyMs: options.latencyMs });
  Object.assign(process.env, workflowVariables(org, slackApiUrl));
  resetColdStartState();

  const region = org.world.region(MEMBER, REGION);
  const instance = region.instances.get(options.instanceId);
  if (!instance) throw new Error(`No seeded instance ${options.instanceId}`);
  if (options.order === 'memory-first') removeEndpoints(org, instance.vpcId);
  const probe = stateProbe(org, options.instanceId);

  // After the approval: each answered AWS call is checked against the state; each step is timed.
  let origin: { ms: number; depth: number; calls: number } | undefined;
  const since = (): Mark => ({
    ms: org.clock.simulatedMs - (origin?.ms ?? 0),
    serial: org.serialCalls - (origin?.depth ?? 0),
    calls: org.calls.length - (origin?.calls ?? 0),
  });
  const marks: Pick<RunResult, 'isolated' | 'contained' | 'fullyIsolated'> = {};
  const handle = org.handle.bind(org);
  org.handle = async (...args) => {
    try {
      return await handle(...args);
    } finally {
      if (origin) {
        const state = probe();
        if (state.isolated) marks.isolated ??= since();
        if (state.contained) marks.contained ??= since();
        if (state.fullyIsolated) marks.fullyIsolated ??= since();
      }
    }
  };
  const steps: StepSpan[] = [];
  let waitedMs = 0;
  const sfn = new LocalStepFunctions({
    retryIntervalMs: 5,
    // Wait states take no wall time; when `pollWaits` is on, a memory poll's Wait takes simulated time.
    waitSeconds: 0,
    stepHandler: async (event: { step?: string; memory?: { pollSeconds?: number } }) => {
      if (origin && options.pollWaits && event.step === 'pollMemoryCapture') {
        const ms = (event.memory?.pollSeconds ?? 0) * 1000;
        await org.clock.sleep(ms);
        waitedMs += ms;
      }
      const start = since();
      try {
        return await stepsHandler(event);
      } finally {
        if (origin && event.step) {
          const end = since();
          steps.push({ step: event.step, startMs: start.ms, endMs: end.ms, calls: end.calls - start.calls });
        }
      }
    },
  });

  try {
    const { record } = await openCase({
      severity: { label: 'HIGH', score: 8 },
      title: `Benchmark: contain ${options.instanceId}`,
      findingIds: [`bench-${options.order}-${options.instanceId}`],
      target: { account: MEMBER, region: REGION, instanceId: options.instanceId },
      actions: ['contain'],
      trigger: 'slack-button',
      requester: { userId: 'U0ALICE', name: 'alice' },
    });
    const { executionArn } = startWithoutDisks(sfn, record, 'required');
    await sfn.waitForTask(executionArn, 60_000);
    const before = org.calls.length;
    origin = { ms: org.clock.simulatedMs, depth: org.serialCalls, calls: before };
    await decideApproval({ caseId: record.id, actor: COMMANDER, approve: true });
    const execution = await sfn.waitFor(executionArn);
    const finished = since();
    const isolatedAt = marks.isolated ? before + marks.isolated.calls : org.calls.length;
    return {
      options,
      status: execution.status,
      memoryFirst: !!(execution.output as { Plan?: { MemoryFirst?: boolean } } | undefined)?.Plan
        ?.MemoryFirst,
      ...marks,
      finished,
      steps,
      callsToIsolation: countByCommand(org.calls.slice(before, isolatedAt)),
      waitedMs,
      pollSeconds: forensicsSettings().MEMORY_POLL_SECONDS,
      wallMs: performance.now() - wallStarted,
    };
  } finally {
    sfn.stop();
    org.uninstall();
  }
}

/** A VPC without SSM/S3 endpoints: the agent reaches SSM and S3 through the internet instead. */
function removeEndpoints(org: SimulatedOrganization, vpcId: string): void {
  const region = org.world.region(MEMBER, REGION);
  for (const [id, endpoint] of region.endpoints) {
    if (endpoint.vpcId !== vpcId) continue;
    region.endpoints.delete(id);
    for (const [eniId, eni] of region.enis)
      if (eni.interfaceType === 'vpc_endpoint' && eni.description.includes(id)) region.enis.delete(eniId);
  }
}

/** Reads, from the simulated state, how far containment of `instanceId` has gone. */
function stateProbe(org: SimulatedOrganization, instanceId: string) {
  const region = org.world.region(MEMBER, REGION);
  const account = org.world.accounts.get(MEMBER);
  const profileOf = () =>
    [...region.associations.values()].find((a) => a.instanceId === instanceId && a.state === 'associated')
      ?.profileArn;
  const originalProfile = profileOf()?.split('/').pop();
  const originalRoles = originalProfile
    ? (account?.instanceProfiles.get(originalProfile)?.roleNames ?? [])
    : [];
  const settings = forensicsSettings();
  return () => {
    const instance = region.instances.get(instanceId);
    if (!instance) throw new Error(`${instanceId} is gone`);
    const groupNames = instance.eniIds.map((id) =>
      (region.enis.get(id)?.groupIds ?? []).map((g) => region.securityGroups.get(g)?.groupName),
    );
    const inOnly = (...names: string[]) =>
      groupNames.every((groups) => groups.length === 1 && names.includes(groups[0] ?? ''));
    const isolated = inOnly(GROUP_NAMES.isolation, GROUP_NAMES['isolation-endpoints']);
    const profile = profileOf()?.split('/').pop();
    const restricted =
      (profile === settings.DENY_ALL_PROFILE || profile === settings.QUARANTINE_PROFILE) &&
      originalRoles.every((role) => !!account?.roles.get(role)?.inlinePolicies[REVOKE_POLICY_NAME]);
    const detached =
      [...region.autoScalingGroups.values()].every(
        (g) => !g.instances.some((i) => i.instanceId === instanceId),
      ) &&
      [...region.targetGroups.values()].every((tg) => !tg.targets.some((t) => t.id === instanceId)) &&
      [...region.loadBalancers.values()].every((lb) => !lb.instanceIds.includes(instanceId));
    const tagged = instance.tags.SecurityIncidentStatus === 'Contained';
    return {
      isolated,
      contained: isolated && restricted && detached && tagged,
      fullyIsolated: inOnly(GROUP_NAMES.isolation) && profile === settings.DENY_ALL_PROFILE,
    };
  };
}

function countByCommand(calls: CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) {
    const name = c.command.replace(/Command$/, '');
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/**
 * Starts a case's workflow with disk snapshots off: the orchestrator acquires disks in a state machine
 * isolation does not wait for, and the contain-first order snapshots after containment; either way they are
 * not on the path the benchmarks measure.
 */
export function startWithoutDisks(
  sfn: LocalStepFunctions,
  record: CaseRecord,
  approval: 'required' | 'not-required',
): { executionArn: string } {
  const input = caseWorkflowInput(record, approval);
  input.Actions.acquireDisk = false;
  return sfn.startExecution({
    stateMachineArn: sfn.stateMachineArn('case'),
    name: record.id,
    input: JSON.stringify(input),
  });
}

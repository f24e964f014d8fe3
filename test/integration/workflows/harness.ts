import { afterAll, afterEach, beforeAll } from 'vitest';
import { openCase } from '../../../bot/core/case-store.js';
import type { CaseAction, CaseRecord } from '../../../bot/core/case-model.js';
import { handler } from '../../../handlers/steps.js';
import { type OrganizationOptions, SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { workflowVariables } from '../../../sandbox/environment.js';
import { LocalSlack } from '../../../sandbox/slack/local-slack.js';
import {
  type ExecutionRecord,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
} from '../../../sandbox/stepfunctions/local-sfn.js';
import { forensicsSettings } from '../../../workflows/settings.js';
import { resetColdStartState } from '../../support/process-state.js';
import { useCaseTable } from '../../support/table.js';

export { SEEDED };
export const MEMBER = '333333333333';
export const REGION = 'us-east-1';

export interface WorkflowWorld {
  org: SimulatedOrganization;
  sfn: LocalStepFunctions;
  slack: LocalSlack;
}

/**
 * Everything a workflow needs, on this machine: the case table (dynalite), the local Slack, the
 * simulated organization answering the real SDK clients, and the local Step Functions running the real
 * definitions with `handlers/steps.ts`. Waits are shortened; nothing else is. `orgOptions` reshapes the
 * organization (e.g. single-account mode: one account is security, forensics and member).
 */
export function useWorkflowWorld(
  env: Record<string, string> = {},
  sfnOptions: Partial<LocalStepFunctionsOptions> = {},
  orgOptions: OrganizationOptions = {},
): WorkflowWorld {
  useCaseTable();
  const world = {} as WorkflowWorld;
  beforeAll(async () => {
    world.slack = new LocalSlack();
    const { apiUrl } = await world.slack.start();
    world.org = new SimulatedOrganization(orgOptions).seedDefault().install();
    Object.assign(process.env, {
      ...workflowVariables(world.org, apiUrl),
      MEMORY_POLL_SECONDS: '1',
      SNAPSHOT_POLL_SECONDS: '1',
      // Raw images of the 1 GiB volumes take seconds and a GiB of the simulated S3 each: the workflow
      // tests that image (disk-image.test.ts) ask for it with DISK_IMAGE=raw.
      DISK_IMAGE: 'off',
      ...env,
    });
    resetColdStartState();
    world.sfn = new LocalStepFunctions({
      stepHandler: handler,
      waitSeconds: 0,
      retryIntervalMs: 5,
      ...sfnOptions,
    });
  });
  afterAll(async () => {
    world.sfn?.stop();
    world.org?.uninstall();
    await world.slack?.stop();
  });
  return world;
}

/** Opens a case as the Slack side would (the requester is alice). */
export async function openTestCase(
  instanceId: string,
  actions: CaseAction[],
  target: { account?: string; region?: string } = {},
): Promise<CaseRecord> {
  const { record } = await openCase({
    severity: { label: 'HIGH', score: 8 },
    title: `Test case on ${instanceId}`,
    findingIds: ['finding-1'],
    target: { account: target.account ?? MEMBER, region: target.region ?? REGION, instanceId },
    actions,
    trigger: 'slack-button',
    requester: { userId: 'U0ALICE', name: 'alice' },
  });
  return record;
}

/** Starts the case workflow (name = case id) and returns its ARN. */
export function startCase(world: WorkflowWorld, input: Record<string, unknown>, name?: string): string {
  return world.sfn.startExecution({
    stateMachineArn: world.sfn.stateMachineArn('case'),
    name: name ?? (input.CaseId as string | undefined),
    input: JSON.stringify(input),
  }).executionArn;
}

export async function runCase(
  world: WorkflowWorld,
  input: Record<string, unknown>,
): Promise<ExecutionRecord> {
  return world.sfn.waitFor(startCase(world, input));
}

/** The simulated instance as the organization holds it. */
export function instanceState(world: WorkflowWorld, instanceId: string, account = MEMBER, region = REGION) {
  const r = world.org.world.region(account, region);
  const instance = r.instances.get(instanceId);
  if (!instance) throw new Error(`no ${instanceId}`);
  const enis = instance.eniIds.map((id) => r.enis.get(id)!);
  const groups = (id: string) => r.securityGroups.get(id);
  return { r, instance, enis, groups };
}

/** The case workflow input the bot sends for a case (see `bot/workflow-client.ts`). */
export function inputOf(
  record: CaseRecord,
  approval: 'required' | 'not-required',
  extra: Record<string, unknown> = {},
) {
  return {
    CaseId: record.id,
    InstanceId: record.target.instanceId,
    Account: record.target.account,
    Region: record.target.region,
    Actions: { contain: record.actions.includes('contain'), acquireMemory: true, acquireDisk: true },
    Approval: approval,
    Trigger: record.trigger,
    ...extra,
  };
}

/** Titles of the case's timeline, in order. */
export const timeline = (record: CaseRecord) =>
  record.steps.filter((s) => s.outcome !== 'started').map((s) => s.step);

/** Waits until `check` holds (polling), for things that happen between workflow states. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Changes a setting (an environment variable; `undefined` removes it) for one test: after it, every
 * changed variable is put back, the workflow settings are read again and the organization's faults cleared.
 */
export function useTestSettings(world: WorkflowWorld): (name: string, value: string | undefined) => void {
  const saved: Record<string, string | undefined> = {};
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
      delete saved[name];
    }
    forensicsSettings.reset();
    world.org.setFaults({});
  });
  return (name, value) => {
    if (!(name in saved)) saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
    forensicsSettings.reset();
  };
}

/** The stored versions of one key of the simulated S3. */
export const objectsUnder = (world: WorkflowWorld, bucket: string, key: string) =>
  world.org.world.buckets.get(bucket)?.objects.get(key) ?? [];

/** Starts the memory capture and polls it to its end, as the acquire-memory workflow does (throws what the poll throws). */
export async function captureMemory(target: object, polls = 20): Promise<any> {
  let state = (await handler({ step: 'startMemoryCapture', ...target })) as any;
  for (let i = 0; i < polls && !state.done; i++)
    state = await handler({ step: 'pollMemoryCapture', ...target, memory: state });
  return state;
}

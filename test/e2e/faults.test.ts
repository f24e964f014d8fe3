/**
 * Fault scenarios of issue 5, end to end through the sandbox's HTTP API (`/api/cloud/faults`): the
 * runbook still ends in a state a responder can act on, and the case thread says what went wrong.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TARGETS } from '../../sandbox/targets.js';
import { type Sandbox, startSandbox } from '../../sandbox/wiring.js';
import { SandboxApi, SHA256 } from './support/api.js';
import { cloudInstance, forensicsSnapshots, runContainment } from './support/scenario.js';

let sandbox: Sandbox;
let api: SandboxApi;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  api = new SandboxApi(sandbox.url);
}, 60_000);
afterAll(() => sandbox?.stop());
beforeEach(async () => {
  await api.post('/api/cloud/faults', {});
});

describe('Function: the sandbox under faults', () => {
  it('with the SSM agent offline, memory capture fails and says why, containment and disk still complete', async () => {
    // Prepare
    const target = TARGETS.multiEni;
    await api.post('/api/cloud/faults', { ssmOffline: [target.instanceId] });

    // Act
    const run = await runContainment(api, target);

    // Assess: contained, the disk copied into the forensics account, and the case honest about memory
    expect(run.record.status).toBe('evidence-incomplete');
    expect(run.threadText).toMatch(/memory[^\n]*(fail|skipp|not|offline|unreachable|SSM)/i);
    expect(run.threadText).toMatch(
      /Workflow finished: contained; evidence incomplete: 1 disk snapshot secured; memory not acquired: The SSM agent of i-\w+ is ConnectionLost/,
    );
    expect(run.threadText).not.toMatch(/finished: evidence secured/);
    const instance = await cloudInstance(api, target);
    expect(instance.profile?.name).toMatch(/DenyAll/i);
    expect((await forensicsSnapshots(api, target.instanceId)).length).toBeGreaterThan(0);
  }, 180_000);

  it('with AccessDenied in a member account, the case fails clearly naming the account and role, and nothing is left half-done', async () => {
    // Prepare
    const target = TARGETS.secondAccount;
    const before = await cloudInstance(api, target);
    await api.post('/api/cloud/faults', { accessDenied: [target.account] });

    // Act
    const run = await runContainment(api, target);

    // Assess: the configuration is recorded before the approval gate, so the case fails at once, before
    // any approval card, saying which account and role refused and what was done
    expect(run.approval).toBeUndefined();
    const commanders = (await api.messages('ir-commanders')).messages;
    expect(commanders.filter((m) => SandboxApi.textOf(m).includes(run.caseId))).toEqual([]);
    expect(run.record.status).toBe('failed');
    expect(run.threadText).toMatch(
      /Workflow failed\. Step “original configuration recorded” failed: Access denied in account 444444444444 for role IRAutomation: cannot assume the role \(AWS: [^\n]*\); check its trust policy and ExternalId\. Already done: case prepared\. Containment was not authorized, so it was not attempted\./,
    );
    const after = await cloudInstance(api, target);
    expect(after.profile).toEqual(before.profile);
    expect(after.enis).toEqual(before.enis);
  }, 180_000);

  it('with 30% of AWS calls throttled, the case still completes with its manifest', async () => {
    // Prepare
    const target = TARGETS.euWest;
    await api.post('/api/cloud/faults', { throttle: 0.3 });

    // Act
    const run = await runContainment(api, target);

    // Assess: secured in the case's own region (eu-west-1), under that region's key
    expect(run.record.status).toBe('evidence-secured');
    // memory too: the eu-west-1 instance's image went to the eu-west-1 bucket, through its VPC's endpoint
    expect(run.threadText).toMatch(/s3:\/\/forensics-evidence-222222222222-eu-west-1\/CASE-[\w-]+\/memory\//);
    const manifest = run.threadText.slice(run.threadText.search(/manifest/i));
    expect(manifest).toMatch(SHA256);
    const copies = await forensicsSnapshots(api, target.instanceId);
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.every((c) => c.region === 'eu-west-1' && c.state === 'completed')).toBe(true);
  }, 240_000);
});
